//! WeChat's message push on the wire (wechat-api.md §8, wechat-oa.md §7–8), written from the
//! protocol documents and nothing else: this crate shares no code with the worker, so an
//! end-to-end test fails when either side reads the documents wrongly.
//!
//! - [`sign`]: `signature` and `msg_signature` (sha1 over the sorted parts).
//! - [`cipher`]: the AES-256-CBC envelope with 32-byte PKCS#7 and the app id trailer.
//! - [`xml_write`] / [`xml_read`]: WeChat's `<xml>` documents (CDATA, nesting, `item` lists).
//! - [`message`]: a push message builder, rendered as XML or JSON.
//! - [`envelope`]: compatible and safe bodies, and a signed push ready to POST.
//! - [`reply`]: passive replies — building them (as a webhook would) and reading them (as
//!   WeChat does), encrypted ones included.
//! - [`inbound`]: the receiving side of a push, for test webhooks that stand in for a worker.
//! - [`fixture`]: the corpus of documented push samples under `tests/fixtures/push`.

pub mod cipher;
pub mod envelope;
pub mod fixture;
pub mod inbound;
pub mod message;
pub mod reply;
pub mod sign;
pub mod xml_read;
pub mod xml_write;

pub use cipher::{CipherError, PushCipher};
pub use envelope::{seal, wrap, Sealed, Sealing};
pub use message::{Message, Node};
pub use reply::{open_reply, ReplyError};
pub use sign::{msg_signature, push_signature, same_hex, sha1_sorted};

use serde_json::{Map, Value};

/// The data format chosen in the admin console (§8.1): XML is the default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    /// The Content-Type a push in this format carries (§8.3: SDKs look for `text/xml`).
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml",
            Format::Json => "application/json",
        }
    }
}

/// The encryption mode chosen in the admin console (§8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    /// 明文: plaintext only.
    Plain,
    /// 兼容: the plaintext fields and `Encrypt` in one body.
    Compatible,
    /// 安全: `ToUserName` and `Encrypt` only.
    Safe,
}

/// The top-level fields of an XML document or a JSON object; None when the body is neither.
pub fn read_fields(format: Format, body: &str) -> Option<Map<String, Value>> {
    match format {
        Format::Xml => xml_read::read_document(body.as_bytes()).ok(),
        Format::Json => match serde_json::from_str(body) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        },
    }
}

/// A field as text: JSON numbers (a `TimeStamp`, a `CreateTime`) are read as their digits.
pub fn text_field(fields: &Map<String, Value>, name: &str) -> Option<String> {
    match fields.get(name)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A field as an exact integer, from a JSON number or digits (never through a float: `MsgId`s
/// exceed 2^53).
pub fn u64_field(fields: &Map<String, Value>, name: &str) -> Option<u64> {
    match fields.get(name)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
