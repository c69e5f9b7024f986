//! Message push (§8): the webhook's pure pipeline, from a signed request to a typed message,
//! and the passive replies. No `worker` types; the handler wires it to HTTP and storage.
//!
//! - [`pipeline`]: [`open_push`] (signature → timestamp window → format → decrypt → parse) and
//!   [`verify_echo`] for the URL check; [`PushError`] says which HTTP status fits.
//! - [`query`]: the query parameters of a push, parsed from a raw query string.
//! - [`message`]: [`PushMessage`], its JSON form with WeChat's field names, and the dedupe key.
//! - [`xml`]: a strict reader for WeChat's flat `<xml>` documents and the CDATA writer.
//! - [`reply`]: `transfer_customer_service`, text and encrypted replies.
//! - [`envelope`]: push bodies as WeChat builds them (plain, compatible, safe), for the simulator.

pub mod envelope;
pub mod message;
pub mod pipeline;
pub mod query;
pub mod reply;
pub mod xml;

#[cfg(test)]
mod tests;

pub use envelope::{build_envelope, build_plain_body, wrap_encrypted};
pub use message::PushMessage;
pub use pipeline::{open_push, verify_echo, Incoming, PushError, PushSecrets};
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
