//! A push message with typed fields (§8.4), its JSON form with WeChat's field names, and the
//! dedupe key that makes redeliveries harmless.

use super::parse::Parsed;
use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::borrow::Cow;

/// One push, whatever its format and mode. Fields WeChat sends that are not typed here (such as
/// `wxa_media_check`'s `trace_id` and `result`) are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PushMessage {
    pub to_user_name: String,
    pub from_user_name: String,
    pub create_time: u64,
    pub msg_type: String,
    /// Above 2^53 in real pushes, so never parsed through a float.
    pub msg_id: Option<u64>,
    pub content: Option<String>,
    pub pic_url: Option<String>,
    pub media_id: Option<String>,
    pub title: Option<String>,
    pub app_id: Option<String>,
    pub page_path: Option<String>,
    pub thumb_url: Option<String>,
    pub thumb_media_id: Option<String>,
    pub event: Option<String>,
    pub session_from: Option<String>,
    pub event_key: Option<String>,
    pub ticket: Option<String>,
    /// How the push spelled its message id, so the forwarded JSON keeps WeChat's name.
    pub msg_id_name: MsgIdName,
    pub extra: Map<String, Value>,
}

/// User messages carry `MsgId`; template and mass-send results spell it `MsgID`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MsgIdName {
    #[default]
    MsgId,
    #[allow(clippy::upper_case_acronyms)]
    MsgID,
}

/// A typed field's value, for the writers.
pub(crate) enum Field<'a> {
    Text(&'a str),
    Int(u64),
}

/// The text fields in the order [`MessageBuilder::build`] reads (and checks) them.
pub(crate) const TEXT_FIELDS: [&str; 15] = [
    "ToUserName",
    "FromUserName",
    "MsgType",
    "Content",
    "PicUrl",
    "MediaId",
    "Title",
    "AppId",
    "PagePath",
    "ThumbUrl",
    "ThumbMediaId",
    "Event",
    "SessionFrom",
    "EventKey",
    "Ticket",
];

fn is_typed(name: &str) -> bool {
    Typed::of(name).is_some()
}

/// A field with a typed slot in [`PushMessage`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Typed {
    /// `TEXT_FIELDS[i]`.
    Text(usize),
    CreateTime,
    /// `MsgId` or `MsgID`.
    MsgId(MsgIdName),
}

impl Typed {
    pub(crate) const TO_USER_NAME: Typed = Typed::Text(0);

    /// The typed field a body's field name is, if any.
    pub(crate) fn of(name: &str) -> Option<Typed> {
        Some(match name {
            "ToUserName" => Typed::Text(0),
            "FromUserName" => Typed::Text(1),
            "MsgType" => Typed::Text(2),
            "Content" => Typed::Text(3),
            "PicUrl" => Typed::Text(4),
            "MediaId" => Typed::Text(5),
            "Title" => Typed::Text(6),
            "AppId" => Typed::Text(7),
            "PagePath" => Typed::Text(8),
            "ThumbUrl" => Typed::Text(9),
            "ThumbMediaId" => Typed::Text(10),
            "Event" => Typed::Text(11),
            "SessionFrom" => Typed::Text(12),
            "EventKey" => Typed::Text(13),
            "Ticket" => Typed::Text(14),
            "CreateTime" => Typed::CreateTime,
            "MsgId" => Typed::MsgId(MsgIdName::MsgId),
            "MsgID" => Typed::MsgId(MsgIdName::MsgID),
            _ => return None,
        })
    }
}

/// What a body gave a text field (absent, or JSON `null`, is `None`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TextValue {
    /// A string, or a JSON number as its text (an `EventKey` of digits is kept as text).
    Text(String),
    /// Anything else: "must be a string".
    NotText,
}

impl TextValue {
    pub(crate) fn from_value(value: Value) -> Option<TextValue> {
        match value {
            Value::Null => None,
            Value::String(s) => Some(TextValue::Text(s)),
            Value::Number(n) => Some(TextValue::Text(n.to_string())),
            _ => Some(TextValue::NotText),
        }
    }
}

