//! What WeChat makes of the webhook's answer (§8.6, §15.17–18): `success` or nothing, a
//! `transfer_customer_service` reply, a text reply, or something it cannot use — in the
//! configured format, and encrypted in safe mode (checked against `MsgSignature` first).

use crate::wire::{msg_signature, read_fields, same_hex, text_field, Format, Mode, PushCipher};
use serde_json::{Map, Value};

/// What the user sees when the webhook times out, fails or answers nonsense (§8.6).
pub const FAILURE_NOTICE: &str = "该小程序客服暂时无法提供服务，请稍后再试";

/// WeChat's reading of one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// `success` or an empty body: received, no reply.
    Success,
    /// Hand the session to the web customer-service tool.
    Transfer,
    /// A passive text reply the user sees.
    TextReply(String),
    /// Anything else; says why.
    Abnormal(String),
}

impl Verdict {
    pub fn name(&self) -> &'static str {
        match self {
            Verdict::Success => "success",
            Verdict::Transfer => "transfer",
            Verdict::TextReply(_) => "text_reply",
            Verdict::Abnormal(_) => "abnormal",
        }
    }
}

/// The push configuration and addressing a reply is judged against.
pub struct ReplyContext<'a> {
    pub format: Format,
    pub mode: Mode,
    pub token: &'a str,
    pub aes_key: Option<&'a str>,
    pub appid: &'a str,
    /// The user the push came from (unknown for a raw body).
    pub openid: Option<&'a str>,
    pub to_user_name: &'a str,
}

/// Reads a 2xx answer the way WeChat does.
pub fn classify(ctx: &ReplyContext<'_>, body: &str) -> Verdict {
    // WeChat documents the literal `success` and a 0-byte body; nothing is trimmed.
    if body.is_empty() || body == "success" {
        return Verdict::Success;
    }
    let format = match ctx.format {
        Format::Xml => "XML",
        Format::Json => "JSON",
    };
    let Some(mut fields) = read_fields(ctx.format, body) else {
        return Verdict::Abnormal(format!("the reply is not `success`, empty, or an {format} document (the configured format)"));
    };
    match fields.remove("Encrypt") {
        Some(encrypt) => match open_encrypted(ctx, &fields, encrypt) {
            Ok(inner) => classify_plain(ctx, &inner),
            Err(why) => Verdict::Abnormal(why),
        },
        // Safe mode hides everything but the addressee, so WeChat expects the reply hidden too.
        None if ctx.mode == Mode::Safe => {
            Verdict::Abnormal("safe mode needs an encrypted reply (Encrypt, MsgSignature, TimeStamp, Nonce)".into())
        }
        None => classify_plain(ctx, &fields),
    }
}

/// Checks `MsgSignature` over (token, TimeStamp, Nonce, Encrypt), then decrypts.
fn open_encrypted(ctx: &ReplyContext<'_>, fields: &Map<String, Value>, encrypt: Value) -> Result<Map<String, Value>, String> {
    let Value::String(encrypt) = encrypt else {
        return Err("Encrypt is not a string".into());
    };
    let key = ctx.aes_key.ok_or("an encrypted reply although the push is in plaintext mode")?;
    let missing = |name: &str| format!("the encrypted reply has no {name}");
    let signature = text_field(fields, "MsgSignature").ok_or_else(|| missing("MsgSignature"))?;
    let timestamp = text_field(fields, "TimeStamp").ok_or_else(|| missing("TimeStamp"))?;
    let nonce = text_field(fields, "Nonce").ok_or_else(|| missing("Nonce"))?;
    let expected = msg_signature(ctx.token, &timestamp, &nonce, &encrypt);
    if !same_hex(&expected, &signature) {
        return Err("MsgSignature does not match the Token".into());
    }
    let cipher = PushCipher::new(key, ctx.appid).map_err(|e| e.to_string())?;
    let inner = cipher.decrypt(&encrypt).map_err(|e| format!("Encrypt does not decrypt: {e}"))?;
    read_fields(ctx.format, &inner).ok_or_else(|| "the decrypted reply is not a document in the configured format".into())
}

