//! A strict reader for WeChat's `<xml>` documents and the writer for CDATA values.
//!
//! The reader refuses DOCTYPE (so no entity declarations and no entity expansion), processing
//! instructions and anything but one `<xml>` root; nesting is bounded. Values become JSON: a
//! leaf element is a string (its text and CDATA sections joined, exactly), an element with
//! children an object, a repeated name an array. WeChat's lists are arrays even when one entry
//! was sent, so a consumer of the forwarded JSON sees one shape: an element whose children are
//! all `<item>` is the array of those items (`SendPicsInfo.PicList` → `[{"PicMd5Sum"}]`), and
//! the subscribe events' `List` and media-check `detail` are arrays. The writer writes an array
//! as `<name><item>…</item></name>`, so a tree round-trips through the writer and the reader.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

/// Element levels, `<xml>` included. The deepest documented push is five levels deep
/// (`<xml><SendPicsInfo><PicList><item><PicMd5Sum>` of the photo menu events, and
/// `<xml><CopyrightCheckResult><ResultList><item><ArticleIdx>` of MASSSENDJOBFINISH); eight
/// leaves room for shapes WeChat adds later while keeping a hostile body's nesting (and the
/// reader's stack of open elements) small.
pub const MAX_DEPTH: usize = 8;
/// Names WeChat uses for list entries: always read as arrays.
const LIST_NAMES: [&str; 3] = ["item", "List", "detail"];
/// The element name of a list's entries.
const ITEM: &str = "item";
const ROOT: &str = "xml";

/// Why an XML body was refused; the message never contains field values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(String);

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlError {}

fn err(message: impl Into<String>) -> XmlError {
    XmlError(message.into())
}

/// Where [`read_document`] puts the fields of `<xml>`, one by one as each closes.
pub(crate) trait FieldSink<'a> {
    /// A field without child elements and its text, its text and CDATA sections joined exactly
    /// (borrowed from the body when it is one piece without character references).
    fn text(&mut self, name: &str, text: Cow<'a, str>);
    /// A field with child elements: an object, or the array of a list.
    fn value(&mut self, name: &str, value: Value);
}

/// The fields as a JSON object: a repeated name becomes an array ([`insert_field`]).
impl<'a> FieldSink<'a> for Map<String, Value> {
    fn text(&mut self, name: &str, text: Cow<'a, str>) {
        insert_field(self, name.to_owned(), Value::String(text.into_owned()));
    }

    fn value(&mut self, name: &str, value: Value) {
        insert_field(self, name.to_owned(), value);
    }
}

/// One open element while reading (its name is read from its end tag, which the reader checks).
#[derive(Default)]
struct Frame<'a> {
    /// `None` until a child closes (most elements are leaves: nothing to drop).
    children: Option<Map<String, Value>>,
    text: Cow<'a, str>,
}

impl Frame<'_> {
    fn children(&mut self) -> &mut Map<String, Value> {
        self.children.get_or_insert_with(Map::new)
    }
}

/// The open elements, `<xml>` first: never more than [`MAX_DEPTH`], so they need no allocation.
#[derive(Default)]
struct Stack<'a> {
    frames: [Frame<'a>; MAX_DEPTH],
    len: usize,
}

impl<'a> Stack<'a> {
    fn len(&self) -> usize {
        self.len
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Opens an element; [`open_element`] has checked there is room.
    fn push(&mut self) -> Result<(), XmlError> {
        let frame =
            self.frames.get_mut(self.len).ok_or_else(|| err(format!("elements nested deeper than {MAX_DEPTH} levels")))?;
        *frame = Frame::default();
        self.len += 1;
        Ok(())
    }

    fn pop(&mut self) -> Option<Frame<'a>> {
        self.len = self.len.checked_sub(1)?;
        self.frames.get_mut(self.len).map(std::mem::take)
    }

    fn last_mut(&mut self) -> Option<&mut Frame<'a>> {
        self.frames.get_mut(self.len.checked_sub(1)?)
    }
}