/// What a body gave an integer field (absent, or JSON `null`, is `None`). XML carries integers
/// as text and some senders quote JSON numbers, so both are accepted; a JSON number is read as
/// an integer (serde_json keeps u64 exact), never as a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntValue {
    Int(u64),
    /// A negative or fractional number, or text that is not digits: "must be a non-negative integer".
    NotNonNegative,
    /// Neither a number nor text: "must be an integer".
    NotInteger,
}

impl IntValue {
    pub(crate) fn from_value(value: Value) -> Option<IntValue> {
        match value {
            Value::Null => None,
            Value::Number(n) => Some(n.as_u64().map_or(IntValue::NotNonNegative, IntValue::Int)),
            Value::String(s) => Some(IntValue::from_digits(&s)),
            _ => Some(IntValue::NotInteger),
        }
    }

    /// The digits of an XML element or a quoted JSON number.
    pub(crate) fn from_digits(text: &str) -> IntValue {
        text.trim().parse::<u64>().map_or(IntValue::NotNonNegative, IntValue::Int)
    }
}

/// A message's fields as a body's reader finds them, each typed one in its slot and the rest in
/// `extra`; [`build`](Self::build) checks them. The one set of field rules behind every reader:
/// the pipeline's XML and JSON readers, [`PushMessage::from_map`] and `Deserialize`.
#[derive(Debug, Default)]
pub(crate) struct MessageBuilder {
    texts: [Option<TextValue>; TEXT_FIELDS.len()],
    create_time: Option<IntValue>,
    msg_id: Option<IntValue>,
    /// Which spellings of the message id the body used, `[MsgId, MsgID]`.
    msg_id_names: [bool; 2],
    pub(crate) extra: Map<String, Value>,
}

impl MessageBuilder {
    pub(crate) fn set_text(&mut self, index: usize, value: Option<TextValue>) {
        if let Some(slot) = self.texts.get_mut(index) {
            *slot = value;
        }
    }

    pub(crate) fn set_create_time(&mut self, value: Option<IntValue>) {
        self.create_time = value;
    }

    /// Template and mass-send results spell it `MsgID`; one push carries one of the two names.
    pub(crate) fn set_msg_id(&mut self, name: MsgIdName, value: Option<IntValue>) {
        self.msg_id_names[name as usize] = true;
        self.msg_id = value;
    }

    /// A typed field's JSON value (of a JSON body, or of a map's entry). A later value replaces
    /// an earlier one: a JSON object's last duplicate key wins, as in a `serde_json::Map`.
    pub(crate) fn set_value(&mut self, field: Typed, value: Value) {
        match field {
            Typed::Text(index) => self.set_text(index, TextValue::from_value(value)),
            Typed::CreateTime => self.set_create_time(IntValue::from_value(value)),
            Typed::MsgId(name) => self.set_msg_id(name, IntValue::from_value(value)),
        }
    }

    /// Whether the body already gave `field` (for the XML reader, where every element gives one).
    fn has(&self, field: Typed) -> bool {
        match field {
            Typed::Text(index) => self.texts.get(index).is_some_and(Option::is_some),
            Typed::CreateTime => self.create_time.is_some(),
            Typed::MsgId(name) => self.msg_id_names[name as usize],
        }
    }

    /// An XML leaf of a typed field. A repeated element is an array, which no typed field takes.
    pub(crate) fn add_text(&mut self, field: Typed, text: Cow<'_, str>) {
        if self.has(field) {
            return self.set_array(field);
        }
        match field {
            Typed::Text(index) => self.set_text(index, Some(TextValue::Text(text.into_owned()))),
            Typed::CreateTime => self.set_create_time(Some(IntValue::from_digits(&text))),
            Typed::MsgId(name) => self.set_msg_id(name, Some(IntValue::from_digits(&text))),
        }
    }

