//! Builds pushes exactly as WeChat signs and encrypts them, and reads passive replies, for the
//! push tests that drive the webhook directly. Everything protocol-shaped comes from the
//! simulator's independent implementation (`wechat_sim::wire`), never from the worker's own
//! code, so a misreading of the documents in `src/` cannot pass its own tests.
#![allow(dead_code)]

use super::{TestApp, AES_KEY, APPID, PUSH_TOKEN};
use serde_json::{Map, Value};
use wechat_sim::wire::{open_reply as read_reply, seal, Format, Message, Mode, PushCipher, Sealing};

/// The original id the test pushes are addressed to.
pub const ORIGINAL_ID: &str = "gh_0123456789ab";

pub fn crypt() -> PushCipher {
    PushCipher::new(AES_KEY, APPID).expect("the test key is valid")
}

pub fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

static NEXT_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn next() -> u64 {
    NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::SeqCst)
}

/// A MsgId above 2^53, unique in this test run.
pub fn msg_id() -> u64 {
    (1u64 << 60) + (std::process::id() as u64) * 1_000_000 + next()
}

pub fn text(from: &str, content: &str) -> Message {
    Message::text(ORIGINAL_ID, from, now(), content, msg_id())
}

/// An event from `from`; each gets its own CreateTime, since events are told apart by sender
/// and time.
pub fn event(from: &str, event: &str) -> Message {
    Message::event(ORIGINAL_ID, from, now() + next(), event)
}

pub fn enter_session(from: &str) -> Message {
    event(from, "user_enter_tempsession").with_text("SessionFrom", "e2e")
}

/// A signed push request: the query string and the body.
pub struct Push {
    pub query: String,
    pub body: String,
    pub format: Format,
}

pub fn build(msg: &Message, format: Format, mode: Mode) -> Push {
    build_with(msg, format, mode, &now().to_string(), PUSH_TOKEN, &crypt())
}

pub fn build_with(msg: &Message, format: Format, mode: Mode, timestamp: &str, token: &str, cipher: &PushCipher) -> Push {
    seal_body(&msg.render(format), msg.to_user_name(), format, mode, timestamp, token, cipher)
}

/// Signs (and in compatible/safe mode encrypts) a plaintext body kept byte for byte.
pub fn seal_body(
    plain: &str,
    to_user_name: &str,
    format: Format,
    mode: Mode,
    timestamp: &str,
    token: &str,
    cipher: &PushCipher,
) -> Push {
    let how = Sealing { format, mode, token, cipher: Some(cipher), timestamp, nonce: "271828", random16: *b"0123456789abcdef" };
    let sealed = seal(plain, to_user_name, &how).expect("a cipher is given");
    Push { query: sealed.query, body: sealed.body, format }
}

impl TestApp {
    /// POSTs a push to `/wechat/push` (or `path`); returns the status and the raw body.
    pub async fn push_raw(&self, path: &str, push: &Push) -> (u16, String) {
        let r = self
            .client
            .post(self.url(&format!("{path}?{}", push.query)))
            .header("Content-Type", push.format.content_type())
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
/// checking its MsgSignature); panics with the reason when WeChat could not read it.
pub fn open_reply(body: &str, format: Format, cipher: &PushCipher, token: &str) -> Map<String, Value> {
    read_reply(format, body, token, Some(cipher)).unwrap_or_else(|e| panic!("WeChat cannot read the reply ({e}): {body}"))
}

/// The signature header of a forwarded message, computed here from its definition (not with
/// the worker's code): `sha256=` + hex(HMAC-SHA256(secret, timestamp + "." + body)).
pub fn forward_signature(secret: &str, timestamp: u64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}
