//! A push as it goes on the wire (§8.3–8.5): the plaintext message for a user action, the
//! compatible or safe envelope, and the signed query — with the deliberate spoilers of
//! [`Tamper`] for the worker's rejection paths.

use super::action::{Action, Tamper};
use super::request::Plan;
use crate::media;
use crate::wire::{msg_signature, push_signature, read_fields, sha1_sorted, text_field};
use crate::wire::{wrap, Format, Message, Mode, PushCipher};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::Rng;

/// WeChat's AES block; `truncate_ciphertext` drops one.
const AES_BLOCK: usize = 16;

/// The mini program's original id when the request names none: `gh_` and 12 hex digits that
/// depend only on the appid, so every push of one app agrees.
pub fn default_to_user_name(appid: &str) -> String {
    let digest = sha1_sorted(&[appid]);
    format!("gh_{}", digest.get(..12).unwrap_or(&digest))
}

/// `MsgId`s of real pushes are above 2^53 (22824453888015488 in §8.4), which breaks any parser
/// that goes through a float.
pub fn msg_id(rng: &mut impl Rng) -> u64 {
    rng.gen_range((1u64 << 53) + 1..100_000_000_000_000_000)
}

/// The plaintext message WeChat builds for an action (not for `raw`).
pub struct Sender<'a> {
    pub appid: &'a str,
    pub to_user_name: &'a str,
    pub openid: &'a str,
    pub create_time: u64,
    pub msg_id: Option<u64>,
}

pub fn message(action: &Action, from: &Sender<'_>, rng: &mut impl Rng) -> Message {
    let base = |msg_type: &str| Message::new(from.to_user_name, from.openid, from.create_time, msg_type);
    // User messages end with their MsgId, as in the documented samples (§8.4).
    let with_id = |message: Message| match from.msg_id {
        Some(id) => message.with_number("MsgId", id),
        None => message,
    };
    match action {
        Action::Text { content, .. } => with_id(base("text").with_text("Content", content.clone())),
        Action::Image { .. } => {
            with_id(base("image").with_text("PicUrl", fake_pic_url(rng)).with_text("MediaId", media::media_id(rng)))
        }
        // The mini-program card lists MsgId before the card's fields (§8.4's real capture).
        Action::MiniProgramPage { title, pagepath, .. } => with_id(base("miniprogrampage"))
            .with_text("Title", title.clone().unwrap_or_else(|| "小程序卡片".into()))
            .with_text("AppId", from.appid)
            .with_text("PagePath", pagepath.clone().unwrap_or_else(|| "pages/index/index".into()))
            .with_text("ThumbUrl", fake_pic_url(rng))
            .with_text("ThumbMediaId", media::media_id(rng)),
        Action::EnterSession { session_from, .. } => {
            Message::event(from.to_user_name, from.openid, from.create_time, "user_enter_tempsession")
                .with_text("SessionFrom", session_from.clone().unwrap_or_default())
        }
        Action::Event { event, event_key, .. } => {
            let message = Message::event(from.to_user_name, from.openid, from.create_time, event);
            match event_key {
                Some(key) => message.with_text("EventKey", key.clone()),
                None => message,
            }
        }
        // Never called for a raw body or an official-account action (`oa::scan` builds those,
        // since they depend on the follow state); an empty event keeps the function total.
        Action::Raw { .. } | Action::Scan { .. } | Action::Follow { .. } | Action::Unfollow { .. } => base("event"),
    }
}

fn fake_pic_url(rng: &mut impl Rng) -> String {
    let id: u64 = rng.gen();
    format!("http://mmbiz.qpic.cn/sz_mmbiz_jpg/{id:016x}/0")
}

/// The plaintext body: the document in the configured format, or a raw body as given.
pub fn plain_body(plan: &Plan, message: Option<&Message>) -> String {
    match (&plan.action, message) {
        (Action::Raw { body }, _) => body.clone(),
        (_, Some(message)) => message.render(plan.format),
        (_, None) => String::new(),
    }
}

/// What changes from one delivery to the next when `same_params_on_retry` is false.
#[derive(Clone, Debug)]
pub struct Params {
    pub timestamp: u64,
    pub nonce: String,
    pub random16: [u8; 16],
}

impl Params {
    pub fn fresh(rng: &mut impl Rng, timestamp: u64) -> Params {
        Params {
            timestamp,
            // WeChat's nonces are 9-10 digits ("1320562132").
            nonce: rng.gen_range(100_000_000u64..10_000_000_000).to_string(),
            random16: rng.gen(),
        }
    }
}

