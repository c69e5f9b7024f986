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

/// One open element while reading.
struct Frame {
    name: String,
    children: Map<String, Value>,
    text: String,
}

/// Reads a `<xml>` document into its top-level fields.
pub fn parse_document(body: &[u8]) -> Result<Map<String, Value>, XmlError> {
    let mut reader = Reader::from_reader(body);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Map<String, Value>> = None;
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
                let name = open_element(&start, &stack, root.is_some())?;
                stack.push(Frame { name, children: Map::new(), text: String::new() });
            }
            Event::Empty(start) => {
                let name = open_element(&start, &stack, root.is_some())?;
                match stack.last_mut() {
                    Some(parent) => insert_field(&mut parent.children, name, Value::String(String::new())),
                    None => root = Some(Map::new()),
                }
            }
            Event::Text(text) => {
                let text = text.unescape().map_err(|e| err(format!("bad character reference: {e}")))?;
                let in_field = stack.len() > 1;
                match stack.last_mut() {
                    Some(frame) if in_field => frame.text.push_str(&text),
                    _ if text.trim().is_empty() => {}
                    _ => return Err(err("text outside a field")),
                }
            }
            Event::CData(cdata) => {
                let text = std::str::from_utf8(&cdata).map_err(|_| err("CDATA is not UTF-8"))?;
                let in_field = stack.len() > 1;
                match stack.last_mut() {
                    Some(frame) if in_field => frame.text.push_str(text),
                    _ => return Err(err("CDATA outside a field")),
                }
            }
            Event::End(_) => {
                let frame = stack.pop().ok_or_else(|| err("unmatched end tag"))?;
                match stack.last_mut() {
                    Some(parent) => {
                        let value = frame_value(frame.children, frame.text)?;
                        insert_field(&mut parent.children, frame.name, value);
                    }
                    None => root = Some(frame.children),
                }
            }
            Event::Eof => break,
        }
        seen_markup = true;
    }
    match (root, stack.is_empty()) {
        (Some(fields), true) => Ok(fields),
        _ => Err(err("the document ends before </xml>")),
    }
}

/// Checks where an element may open and returns its name.
fn open_element(start: &BytesStart<'_>, stack: &[Frame], root_done: bool) -> Result<String, XmlError> {
    if root_done {
        return Err(err("content after </xml>"));
    }
    if stack.len() >= MAX_DEPTH {
        return Err(err(format!("elements nested deeper than {MAX_DEPTH} levels")));
    }
    let name = std::str::from_utf8(start.name().as_ref()).map_err(|_| err("an element name is not UTF-8"))?.to_owned();
    if stack.is_empty() && name != ROOT {
        return Err(err("the root element must be <xml>"));
    }
    Ok(name)
}

/// A leaf keeps its text exactly (CDATA whitespace matters); an element with children becomes
/// an object, and only whitespace may sit between those children.
fn frame_value(mut children: Map<String, Value>, text: String) -> Result<Value, XmlError> {
    if children.len() == 1 && text.trim().is_empty() {
        if let Some(items @ Value::Array(_)) = children.remove(ITEM) {
            return Ok(items);
        }
    }
    if children.is_empty() {
        Ok(Value::String(text))
    } else if text.trim().is_empty() {
        Ok(Value::Object(children))
    } else {
        Err(err("an element mixes text and child elements"))
    }
}

/// A repeated name becomes an array, so a duplicated field can never silently replace another;
/// a list entry's name ([`LIST_NAMES`]) is an array from its first element on.
fn insert_field(map: &mut Map<String, Value>, name: String, value: Value) {
    match map.get_mut(&name) {
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
        None if LIST_NAMES.contains(&name.as_str()) && !value.is_array() => {
            map.insert(name, Value::Array(vec![value]));
        }
        None => {
            map.insert(name, value);
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