fn classify_plain(ctx: &ReplyContext<'_>, fields: &Map<String, Value>) -> Verdict {
    let msg_type = text_field(fields, "MsgType").unwrap_or_default();
    let verdict = match msg_type.as_str() {
        "transfer_customer_service" => Verdict::Transfer,
        "text" => match text_field(fields, "Content") {
            Some(content) => Verdict::TextReply(content),
            None => return Verdict::Abnormal("a text reply without Content".into()),
        },
        "" => return Verdict::Abnormal("the reply has no MsgType".into()),
        other => return Verdict::Abnormal(format!("MsgType {other:?} is not a passive reply")),
    };
    // A reply goes back the way the push came: to the user, from the mini program (§8.6).
    let to = text_field(fields, "ToUserName");
    if let Some(openid) = ctx.openid {
        if to.as_deref() != Some(openid) {
            return Verdict::Abnormal("ToUserName is not the user who wrote".into());
        }
    }
    if text_field(fields, "FromUserName").as_deref() != Some(ctx.to_user_name) {
        return Verdict::Abnormal("FromUserName is not the mini program's original id".into());
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::reply::{encrypt as encrypt_reply, text as text_reply, transfer as transfer_reply};

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    fn ctx(format: Format, mode: Mode) -> ReplyContext<'static> {
        ReplyContext { format, mode, token: "tok", aes_key: Some(KEY), appid: "wx1", openid: Some("oUser"), to_user_name: "gh_1" }
    }

    #[test]
    fn success_and_an_empty_body_mean_received() {
        let ctx = ctx(Format::Xml, Mode::Plain);
        assert_eq!(classify(&ctx, ""), Verdict::Success);
        assert_eq!(classify(&ctx, "success"), Verdict::Success);
        assert!(matches!(classify(&ctx, "success\n"), Verdict::Abnormal(_)));
    }

    #[test]
    fn a_transfer_in_the_configured_format_is_recognised() {
        let xml = transfer_reply(Format::Xml, "oUser", "gh_1", 1);
        let json = transfer_reply(Format::Json, "oUser", "gh_1", 1);
        assert_eq!(classify(&ctx(Format::Xml, Mode::Plain), &xml), Verdict::Transfer);
        assert_eq!(classify(&ctx(Format::Json, Mode::Compatible), &json), Verdict::Transfer);
        assert!(matches!(classify(&ctx(Format::Json, Mode::Plain), &xml), Verdict::Abnormal(_)));
    }

    #[test]
    fn an_encrypted_reply_is_checked_and_opened() {
        let cipher = PushCipher::new(KEY, "wx1").unwrap();
        let plain = text_reply(Format::Json, "oUser", "gh_1", 1, "hello");
        let sealed = encrypt_reply(Format::Json, &cipher, "tok", &plain, 7, "n1", [5; 16]);
        let forged = encrypt_reply(Format::Json, &cipher, "other", &plain, 7, "n1", [5; 16]);
        let safe = ctx(Format::Json, Mode::Safe);
        assert_eq!(classify(&safe, &sealed), Verdict::TextReply("hello".into()));
        assert!(matches!(classify(&safe, &forged), Verdict::Abnormal(_)));
        assert!(matches!(classify(&safe, &plain), Verdict::Abnormal(_)));
    }

    #[test]
    fn a_reply_to_someone_else_is_abnormal() {
        let xml = transfer_reply(Format::Xml, "oOther", "gh_1", 1);
        let news = "<xml><ToUserName>oUser</ToUserName><FromUserName>gh_1</FromUserName><MsgType>news</MsgType></xml>";
        let ctx = ctx(Format::Xml, Mode::Plain);
        assert!(matches!(classify(&ctx, &xml), Verdict::Abnormal(_)));
        assert!(matches!(classify(&ctx, news), Verdict::Abnormal(_)));
    }
}
