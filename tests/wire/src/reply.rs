//! Passive replies (wechat-api.md §8.6, wechat-oa.md §8): `transfer_customer_service` and a
//! text reply in the push's format, the encrypted reply of safe mode (`Encrypt`,
//! `MsgSignature`, `TimeStamp`, `Nonce`), and reading any of them back the way WeChat does —
//! the signature checked before anything is decrypted.

use super::message::{Message, Node};
use super::sign::{msg_signature, same_hex};
use super::{read_fields, text_field, Format, PushCipher};
use serde_json::{Map, Value};
use std::fmt;

/// Hands the session to the web customer-service tool: to the user, from the account.
pub fn transfer(format: Format, to_user: &str, from_account: &str, create_time: u64) -> String {
    Message::new(to_user, from_account, create_time, "transfer_customer_service").render(format)
}

/// A passive text reply (official accounts).
pub fn text(format: Format, to_user: &str, from_account: &str, create_time: u64, content: &str) -> String {
    Message::new(to_user, from_account, create_time, "text").with_text("Content", content).render(format)
}

/// A reply sealed for safe mode: `MsgSignature` over (token, TimeStamp, Nonce, Encrypt).
pub fn encrypt(
    format: Format,
    cipher: &PushCipher,
    token: &str,
    plain: &str,
    timestamp: u64,
    nonce: &str,
    random16: [u8; 16],
) -> String {
    let sealed = cipher.encrypt(plain, random16);
    let signature = msg_signature(token, &timestamp.to_string(), nonce, &sealed);
    let fields = vec![
        ("Encrypt".to_string(), Node::text(sealed)),
        ("MsgSignature".to_string(), Node::text(signature)),
        ("TimeStamp".to_string(), Node::number(timestamp)),
        ("Nonce".to_string(), Node::text(nonce)),
    ];
    Message::from_fields(fields).render(format)
}

/// Why a reply could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyError(pub String);

impl fmt::Display for ReplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReplyError {}

/// The fields of a reply document; an encrypted one is checked and opened (once: a reply is
/// never encrypted twice).
pub fn open_reply(
    format: Format,
    body: &str,
    token: &str,
    cipher: Option<&PushCipher>,
) -> Result<Map<String, Value>, ReplyError> {
    let name = match format {
        Format::Xml => "an XML document",
        Format::Json => "a JSON object",
    };
    let fields = read_fields(format, body).ok_or_else(|| ReplyError(format!("the reply is not {name} (the push's format)")))?;
    let Some(sealed) = fields.get("Encrypt") else {
        return Ok(fields);
    };
    let Value::String(sealed) = sealed else {
        return Err(ReplyError("Encrypt is not a string".into()));
    };
    let cipher = cipher.ok_or_else(|| ReplyError("an encrypted reply to a plaintext push".into()))?;
    let missing = |field: &str| ReplyError(format!("the encrypted reply has no {field}"));
    let signature = text_field(&fields, "MsgSignature").ok_or_else(|| missing("MsgSignature"))?;
    let timestamp = text_field(&fields, "TimeStamp").ok_or_else(|| missing("TimeStamp"))?;
    let nonce = text_field(&fields, "Nonce").ok_or_else(|| missing("Nonce"))?;
    if !same_hex(&msg_signature(token, &timestamp, &nonce, sealed), &signature) {
        return Err(ReplyError("MsgSignature does not match the Token".into()));
    }
    let inner = cipher.decrypt(sealed).map_err(|e| ReplyError(format!("Encrypt does not decrypt: {e}")))?;
    read_fields(format, &inner).ok_or_else(|| ReplyError(format!("the decrypted reply is not {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn an_encrypted_reply_opens_with_the_right_token_only() {
        let cipher = PushCipher::new(KEY, "wx1").unwrap();
        for format in [Format::Xml, Format::Json] {
            let plain = text(format, "oUser", "gh_1", 7, "你好");
            let sealed = encrypt(format, &cipher, "tok", &plain, 7, "n1", [5; 16]);
            let fields = open_reply(format, &sealed, "tok", Some(&cipher)).unwrap();
            assert_eq!(fields["Content"], "你好", "{format:?}");
            assert!(open_reply(format, &sealed, "other", Some(&cipher)).is_err());
            assert!(open_reply(format, &sealed, "tok", None).is_err());
        }
    }

    #[test]
    fn the_json_envelope_has_wechats_four_fields_in_order() {
        let cipher = PushCipher::new(KEY, "wx1").unwrap();
        let sealed = encrypt(Format::Json, &cipher, "tok", "{}", 1713424427, "415670741", [0; 16]);
        assert!(sealed.starts_with("{\"Encrypt\":\""), "{sealed}");
        assert!(sealed.ends_with(",\"TimeStamp\":1713424427,\"Nonce\":\"415670741\"}"), "{sealed}");
    }

    #[test]
    fn a_transfer_is_addressed_to_the_user_from_the_account() {
        let fields = open_reply(Format::Xml, &transfer(Format::Xml, "oUser", "gh_1", 9), "tok", None).unwrap();
        assert_eq!(fields["MsgType"], "transfer_customer_service");
        assert_eq!((&fields["ToUserName"], &fields["FromUserName"]), (&Value::from("oUser"), &Value::from("gh_1")));
    }
}
