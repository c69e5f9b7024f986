//! A push message as WeChat builds it (wechat-api.md §8.4): the four common fields, then the
//! kind's own, in the documented order, rendered as an `<xml>` document or a JSON object
//! (strings as strings, `CreateTime`/`MsgId` as numbers, nesting kept).

use super::{xml_write, Format};
use serde_json::{Map, Value};

/// One field's value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Node {
    /// A string: CDATA in XML, a JSON string.
    Text(String),
    /// A number as WeChat writes it: bare in XML, a JSON number. Kept as its digits so a
    /// `MsgId` above 2^53 is never rounded.
    Number(String),
    /// An element with children, in order; a name that repeats (`List`) is a JSON array.
    Group(Vec<(String, Node)>),
    /// A list: `<item>` elements in XML, a JSON array.
    Items(Vec<Node>),
}

impl Node {
    pub fn text(value: impl Into<String>) -> Node {
        Node::Text(value.into())
    }

    pub fn number(value: u64) -> Node {
        Node::Number(value.to_string())
    }

    /// A node from JSON, for a message someone holds as JSON: strings (and booleans, null as
    /// empty) as text, numbers bare, objects as groups, arrays as `item` lists.
    pub fn from_json(value: &Value) -> Node {
        match value {
            Value::String(s) => Node::Text(s.clone()),
            Value::Number(n) => Node::Number(n.to_string()),
            Value::Bool(b) => Node::Text(b.to_string()),
            Value::Null => Node::Text(String::new()),
            Value::Array(items) => Node::Items(items.iter().map(Node::from_json).collect()),
            Value::Object(map) => Node::Group(map.iter().map(|(k, v)| (k.clone(), Node::from_json(v))).collect()),
        }
    }
}

/// A push message, built field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    fields: Vec<(String, Node)>,
}

impl Message {
    /// `ToUserName` (the account's original id, `gh_…`), `FromUserName` (the user's openid),
    /// `CreateTime` and `MsgType`.
    pub fn new(to_user_name: &str, from_user_name: &str, create_time: u64, msg_type: &str) -> Message {
        Message {
            fields: vec![
                ("ToUserName".into(), Node::text(to_user_name)),
                ("FromUserName".into(), Node::text(from_user_name)),
                ("CreateTime".into(), Node::number(create_time)),
                ("MsgType".into(), Node::text(msg_type)),
            ],
        }
    }

    /// A message of a JSON object's fields, in the object's order.
    pub fn from_json(fields: &Map<String, Value>) -> Message {
        Message { fields: fields.iter().map(|(k, v)| (k.clone(), Node::from_json(v))).collect() }
    }

    /// The plaintext body of a message someone holds as a JSON object's text (an SDK's message
    /// type serialized), in a format; `None` when the text is not a JSON object.
    pub fn render_json_text(json: &str, format: Format) -> Option<String> {
        match serde_json::from_str::<Value>(json).ok()? {
            Value::Object(fields) => Some(Message::from_json(&fields).render(format)),
            _ => None,
        }
    }

    /// A document of exactly these fields (an envelope, a fixture rebuilt).
    pub fn from_fields(fields: Vec<(String, Node)>) -> Message {
        Message { fields }
    }

    /// A text message: `Content`, then `MsgId` (§8.4's order).
    pub fn text(to: &str, from: &str, create_time: u64, content: &str, msg_id: u64) -> Message {
        Message::new(to, from, create_time, "text").with_text("Content", content).with_number("MsgId", msg_id)
    }

    /// An event (`MsgType` `event`); events carry no `MsgId`.
    pub fn event(to: &str, from: &str, create_time: u64, event: &str) -> Message {
        Message::new(to, from, create_time, "event").with_text("Event", event)
    }

    /// Sets a field: replaced where it is, or added at the end.
    pub fn with(mut self, name: &str, node: Node) -> Message {
        match self.fields.iter_mut().find(|(n, _)| n == name) {
            Some((_, value)) => *value = node,
            None => self.fields.push((name.to_string(), node)),
        }
        self
    }

    pub fn with_text(self, name: &str, value: impl Into<String>) -> Message {
        self.with(name, Node::Text(value.into()))
    }

    pub fn with_number(self, name: &str, value: u64) -> Message {
        self.with(name, Node::number(value))
    }

