//! Builds pushes exactly as WeChat signs and encrypts them, and reads passive replies, for the
//! push tests that drive the webhook directly (the simulator's `/_sim/push` drives it too).
#![allow(dead_code)]

use super::{TestApp, AES_KEY, APPID, PUSH_TOKEN};
use serde_json::Value;
use wechat_edge::crypto::signature::{msg_signature, push_signature};
use wechat_edge::crypto::MsgCrypt;
use wechat_edge::push::xml::parse_document;
use wechat_edge::push::{wrap_encrypted, Format, Mode, PushMessage};

pub fn crypt() -> MsgCrypt {
    MsgCrypt::new(AES_KEY, APPID).expect("the test key is valid")
}

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A MsgId above 2^53, unique in this test run.
pub fn msg_id() -> u64 {
    (1u64 << 60) + (std::process::id() as u64) * 1_000_000 + NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

pub fn text(from: &str, content: &str) -> PushMessage {
    PushMessage {
        to_user_name: "gh_0123456789ab".into(),
        from_user_name: from.into(),
        create_time: now(),
        msg_type: "text".into(),
        msg_id: Some(msg_id()),
        content: Some(content.into()),
        ..PushMessage::default()
    }
}

pub fn enter_session(from: &str) -> PushMessage {
    PushMessage {
        to_user_name: "gh_0123456789ab".into(),
        from_user_name: from.into(),
        create_time: now() + NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::SeqCst),
        msg_type: "event".into(),
        event: Some("user_enter_tempsession".into()),
        session_from: Some("e2e".into()),
        ..PushMessage::default()
    }
}

/// A signed push request: the query string and the body.
pub struct Push {
    pub query: String,
    pub body: String,
    pub format: Format,
}

pub fn build(msg: &PushMessage, format: Format, mode: Mode) -> Push {
    build_with(msg, format, mode, &now().to_string(), PUSH_TOKEN, &crypt())
}

pub fn build_with(msg: &PushMessage, format: Format, mode: Mode, timestamp: &str, token: &str, crypt: &MsgCrypt) -> Push {
    let plain = wechat_edge::push::build_plain_body(format, msg);
    let nonce = "271828";
    let mut query = format!("signature={}&timestamp={timestamp}&nonce={nonce}", push_signature(token, timestamp, nonce));
    let body = if mode == Mode::Plain {
        plain
    } else {
        let encrypt = crypt.encrypt(&plain, *b"0123456789abcdef");
        query.push_str(&format!("&encrypt_type=aes&msg_signature={}", msg_signature(token, timestamp, nonce, &encrypt)));
        wrap_encrypted(format, mode, &plain, &msg.to_user_name, &encrypt)
    };
    Push { query, body, format }
}

impl TestApp {
    /// POSTs a push to `/wechat/push` (or `path`); returns the status and the raw body.
    pub async fn push_raw(&self, path: &str, push: &Push) -> (u16, String) {
        let content_type = if push.format == Format::Xml { "text/xml" } else { "application/json" };
        let r = self
            .client
            .post(self.url(&format!("{path}?{}", push.query)))
            .header("Content-Type", content_type)
            .body(push.body.clone())
            .send()
            .await
            .expect("push");
        (r.status().as_u16(), r.text().await.unwrap_or_default())
    }

    pub async fn push(&self, push: &Push) -> (u16, String) {
        self.push_raw("/wechat/push", push).await
    }
}

/// A passive reply as a map of its fields, decrypted when it is an encrypted envelope (after
/// checking its MsgSignature).
pub fn open_reply(body: &str, format: Format, crypt: &MsgCrypt, token: &str) -> serde_json::Map<String, Value> {
    let doc = match format {
        Format::Xml => parse_document(body.as_bytes()).expect("an XML reply"),
        Format::Json => serde_json::from_str(body).expect("a JSON reply"),
    };
    let Some(encrypt) = doc.get("Encrypt").and_then(Value::as_str) else { return doc };
    let text = |k: &str| match doc.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => panic!("the encrypted reply lacks {k}"),
    };
    let expected = msg_signature(token, &text("TimeStamp"), &text("Nonce"), encrypt);
    assert_eq!(text("MsgSignature"), expected, "the reply's MsgSignature verifies");
    let inner = crypt.decrypt(encrypt).expect("the reply decrypts");
    open_reply(&inner, format, crypt, token)
}