/// One delivery, ready to send.
#[derive(Clone, Debug)]
pub struct Outgoing {
    /// The webhook URL with the signed query appended.
    pub url: String,
    pub query: String,
    pub body: String,
}

/// Encrypts (compatible, safe), signs and addresses one delivery.
pub fn outgoing(plan: &Plan, appid: &str, to_user_name: &str, openid: Option<&str>, plain: &str, params: &Params) -> Outgoing {
    let (body, encrypt) = match (&plan.action, &plan.aes_key) {
        (Action::Raw { body }, Some(_)) => (body.clone(), read_text(plan.format, body, "Encrypt")),
        (Action::Raw { body }, None) => (body.clone(), None),
        (_, Some(key)) if plan.mode != Mode::Plain => {
            let encrypt = encrypt_for(plan.tamper, key, appid, plain, params.random16);
            let body = wrap(plan.format, plan.mode, plain, to_user_name, &encrypt);
            (body, Some(encrypt))
        }
        _ => (plain.to_string(), None),
    };
    let timestamp = params.timestamp.to_string();
    let mut signature = push_signature(&plan.token, &timestamp, &params.nonce);
    if plan.tamper == Some(Tamper::Signature) {
        signature = spoil(&signature);
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("signature", &signature);
    query.append_pair("timestamp", &timestamp);
    query.append_pair("nonce", &params.nonce);
    if let (true, Some(openid)) = (plan.official_account, openid) {
        query.append_pair("openid", openid);
    }
    if let Some(encrypt) = &encrypt {
        let mut signed = msg_signature(&plan.token, &timestamp, &params.nonce, encrypt);
        if plan.tamper == Some(Tamper::MsgSignature) {
            signed = spoil(&signed);
        }
        query.append_pair("encrypt_type", "aes");
        query.append_pair("msg_signature", &signed);
    }
    let query = query.finish();
    let separator = if plan.url.contains('?') { '&' } else { '?' };
    Outgoing { url: format!("{}{separator}{query}", plan.url), query, body }
}

/// The `Encrypt` value, spoiled when the request asks for it (and still signed correctly, so
/// only decryption can notice).
fn encrypt_for(tamper: Option<Tamper>, key: &str, appid: &str, plain: &str, random16: [u8; 16]) -> String {
    let trailer = match tamper {
        Some(Tamper::AppidTrailer) => format!("{appid}x"),
        _ => appid.to_string(),
    };
    // The key was checked when the request was parsed; an empty Encrypt cannot decrypt anyway.
    let Ok(cipher) = PushCipher::new(key, &trailer) else {
        return String::new();
    };
    let encrypt = cipher.encrypt(plain, random16);
    if tamper != Some(Tamper::TruncateCiphertext) {
        return encrypt;
    }
    let mut bytes = STANDARD.decode(&encrypt).unwrap_or_default();
    bytes.truncate(bytes.len().saturating_sub(AES_BLOCK));
    STANDARD.encode(bytes)
}

/// The same hex string with its last digit changed.
fn spoil(hex: &str) -> String {
    let mut out = hex.to_string();
    let last = if out.pop() == Some('0') { '1' } else { '0' };
    out.push(last);
    out
}

fn read_text(format: Format, body: &str, name: &str) -> Option<String> {
    text_field(&read_fields(format, body)?, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_original_id_is_gh_and_12_hex_digits_per_app() {
        let a = default_to_user_name("wx0000000000000001");
        assert_eq!(a.len(), 15);
        assert!(a.starts_with("gh_"));
        assert_eq!(a, default_to_user_name("wx0000000000000001"));
        assert_ne!(a, default_to_user_name("wx0000000000000002"));
    }

    #[test]
    fn msg_ids_are_above_2_to_the_53() {
        let mut rng = rand::thread_rng();
        assert!((0..1000).all(|_| msg_id(&mut rng) > 1 << 53));
    }

    #[test]
    fn a_spoiled_signature_differs_in_its_last_digit_only() {
        assert_eq!(spoil("ab0"), "ab1");
        assert_eq!(spoil("abf"), "ab0");
    }

    #[test]
    fn a_truncated_ciphertext_is_one_block_shorter() {
        let key = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
        let whole = encrypt_for(None, key, "wx1", "<xml></xml>", [0; 16]);
        let cut = encrypt_for(Some(Tamper::TruncateCiphertext), key, "wx1", "<xml></xml>", [0; 16]);
        let len = |s: &str| STANDARD.decode(s).map(|b| b.len()).unwrap_or(0);
        assert_eq!(len(&whole), len(&cut) + AES_BLOCK);
    }
}