    /// An XML element with children (an object or a list) where a typed field was expected.
    pub(crate) fn add_value(&mut self, field: Typed, value: Value) {
        if self.has(field) {
            return self.set_array(field);
        }
        self.set_value(field, value);
    }

    /// The array a repeated XML element makes, which every typed field refuses.
    fn set_array(&mut self, field: Typed) {
        self.set_value(field, Value::Array(Vec::new()));
    }

    /// Checks the fields and builds the message. Errors name the field, never its value; they
    /// are checked in a fixed order (the required fields first), whatever order the body used.
    pub(crate) fn build(self) -> Result<PushMessage, String> {
        if self.msg_id_names == [true, true] {
            return Err("the push repeats MsgId".to_owned());
        }
        let mut texts = self.texts.into_iter().zip(TEXT_FIELDS).map(|(value, name)| text_value(name, value));
        let mut next = || texts.next().unwrap_or(Ok(None));
        let to_user_name = next()?.ok_or("the push has no ToUserName")?;
        let from_user_name = next()?.ok_or("the push has no FromUserName")?;
        let msg_type = next()?.ok_or("the push has no MsgType")?;
        let (content, pic_url, media_id, title) = (next()?, next()?, next()?, next()?);
        let (app_id, page_path, thumb_url, thumb_media_id) = (next()?, next()?, next()?, next()?);
        let (event, session_from, event_key, ticket) = (next()?, next()?, next()?, next()?);
        let create_time = u64_value("CreateTime", self.create_time)?.ok_or("the push has no CreateTime")?;
        let msg_id = u64_value("MsgId", self.msg_id)?;
        let msg_id_name = if self.msg_id_names[MsgIdName::MsgID as usize] { MsgIdName::MsgID } else { MsgIdName::MsgId };
        Ok(PushMessage {
            to_user_name,
            from_user_name,
            create_time,
            msg_type,
            msg_id,
            content,
            pic_url,
            media_id,
            title,
            app_id,
            page_path,
            thumb_url,
            thumb_media_id,
            event,
            session_from,
            event_key,
            ticket,
            msg_id_name,
            extra: self.extra,
        })
    }
}

impl PushMessage {
    /// Builds a message from a body's fields (a JSON object, or the XML reader's
    /// [`parse_document`](super::xml::parse_document)). Errors name the field, never its value;
    /// they are checked in a fixed order (the required fields first), whatever order the body
    /// used. The pipeline reads bodies straight into the typed fields instead (`push::parse`).
    pub fn from_map(map: Map<String, Value>) -> Result<Self, String> {
        let mut fields = MessageBuilder::default();
        for (name, value) in map {
            match Typed::of(&name) {
                Some(field) => fields.set_value(field, value),
                None => {
                    fields.extra.insert(name, value);
                }
            }
        }
        fields.build()
    }

    /// The storage key that identifies one push across WeChat's redeliveries (§8.6): messages by
    /// `MsgId`; events by sender, time and event name, and a digest of every other field, so
    /// that two distinct events of one user in one second (two `wxa_media_check` results with
    /// different `trace_id`s, two menu clicks with different `EventKey`s) do not merge, while a
    /// redelivery, which carries the same fields, still collides.
    pub fn dedupe_key(&self) -> String {
        match self.msg_id {
            Some(id) => format!("msg:{id}"),
            None => {
                let mut digest = Sha256::new();
                for (name, value) in self.fields().into_iter().skip(4) {
                    let text = match value {
                        Field::Text(t) => t.to_owned(),
                        Field::Int(n) => n.to_string(),
                    };
                    digest.update(name.as_bytes());
                    digest.update([0]);
                    digest.update(text.as_bytes());
                    digest.update([0]);
                }
                for (name, value) in self.extra_fields() {
                    digest.update(name.as_bytes());
                    digest.update([0]);
                    digest.update(value.to_string().as_bytes());
                    digest.update([0]);
                }
                let digest = hex::encode(digest.finalize());
                let event = self.event.as_deref().unwrap_or("");
                format!("evt:{}:{}:{event}:{}", self.from_user_name, self.create_time, &digest[..16])
            }
        }
    }

