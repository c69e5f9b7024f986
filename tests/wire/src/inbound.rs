//! The receiving end of a push (wechat-api.md §8.2–8.5), as a test webhook standing in for the
//! worker reads it: `signature` first, then the format from the body, then — when the query
//! says `encrypt_type=aes` — `msg_signature` over `Encrypt` and the decryption, whose message
//! is the one that counts (in compatible mode the plaintext copy is not trusted).

use super::sign::{msg_signature, push_signature, same_hex};
use super::{read_fields, text_field, u64_field, CipherError, Format, Mode, PushCipher};
use serde_json::{Map, Value};

/// A push that passed every check.
#[derive(Clone, Debug, PartialEq)]
pub struct Inbound {
    pub format: Format,
    pub mode: Mode,
    /// The message's fields (decrypted when the push was encrypted).
    pub fields: Map<String, Value>,
}

impl Inbound {
    pub fn text(&self, name: &str) -> Option<String> {
        text_field(&self.fields, name)
    }

    pub fn number(&self, name: &str) -> Option<u64> {
        u64_field(&self.fields, name)
    }
}

/// Why a push was refused, with the status a webhook answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A query parameter the check needs is missing.
    MissingParam(&'static str),
    /// `signature` or `msg_signature` does not match the token.
    BadSignature,
    /// Neither an `<xml>` document nor a JSON object, or an encrypted push without `Encrypt`.
    BadBody,
    /// The push is encrypted but this end has no key.
    NoKey,
    /// `Encrypt` does not decrypt to a message.
    DecryptFailed,
    /// `Encrypt` decrypts, but for another app.
    AppidMismatch,
}

impl Refusal {
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::MissingParam(_) => "missing_param",
            Refusal::BadSignature => "bad_signature",
            Refusal::BadBody => "bad_body",
            Refusal::NoKey => "no_key",
            Refusal::DecryptFailed => "decrypt_failed",
            Refusal::AppidMismatch => "appid_mismatch",
        }
    }

    pub fn status(&self) -> u16 {
        match self {
            Refusal::BadSignature => 401,
            Refusal::NoKey => 500,
            _ => 400,
        }
    }
}

/// The query's pairs, percent-decoded.
pub fn query_pairs(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes()).into_owned().collect()
}

fn param<'a>(query: &'a [(String, String)], name: &'static str) -> Result<&'a str, Refusal> {
    query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).ok_or(Refusal::MissingParam(name))
}

/// The URL check: the `echostr` to answer, when `signature` matches.
pub fn echo(token: &str, query: &[(String, String)]) -> Result<String, Refusal> {
    check_signature(token, query)?;
    Ok(param(query, "echostr")?.to_string())
}

fn check_signature(token: &str, query: &[(String, String)]) -> Result<(), Refusal> {
    let expected = push_signature(token, param(query, "timestamp")?, param(query, "nonce")?);
    if same_hex(&expected, param(query, "signature")?) {
        Ok(())
    } else {
        Err(Refusal::BadSignature)
    }
}

/// Checks and opens one push.
pub fn open(token: &str, cipher: Option<&PushCipher>, query: &[(String, String)], body: &[u8]) -> Result<Inbound, Refusal> {
    check_signature(token, query)?;
    let text = std::str::from_utf8(body).map_err(|_| Refusal::BadBody)?;
    let format = match text.trim_start().as_bytes().first() {
        Some(b'<') => Format::Xml,
        Some(b'{') => Format::Json,
        _ => return Err(Refusal::BadBody),
    };
    let fields = read_fields(format, text).ok_or(Refusal::BadBody)?;
    let encrypted = query.iter().any(|(k, v)| k == "encrypt_type" && v == "aes");
    if !encrypted {
        return Ok(Inbound { format, mode: Mode::Plain, fields });
    }
    let sealed = text_field(&fields, "Encrypt").ok_or(Refusal::BadBody)?;
    let expected = msg_signature(token, param(query, "timestamp")?, param(query, "nonce")?, &sealed);
    if !same_hex(&expected, param(query, "msg_signature")?) {
        return Err(Refusal::BadSignature);
    }
    // Safe mode hides everything but the addressee (§8.5).
    let mode = if fields.keys().all(|k| k == "ToUserName" || k == "Encrypt") { Mode::Safe } else { Mode::Compatible };
    let cipher = cipher.ok_or(Refusal::NoKey)?;
    let message = cipher.decrypt(&sealed).map_err(|e| match e {
        CipherError::AppidMismatch => Refusal::AppidMismatch,
        _ => Refusal::DecryptFailed,
    })?;
    let fields = read_fields(format, &message).ok_or(Refusal::DecryptFailed)?;
    Ok(Inbound { format, mode, fields })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{seal, Message, Sealing};

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    fn sealed(mode: Mode, format: Format, cipher: &PushCipher) -> (Vec<(String, String)>, String) {
        let msg = Message::text("gh_1", "oUser", 100, "hi", 9_007_199_254_740_993);
        let how = Sealing { format, mode, token: "tok", cipher: Some(cipher), timestamp: "100", nonce: "42", random16: [1; 16] };
        let s = seal(&msg.render(format), "gh_1", &how).unwrap();
        (query_pairs(&s.query), s.body)
    }

    #[test]
    fn every_mode_and_format_opens_to_the_same_message() {
        let cipher = PushCipher::new(KEY, "wx1").unwrap();
        for format in [Format::Xml, Format::Json] {
            for mode in [Mode::Plain, Mode::Compatible, Mode::Safe] {
                let (query, body) = sealed(mode, format, &cipher);
                let inbound = open("tok", Some(&cipher), &query, body.as_bytes()).unwrap();
                assert_eq!((inbound.format, inbound.mode), (format, mode));
                assert_eq!(inbound.number("MsgId"), Some(9_007_199_254_740_993));
                assert_eq!(inbound.text("Content").as_deref(), Some("hi"));
            }
        }
    }

    #[test]
    fn forgeries_and_other_apps_are_refused() {
        let cipher = PushCipher::new(KEY, "wx1").unwrap();
        let other = PushCipher::new(KEY, "wx2").unwrap();
        let (query, body) = sealed(Mode::Safe, Format::Xml, &cipher);
        assert_eq!(open("bad", Some(&cipher), &query, body.as_bytes()), Err(Refusal::BadSignature));
        assert_eq!(open("tok", Some(&other), &query, body.as_bytes()), Err(Refusal::AppidMismatch));
        assert_eq!(open("tok", Some(&cipher), &query, b"hello"), Err(Refusal::BadBody));
        assert_eq!(open("tok", Some(&cipher), &query[..1], body.as_bytes()), Err(Refusal::MissingParam("timestamp")));
    }
}
