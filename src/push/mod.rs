//! Message push (§8): the webhook, from a signed request to a typed message, its passive reply,
//! and the exactly-once handling of what runs after the answer.
//!
//! Pure (no `worker` types, unit-tested natively):
//! - [`pipeline`]: [`open_push`] (signature → timestamp window → format → decrypt → parse) and
//!   [`verify_echo`] for the URL check; [`PushError`] says which HTTP status fits.
//! - [`query`]: the query parameters of a push, parsed from a raw query string.
//! - [`message`]: [`PushMessage`], its JSON form with WeChat's field names, and the dedupe key.
//! - [`xml`]: a strict reader for WeChat's flat `<xml>` documents and the CDATA writer.
//! - `parse`: the pipeline's XML and JSON body readers, straight into the typed message.
//! - [`reply`]: `transfer_customer_service`, text and encrypted replies.
//! - [`msg_crypt`]: WXBizMsgCrypt, AES-256-CBC with 32-byte PKCS#7 and the app id trailer (§8.5).
//! - [`signature`]: `signature` and `msg_signature`.
//! - [`engine`]: the SHA-1 and AES-256-CBC the pipeline runs on: software natively, the
//!   runtime's WebCrypto in the Worker (`webcrypto`), one pipeline for both.
//! - [`ledger`]: the claim call, ledger shards and the outbox's backoff.
//! - [`rules`]: what a push is answered with, and the actions that run after the answer.
//!
//! The Worker (wasm32 only): `handler` (GET and POST `/wechat/push`), `ledger_do` (the push
//! ledger Durable Object: exactly-once claims and the durable outbox) and `actions` (the
//! customer-service sends and forwards the outbox runs).

pub mod engine;
pub mod ledger;
pub mod message;
pub mod msg_crypt;
mod parse;
pub mod pipeline;
pub mod query;
pub mod reply;
pub mod rules;
pub mod signature;
pub mod xml;

#[cfg(target_arch = "wasm32")]
mod actions;
#[cfg(all(target_arch = "wasm32", feature = "bench"))]
pub mod bench;
#[cfg(target_arch = "wasm32")]
pub mod handler;
#[cfg(target_arch = "wasm32")]
pub mod ledger_do;
#[cfg(target_arch = "wasm32")]
pub mod webcrypto;

#[cfg(test)]
mod tests;

pub use message::PushMessage;
pub use pipeline::{open_push, open_push_with, verify_echo, Incoming, PushError, PushSecrets};
pub use query::{parse_query, PushQuery};
pub use reply::{encrypt_reply, text_reply, transfer_reply};

/// The data format configured in the admin console; replies must use the same one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Xml,
    Json,
}

impl Format {
    /// Detects the format from the first non-whitespace byte (after an optional UTF-8 BOM),
    /// because WeChat's Content-Type for JSON pushes is not documented.
    pub fn detect(body: &[u8]) -> Option<Format> {
        let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
        match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'<') => Some(Format::Xml),
            Some(b'{') => Some(Format::Json),
            _ => None,
        }
    }

    /// The Content-Type a reply in this format should carry.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "text/xml; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
        }
    }
}

/// The encryption mode, as detected from the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// No `Encrypt` field.
    Plain,
    /// Plaintext fields and `Encrypt` in the same body.
    Compatible,
    /// Only `ToUserName` and `Encrypt`.
    Safe,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A JSON string literal; serializing a `&str` cannot fail, so this needs no error path.
fn json_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}