/// Reads a `<xml>` document into its top-level fields.
pub fn parse_document(body: &[u8]) -> Result<Map<String, Value>, XmlError> {
    let mut fields = Map::new();
    read_document(body, &mut fields)?;
    Ok(fields)
}

/// Reads a `<xml>` document, handing each top-level field to `sink` as it closes: a leaf as its
/// text, with no allocation for its name, an element with children as the JSON value
/// [`parse_document`] gives it. Every check of the document is made here, whatever the sink.
pub(crate) fn read_document<'a>(body: &'a [u8], sink: &mut impl FieldSink<'a>) -> Result<(), XmlError> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let mut stack = Stack::default();
    let mut root_done = false;
    let mut seen_markup = false;

    loop {
        let event =
            reader.read_event().map_err(|e| err(format!("not well-formed XML near byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Decl(_) if seen_markup => return Err(err("the XML declaration must come first")),
            Event::Decl(_) | Event::Comment(_) => {}
            Event::PI(_) => return Err(err("processing instructions are not allowed")),
            Event::DocType(_) => return Err(err("DOCTYPE and entity declarations are not allowed")),
            Event::Start(start) => {
                open_element(&start, stack.len(), root_done)?;
                stack.push()?;
            }
            Event::Empty(start) => {
                let name = open_element(&start, stack.len(), root_done)?;
                let depth = stack.len();
                match stack.last_mut() {
                    None => root_done = true,
                    Some(_) if depth == 1 => sink.text(name, Cow::Borrowed("")),
                    Some(parent) => insert_field(parent.children(), name.to_owned(), Value::String(String::new())),
                }
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(|e| err(format!("bad character reference: {e}")))?;
                let in_field = stack.len() > 1;
                match stack.last_mut() {
                    Some(frame) if in_field => join(&mut frame.text, text),
                    _ if text.trim().is_empty() => {}
                    _ => return Err(err("text outside a field")),
                }
            }
            Event::CData(cdata) => {
                let text = match cdata.into_inner() {
                    Cow::Borrowed(bytes) => Cow::Borrowed(std::str::from_utf8(bytes).map_err(|_| err("CDATA is not UTF-8"))?),
                    Cow::Owned(bytes) => Cow::Owned(String::from_utf8(bytes).map_err(|_| err("CDATA is not UTF-8"))?),
                };
                let in_field = stack.len() > 1;
                match stack.last_mut() {
                    Some(frame) if in_field => join(&mut frame.text, text),
                    _ => return Err(err("CDATA outside a field")),
                }
            }
            Event::End(end) => {
                let frame = stack.pop().ok_or_else(|| err("unmatched end tag"))?;
                let name = || std::str::from_utf8(end.name().0).map_err(|_| err("an element name is not UTF-8"));
                let depth = stack.len();
                match stack.last_mut() {
                    None => root_done = true,
                    Some(_) if depth == 1 && frame.children.is_none() => sink.text(name()?, frame.text),
                    Some(_) if depth == 1 => sink.value(name()?, frame_value(frame.children.unwrap_or_default(), frame.text)?),
                    Some(parent) => {
                        let value = frame_value(frame.children.unwrap_or_default(), frame.text)?;
                        insert_field(parent.children(), name()?.to_owned(), value);
                    }
                }
            }
            Event::Eof => break,
        }
        seen_markup = true;
    }
    if root_done && stack.is_empty() {
        Ok(())
    } else {
        Err(err("the document ends before </xml>"))
    }
}

/// Appends a piece of an element's text, keeping a single piece borrowed.
#[inline]
fn join<'a>(text: &mut Cow<'a, str>, piece: Cow<'a, str>) {
    if text.is_empty() {
        *text = piece;
    } else {
        text.to_mut().push_str(&piece);
    }
}

/// Checks where an element may open (`depth` elements are open) and returns its name.
fn open_element<'s>(start: &'s BytesStart<'_>, depth: usize, root_done: bool) -> Result<&'s str, XmlError> {
    if root_done {
        return Err(err("content after </xml>"));
    }
    if depth >= MAX_DEPTH {
        return Err(err(format!("elements nested deeper than {MAX_DEPTH} levels")));
    }
    let name = std::str::from_utf8(start.name().0).map_err(|_| err("an element name is not UTF-8"))?;
    if depth == 0 && name != ROOT {
        return Err(err("the root element must be <xml>"));
    }
    Ok(name)
}