    /// [`dedupe_key`](Self::dedupe_key) as it may be logged: see [`loggable_key`].
    pub fn log_key(&self) -> String {
        loggable_key(&self.dedupe_key())
    }

    /// The JSON form with WeChat's field names, for forwarding to a business webhook.
    pub fn to_json(&self) -> String {
        // Serializing strings, integers and JSON values cannot fail; the fallback only keeps this
        // function total.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{}"))
    }

    /// Typed fields in WeChat's order, present ones only.
    pub(crate) fn fields(&self) -> Vec<(&'static str, Field<'_>)> {
        let mut fields = vec![
            ("ToUserName", Field::Text(&self.to_user_name)),
            ("FromUserName", Field::Text(&self.from_user_name)),
            ("CreateTime", Field::Int(self.create_time)),
            ("MsgType", Field::Text(&self.msg_type)),
        ];
        if let Some(id) = self.msg_id {
            let name = match self.msg_id_name {
                MsgIdName::MsgId => "MsgId",
                MsgIdName::MsgID => "MsgID",
            };
            fields.push((name, Field::Int(id)));
        }
        let optional = [
            ("Content", &self.content),
            ("PicUrl", &self.pic_url),
            ("MediaId", &self.media_id),
            ("Title", &self.title),
            ("AppId", &self.app_id),
            ("PagePath", &self.page_path),
            ("ThumbUrl", &self.thumb_url),
            ("ThumbMediaId", &self.thumb_media_id),
            ("Event", &self.event),
            ("SessionFrom", &self.session_from),
            ("EventKey", &self.event_key),
            ("Ticket", &self.ticket),
        ];
        fields.extend(optional.into_iter().filter_map(|(name, value)| Some((name, Field::Text(value.as_deref()?)))));
        fields
    }

    /// Extra fields, minus any that would duplicate a typed one.
    pub(crate) fn extra_fields(&self) -> impl Iterator<Item = (&String, &Value)> {
        self.extra.iter().filter(|(name, _)| !is_typed(name))
    }
}

/// A dedupe key for a log line: a message's `msg:<MsgId>` as is, an event's (which names the
/// user's openid) as a digest, so logs carry no openid by default.
pub fn loggable_key(key: &str) -> String {
    if key.starts_with("msg:") {
        return key.to_owned();
    }
    let digest = hex::encode(Sha256::digest(key.as_bytes()));
    format!("evt#{}", &digest[..16])
}

/// A text field's value, or why it is refused.
fn text_value(name: &str, value: Option<TextValue>) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(TextValue::Text(s)) => Ok(Some(s)),
        Some(TextValue::NotText) => Err(format!("{name} must be a string")),
    }
}

/// An integer field's value, or why it is refused.
fn u64_value(name: &str, value: Option<IntValue>) -> Result<Option<u64>, String> {
    match value {
        None => Ok(None),
        Some(IntValue::Int(n)) => Ok(Some(n)),
        Some(IntValue::NotNonNegative) => Err(format!("{name} must be a non-negative integer")),
        Some(IntValue::NotInteger) => Err(format!("{name} must be an integer")),
    }
}

impl Serialize for PushMessage {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        for (name, value) in self.fields() {
            match value {
                Field::Text(text) => map.serialize_entry(name, text)?,
                Field::Int(n) => map.serialize_entry(name, &n)?,
            }
        }
        for (name, value) in self.extra_fields() {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Read as the pipeline reads a JSON push: each field straight into its slot (`push::parse`).
impl<'de> Deserialize<'de> for PushMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Parsed::deserialize(deserializer)?.into_fields().build().map_err(D::Error::custom)
    }
}
