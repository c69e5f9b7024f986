//! A push message with typed fields (§8.4), its JSON form with WeChat's field names, and the
//! dedupe key that makes redeliveries harmless.

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

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

/// The text fields in the order [`PushMessage::from_map`] reads (and checks) them.
const TEXT_FIELDS: [&str; 15] = [
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
    name == "MsgId" || name == "MsgID" || name == "CreateTime" || TEXT_FIELDS.contains(&name)
}

impl PushMessage {
    /// Builds a message from a body's fields (from the XML reader or a JSON object).
    /// Errors name the field, never its value; they are checked in a fixed order (the required
    /// fields first), whatever order the body used.
    pub fn from_map(map: Map<String, Value>) -> Result<Self, String> {
        // One pass over the body, each value moved to its slot (no lookups, no removals).
        let mut slots: [Option<Value>; TEXT_FIELDS.len()] = Default::default();
        let (mut create_time, mut msg_id) = (None, None);
        let mut msg_id_name = MsgIdName::MsgId;
        let mut extra = Map::new();
        for (name, value) in map {
            match TEXT_FIELDS.iter().position(|field| *field == name) {
                Some(i) => slots[i] = Some(value),
                None if name == "CreateTime" => create_time = Some(value),
                // Template and mass-send results spell it `MsgID`; one push carries one of them.
                None if (name == "MsgId" || name == "MsgID") && msg_id.is_some() => {
                    return Err("the push repeats MsgId".to_owned());
                }
                None if name == "MsgId" || name == "MsgID" => {
                    msg_id_name = if name == "MsgID" { MsgIdName::MsgID } else { MsgIdName::MsgId };
                    msg_id = Some(value);
                }
                None => {
                    extra.insert(name, value);
                }
            }
        }
        let mut texts = slots.into_iter().zip(TEXT_FIELDS).map(|(value, name)| text_value(name, value));
        let mut next = || texts.next().unwrap_or(Ok(None));
        let to_user_name = next()?.ok_or("the push has no ToUserName")?;
        let from_user_name = next()?.ok_or("the push has no FromUserName")?;
        let msg_type = next()?.ok_or("the push has no MsgType")?;
        let (content, pic_url, media_id, title) = (next()?, next()?, next()?, next()?);
        let (app_id, page_path, thumb_url, thumb_media_id) = (next()?, next()?, next()?, next()?);
        let (event, session_from, event_key, ticket) = (next()?, next()?, next()?, next()?);
        let create_time = u64_value("CreateTime", create_time)?.ok_or("the push has no CreateTime")?;
        let msg_id = u64_value("MsgId", msg_id)?;
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
            extra,
        })
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

/// XML carries integers as text and some senders quote JSON numbers, so both are accepted; a
/// JSON number is read as an integer (serde_json keeps u64 exact), never as a float.
/// A text field's value: a string, or digits (an `EventKey` of digits is kept as text).
fn text_value(name: &str, value: Option<Value>) -> Result<Option<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{name} must be a string")),
    }
}

/// An integer field's value, from a JSON number or the digits of an XML element.
fn u64_value(name: &str, value: Option<Value>) -> Result<Option<u64>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| format!("{name} must be a non-negative integer")),
        Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| format!("{name} must be a non-negative integer")),
        Some(_) => Err(format!("{name} must be an integer")),
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

impl<'de> Deserialize<'de> for PushMessage {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = Map::deserialize(deserializer)?;
        PushMessage::from_map(map).map_err(D::Error::custom)
    }
}