/// A leaf keeps its text exactly (CDATA whitespace matters); an element with children becomes
/// an object, and only whitespace may sit between those children.
fn frame_value(mut children: Map<String, Value>, text: Cow<'_, str>) -> Result<Value, XmlError> {
    if children.len() == 1 && text.trim().is_empty() {
        if let Some(items @ Value::Array(_)) = children.remove(ITEM) {
            return Ok(items);
        }
    }
    if children.is_empty() {
        Ok(Value::String(text.into_owned()))
    } else if text.trim().is_empty() {
        Ok(Value::Object(children))
    } else {
        Err(err("an element mixes text and child elements"))
    }
}

/// A repeated name becomes an array, so a duplicated field can never silently replace another;
/// a list entry's name ([`LIST_NAMES`]) is an array from its first element on.
pub(crate) fn insert_field(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        Some(existing) => repeat(existing, value),
        None if LIST_NAMES.contains(&name.as_str()) && !value.is_array() => {
            map.insert(name, Value::Array(vec![value]));
        }
        None => {
            map.insert(name, value);
        }
    }
}

/// `existing` and a second value of the same name: the array of both (or `existing` grown).
pub(crate) fn repeat(existing: &mut Value, value: Value) {
    match existing {
        Value::Array(items) => items.push(value),
        existing => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// Appends `text` as CDATA; a `]]>` inside is split across two sections so it cannot end the
/// section early (and so cannot inject markup into a reply).
pub fn push_cdata(out: &mut String, text: &str) {
    out.push_str("<![CDATA[");
    if !text.as_bytes().contains(&b']') {
        out.push_str(text);
        out.push_str("]]>");
        return;
    }
    let mut parts = text.split("]]>");
    out.push_str(parts.next().unwrap_or_default());
    for part in parts {
        out.push_str("]]]]><![CDATA[>");
        out.push_str(part);
    }
    out.push_str("]]>");
}

/// `<name><![CDATA[text]]></name>`
pub fn push_text_element(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    push_cdata(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// `<name>123</name>`: WeChat writes integers bare.
pub fn push_int_element(out: &mut String, name: &str, value: u64) {
    let _ = write!(out, "<{name}>{value}</{name}>");
}

/// Writes a JSON value as XML the way it would have been read: strings as CDATA, numbers and
/// booleans bare, objects as child elements, arrays as repeated elements. Names that are not
/// plain XML names and levels beyond the reader's depth are left out rather than emitted broken.
pub fn push_value_element(out: &mut String, name: &str, value: &Value) {
    push_value_at(out, name, value, 2);
}

fn push_value_at(out: &mut String, name: &str, value: &Value, depth: usize) {
    if !is_xml_name(name) || depth > MAX_DEPTH {
        return;
    }
    match value {
        Value::String(text) => push_text_element(out, name, text),
        Value::Number(n) => out.push_str(&format!("<{name}>{n}</{name}>")),
        Value::Bool(b) => out.push_str(&format!("<{name}>{b}</{name}>")),
        Value::Null => out.push_str(&format!("<{name}></{name}>")),
        // A list is written as WeChat writes one, `<name><item>…</item></name>`; arrays of
        // arrays have no XML shape (and could nest without bound), so they are skipped.
        Value::Array(items) => {
            out.push_str(&format!("<{name}>"));
            for item in items.iter().filter(|item| !item.is_array()) {
                push_value_at(out, ITEM, item, depth.saturating_add(1));
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::Object(children) => {
            out.push_str(&format!("<{name}>"));
            for (child, child_value) in children {
                push_value_at(out, child, child_value, depth.saturating_add(1));
            }
            out.push_str(&format!("</{name}>"));
        }
    }
}

/// ASCII letters, digits, `_`, `-` and `.`, not starting with a digit, `-` or `.`; WeChat's
/// field names are all of this shape.
fn is_xml_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    let first_ok = bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    first_ok && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}
