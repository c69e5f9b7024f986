//! Passive replies (§8.6), always in the push's own format: transfer to the web customer-service
//! tool, an official account's text reply, and the encrypted envelope of safe mode.

use super::xml::{push_int_element, push_text_element};
use super::{json_string, Format};
use crate::push::engine::{now_or_never, sorted_sha1_hex, Engine, Software};
use crate::push::msg_crypt::MsgCrypt;
use crate::shared::crypto::CryptoError;

/// `transfer_customer_service`: hands the session to the web customer-service tool.
/// `to_openid` is the user, `from_gh` the mini program's original id (`gh_...`).
pub fn transfer_reply(format: Format, to_openid: &str, from_gh: &str, create_time: u64) -> String {
    message_reply(format, to_openid, from_gh, create_time, "transfer_customer_service", None)
}

/// An official account's passive text reply.
pub fn text_reply(format: Format, to: &str, from: &str, create_time: u64, content: &str) -> String {
    message_reply(format, to, from, create_time, "text", Some(content))
}

fn message_reply(format: Format, to: &str, from: &str, create_time: u64, msg_type: &str, content: Option<&str>) -> String {
    match format {
        Format::Xml => {
            let mut out = String::with_capacity(160 + to.len() + from.len() + content.map_or(0, str::len));
            out.push_str("<xml>");
            push_text_element(&mut out, "ToUserName", to);
            push_text_element(&mut out, "FromUserName", from);
            push_int_element(&mut out, "CreateTime", create_time);
            push_text_element(&mut out, "MsgType", msg_type);
            if let Some(content) = content {
                push_text_element(&mut out, "Content", content);
            }
            out.push_str("</xml>");
            out
        }
        Format::Json => {
            let mut out = format!(
                r#"{{"ToUserName":{},"FromUserName":{},"CreateTime":{create_time},"MsgType":{}"#,
                json_string(to),
                json_string(from),
                json_string(msg_type)
            );
            if let Some(content) = content {
                out.push_str(&format!(r#","Content":{}"#, json_string(content)));
            }
            out.push('}');
            out
        }
    }
}

/// Wraps a plain reply for safe mode: `Encrypt`, its `MsgSignature`, `TimeStamp` and `Nonce`.
/// Time, nonce and randomness are arguments so the caller owns the clock and the RNG.
pub fn encrypt_reply(
    format: Format,
    crypt: &MsgCrypt,
    token: &str,
    plain_reply: &str,
    timestamp: u64,
    nonce: &str,
    random16: [u8; 16],
) -> String {
    let sealed = SealedReply { format, crypt, token, timestamp, nonce, random16 };
    // Software crypto cannot fail; the fallback only keeps this function total.
    now_or_never(sealed.seal(&Software, plain_reply)).and_then(Result::ok).unwrap_or_default()
}

/// What an encrypted reply is made with, besides the plain reply.
pub struct SealedReply<'a> {
    pub format: Format,
    pub crypt: &'a MsgCrypt,
    pub token: &'a str,
    pub timestamp: u64,
    pub nonce: &'a str,
    pub random16: [u8; 16],
}

impl SealedReply<'_> {
    /// [`encrypt_reply`] with AES and SHA-1 done by `engine`.
    pub async fn seal(&self, engine: &impl Engine, plain_reply: &str) -> Result<String, CryptoError> {
        let SealedReply { format, crypt, token, timestamp, nonce, random16 } = *self;
        let encrypt = crypt.seal_with(engine, plain_reply, random16).await?;
        let signature = sorted_sha1_hex(engine, &[token, &timestamp.to_string(), nonce, &encrypt]).await?;
        Ok(match format {
            Format::Xml => {
                let mut out = String::with_capacity(200 + encrypt.len() + nonce.len());
                out.push_str("<xml>");
                push_text_element(&mut out, "Encrypt", &encrypt);
                push_text_element(&mut out, "MsgSignature", &signature);
                push_int_element(&mut out, "TimeStamp", timestamp);
                push_text_element(&mut out, "Nonce", nonce);
                out.push_str("</xml>");
                out
            }
            Format::Json => format!(
                r#"{{"Encrypt":{},"MsgSignature":{},"TimeStamp":{timestamp},"Nonce":{}}}"#,
                json_string(&encrypt),
                json_string(&signature),
                json_string(nonce)
            ),
        })
    }
}
