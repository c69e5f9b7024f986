//! Reads WeChat's `<xml>` documents into JSON with the shapes wechat-oa.md §7.2 asks for: a
//! leaf is a string (CDATA or text), an element with children an object, a name repeated among
//! siblings an array, and an element whose children are all `<item>` the array of those items
//! (so `<PicList><item>…</item></PicList>` is `"PicList": [{…}]` even with one item).
//!
//! It refuses what WeChat never sends and an XML parser should not honour: a DOCTYPE (so no
//! entity declarations, no expansion), processing instructions, any root but `<xml>`, text
//! outside it, and unreasonable nesting.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};
use std::fmt;

/// WeChat's deepest documented path is 5 levels (`xml/SendPicsInfo/PicList/item/PicMd5Sum`);
/// this leaves room without letting a hostile body recurse forever.
const MAX_DEPTH: usize = 32;
const ROOT: &str = "xml";
const LIST_ITEM: &str = "item";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlError(pub String);

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for XmlError {}

fn err(message: impl Into<String>) -> XmlError {
    XmlError(message.into())
}

/// One open element.
struct Frame {
    name: String,
    children: Vec<(String, Value)>,
    text: String,
    /// CDATA is taken as is; plain text around elements is layout and is trimmed.
    cdata: bool,
}

impl Frame {
    fn new(name: String) -> Frame {
        Frame { name, children: Vec::new(), text: String::new(), cdata: false }
    }

    fn into_value(self) -> Value {
        if self.children.is_empty() {
            let text = if self.cdata { self.text } else { self.text.trim().to_string() };
            return Value::String(text);
        }
        if self.children.iter().all(|(name, _)| name == LIST_ITEM) {
            return Value::Array(self.children.into_iter().map(|(_, v)| v).collect());
        }
        Value::Object(group(self.children))
    }
}

/// Children in order, a repeated name collected into one array.
fn group(children: Vec<(String, Value)>) -> Map<String, Value> {
    let mut map = Map::new();
    let mut repeated: Vec<String> = Vec::new();
    for (name, value) in children {
        match map.remove(&name) {
            None => {
                map.insert(name, value);
            }
            Some(Value::Array(mut list)) if repeated.contains(&name) => {
                list.push(value);
                map.insert(name, Value::Array(list));
            }
            Some(first) => {
                repeated.push(name.clone());
                map.insert(name, Value::Array(vec![first, value]));
            }
        }
    }
    map
}

/// The fields of a `<xml>` document.
pub fn read_document(body: &[u8]) -> Result<Map<String, Value>, XmlError> {
    let text = std::str::from_utf8(body).map_err(|_| err("the document is not UTF-8"))?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<Map<String, Value>> = None;
    loop {
        let event =
            reader.read_event().map_err(|e| err(format!("not well-formed XML near byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Decl(_) | Event::Comment(_) => {}
            Event::DocType(_) => return Err(err("DOCTYPE and entity declarations are refused")),
            Event::PI(_) => return Err(err("processing instructions are refused")),
            Event::Start(start) => {
                let name = open(start.name().as_ref(), &stack, root.is_some())?;
                stack.push(Frame::new(name));
            }
            Event::Empty(start) => {
                let name = open(start.name().as_ref(), &stack, root.is_some())?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push((name, Value::String(String::new()))),
                    None => root = Some(Map::new()),
                }
            }
            Event::End(_) => {
                // check_end_names guarantees the end matches the open element.
                let Some(frame) = stack.pop() else {
                    return Err(err("an end tag without a start"));
                };
                match stack.last_mut() {
                    Some(parent) => {
                        let name = frame.name.clone();
                        parent.children.push((name, frame.into_value()));
                    }
                    None => root = Some(group(frame.children)),
                }
            }
            Event::Text(t) => {
                let unescaped = t.unescape().map_err(|e| err(format!("bad text: {e}")))?;
                match stack.last_mut() {
                    Some(frame) => frame.text.push_str(&unescaped),
                    None if unescaped.trim().is_empty() => {}
                    None => return Err(err("text outside the <xml> element")),
                }
            }
            Event::CData(c) => {
                let inner = std::str::from_utf8(&c.into_inner()).map_err(|_| err("CDATA is not UTF-8"))?.to_string();
                match stack.last_mut() {
                    Some(frame) => {
                        frame.text.push_str(&inner);
                        frame.cdata = true;
                    }
                    None => return Err(err("CDATA outside the <xml> element")),
                }
            }
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(err("the document ends inside an element"));
    }
    root.ok_or_else(|| err("no <xml> element"))
}

/// Checks an opening tag against where it is; returns its name.
fn open(raw: &[u8], stack: &[Frame], root_done: bool) -> Result<String, XmlError> {
    let name = std::str::from_utf8(raw).map_err(|_| err("an element name is not UTF-8"))?;
    if stack.is_empty() {
        if root_done {
            return Err(err("content after the <xml> element"));
        }
        if name != ROOT {
            return Err(err(format!("the root element must be <xml>, not <{name}>")));
        }
    }
    if stack.len() >= MAX_DEPTH {
        return Err(err(format!("elements nested deeper than {MAX_DEPTH}")));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(xml: &str) -> Value {
        Value::Object(read_document(xml.as_bytes()).unwrap())
    }

    #[test]
    fn cdata_text_and_bare_numbers_are_strings() {
        let v = read("<xml><A><![CDATA[ a <b> ]]></A><B> 12 </B><C/><D></D><E>x &amp; y</E></xml>");
        assert_eq!(v, json!({"A": " a <b> ", "B": "12", "C": "", "D": "", "E": "x & y"}));
    }

    #[test]
    fn one_item_is_still_a_list_and_repeated_names_are_arrays() {
        let v = read(
            "<xml><SendPicsInfo><Count>1</Count><PicList>\n <item>\n <PicMd5Sum><![CDATA[x]]></PicMd5Sum>\n </item>\n</PicList></SendPicsInfo>\
             <E><List><T>a</T></List><List><T>b</T></List></E><F><List><T>c</T></List></F></xml>",
        );
        assert_eq!(v["SendPicsInfo"], json!({"Count": "1", "PicList": [{"PicMd5Sum": "x"}]}));
        assert_eq!(v["E"]["List"], json!([{"T": "a"}, {"T": "b"}]));
        assert_eq!(v["F"]["List"], json!({"T": "c"}));
    }

    #[test]
    fn hostile_and_foreign_documents_are_refused() {
        let deep = format!("<xml>{}{}</xml>", "<a>".repeat(40), "</a>".repeat(40));
        for bad in [
            "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x \"boom\">]><xml><A>&x;</A></xml>",
            "<xml><A>&x;</A></xml>",
            "<root><A>1</A></root>",
            "<xml><A>1</A></xml><xml/>",
            "<xml><A>1</B></xml>",
            "<xml><?pi x?></xml>",
            "hello",
            "<xml><A>",
            deep.as_str(),
        ] {
            assert!(read_document(bad.as_bytes()).is_err(), "{bad}");
        }
    }
}