    pub fn without(mut self, name: &str) -> Message {
        self.fields.retain(|(n, _)| n != name);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Node> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A text or number field as text.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        match self.get(name)? {
            Node::Text(s) | Node::Number(s) => Some(s),
            _ => None,
        }
    }

    pub fn to_user_name(&self) -> &str {
        self.text_of("ToUserName").unwrap_or_default()
    }

    pub fn from_user_name(&self) -> &str {
        self.text_of("FromUserName").unwrap_or_default()
    }

    pub fn create_time(&self) -> u64 {
        self.text_of("CreateTime").and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    pub fn msg_id(&self) -> Option<u64> {
        self.text_of("MsgId").and_then(|s| s.parse().ok())
    }

    pub fn fields(&self) -> &[(String, Node)] {
        &self.fields
    }

    /// The plaintext body in a format.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Xml => xml_write::document(&self.fields),
            Format::Json => json_object(&self.fields),
        }
    }
}

/// A JSON object with the fields in order (serde_json's map would sort them); a repeated name
/// becomes one array where it first appears.
fn json_object(fields: &[(String, Node)]) -> String {
    let mut out = String::from("{");
    let mut done: Vec<&str> = Vec::new();
    for (name, _) in fields {
        if done.contains(&name.as_str()) {
            continue;
        }
        done.push(name);
        if !out.ends_with('{') {
            out.push(',');
        }
        out.push_str(&json_string(name));
        out.push(':');
        let same: Vec<&Node> = fields.iter().filter(|(n, _)| n == name).map(|(_, v)| v).collect();
        match same.as_slice() {
            [one] => json_value(&mut out, one),
            many => json_array(&mut out, many.iter().copied()),
        }
    }
    out.push('}');
    out
}

fn json_value(out: &mut String, node: &Node) {
    match node {
        Node::Text(text) => out.push_str(&json_string(text)),
        Node::Number(digits) => out.push_str(digits),
        Node::Group(children) => out.push_str(&json_object(children)),
        Node::Items(items) => json_array(out, items.iter()),
    }
}

fn json_array<'a>(out: &mut String, nodes: impl Iterator<Item = &'a Node>) {
    out.push('[');
    for (i, node) in nodes.enumerate() {
        if i > 0 {
            out.push(',');
        }
        json_value(out, node);
    }
    out.push(']');
}

/// A JSON string literal; serde_json leaves non-ASCII unescaped, as WeChat wants (§1, 40033).
fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn json_keeps_the_order_and_big_msg_ids_exact() {
        let msg = Message::text("gh_1", "oUser", 1482048670, "this is a test", 22824453888015488);
        let body = msg.render(Format::Json);
        assert_eq!(
            body,
            r#"{"ToUserName":"gh_1","FromUserName":"oUser","CreateTime":1482048670,"MsgType":"text","Content":"this is a test","MsgId":22824453888015488}"#
        );
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["MsgId"].as_u64(), Some(22824453888015488));
    }

    #[test]
    fn repeated_names_and_items_are_json_arrays() {
        let list = |id: &str| Node::Group(vec![("TemplateId".into(), Node::text(id))]);
        let msg = Message::event("gh_1", "oUser", 1, "subscribe_msg_popup_event")
            .with("SubscribeMsgPopupEvent", Node::Group(vec![("List".into(), list("a")), ("List".into(), list("b"))]))
            .with("PicList", Node::Items(vec![list("c")]));
        let v: Value = serde_json::from_str(&msg.render(Format::Json)).unwrap();
        assert_eq!(v["SubscribeMsgPopupEvent"]["List"], json!([{"TemplateId": "a"}, {"TemplateId": "b"}]));
        assert_eq!(v["PicList"], json!([{"TemplateId": "c"}]));
    }

    #[test]
    fn fields_are_replaced_in_place_and_removed() {
        let msg = Message::event("gh_1", "oUser", 1, "user_enter_tempsession")
            .with_text("SessionFrom", "card")
            .with_text("Event", "subscribe")
            .without("SessionFrom");
        let names: Vec<&str> = msg.fields().iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Event"]);
        assert_eq!(msg.text_of("Event"), Some("subscribe"));
        assert_eq!(msg.msg_id(), None);
    }
}
