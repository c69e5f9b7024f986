//! What to do with a verified push: the passive reply computed in the request, and the slow
//! actions (customer-service sends, forwarding) that run after the response. Pure and
//! deterministic, so a redelivery of the same message gets the same passive reply.

use crate::oa::scan::login_scene;
use crate::push::engine::{now_or_never, Engine, Software};
use crate::push::msg_crypt::MsgCrypt;
use crate::push::reply::SealedReply;
use crate::push::{text_reply, transfer_reply, Format, Mode, PushMessage};
pub use crate::shared::config::KeywordRule;
use crate::shared::config::{AppConfig, AppType, Config};
use crate::shared::crypto::CryptoError;
use crate::shared::error::ApiResult;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::Sha256;

impl KeywordRule {
    fn matches(&self, content: &str) -> bool {
        let (content, pattern) = (content.trim(), self.pattern.trim());
        !pattern.is_empty() && if self.exact { content == pattern } else { content.contains(pattern) }
    }
}

/// The rules, from `CS_GREETING`, `CS_TRANSFER`, `CS_KEYWORDS`, `BUSINESS_WEBHOOK_URL`.
#[derive(Debug, Clone)]
pub struct Rules {
    pub app_type: AppType,
    /// Empty disables the greeting.
    pub greeting: String,
    pub transfer: bool,
    pub keywords: Vec<KeywordRule>,
    pub forward: bool,
}

impl Rules {
    /// The rules applied to `app`'s pushes, from the configuration.
    pub fn for_app(config: &Config, app: &AppConfig) -> ApiResult<Rules> {
        Ok(Rules {
            app_type: app.app_type,
            greeting: config.cs_greeting.clone(),
            transfer: config.cs_transfer()?,
            keywords: config.cs_keywords()?,
            forward: config.business_webhook()?.is_some(),
        })
    }
}

/// The passive reply, answered within the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passive {
    Success,
    Transfer,
    /// An official account's passive text reply.
    Text(String),
}

/// Slow work, done after the response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    /// `cgi-bin/message/custom/send` with this body.
    CustomSend { body: Value },
    /// POST the message's JSON to the business webhook.
    Forward { payload: String },
    /// An official account's follower came or went: the user directory (wechat-oa.md §5).
    Follow { openid: String, following: bool },
    /// A scan-to-login QR code was scanned (wechat-oa.md §6): its attempt completes.
    ScanLogin { scene: String, openid: String, new_follower: bool },
    /// A mini program's `trade_manage_*` event (shipping service, wechat-pay.md §7.3): recorded
    /// against its WeChat Pay order. `payload` is the message's JSON.
    TradeManage { payload: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub passive: Passive,
    pub actions: Vec<Action>,
}

fn custom_text(to: &str, content: &str) -> Action {
    Action::CustomSend { body: json!({ "touser": to, "msgtype": "text", "text": { "content": content } }) }
}

/// Decides the reply and the actions for one message.
pub fn plan(rules: &Rules, msg: &PushMessage) -> Plan {
    let user = msg.from_user_name.as_str();
    let oa = rules.app_type == AppType::OfficialAccount;
    let mut actions = Vec::new();
    let keyword =
        msg.content.as_deref().filter(|_| msg.msg_type == "text").and_then(|c| rules.keywords.iter().find(|k| k.matches(c)));
    let passive = match (msg.msg_type.as_str(), msg.event.as_deref()) {
        ("text", _) if keyword.is_some() => match keyword {
            Some(k) if oa => Passive::Text(k.reply.clone()),
            Some(k) => {
                actions.push(custom_text(user, &k.reply));
                Passive::Success
            }
            None => Passive::Success,
        },
        ("text" | "image" | "miniprogrampage", _) if rules.transfer && !oa => Passive::Transfer,
        ("event", Some("user_enter_tempsession")) if !rules.greeting.is_empty() => {
            actions.push(custom_text(user, &rules.greeting));
            Passive::Success
        }
        ("event", Some("subscribe")) if oa && !rules.greeting.is_empty() => Passive::Text(rules.greeting.clone()),
        _ => Passive::Success,
    };
    if oa && msg.msg_type == "event" {
        let event = msg.event.as_deref();
        match (login_scene(event, msg.event_key.as_deref()), event) {
            (Some(scene), _) => actions.push(Action::ScanLogin {
                scene: scene.to_owned(),
                openid: user.to_owned(),
                new_follower: event == Some("subscribe"),
            }),
            (None, Some("subscribe")) => actions.push(Action::Follow { openid: user.to_owned(), following: true }),
            (None, Some("unsubscribe")) => actions.push(Action::Follow { openid: user.to_owned(), following: false }),
            _ => {}
        }
    }
    if !oa && msg.msg_type == "event" && msg.event.as_deref().is_some_and(|e| e.starts_with("trade_manage_")) {
        actions.push(Action::TradeManage { payload: msg.to_json() });
    }
    if rules.forward {
        actions.push(Action::Forward { payload: msg.to_json() });
    }
    Plan { passive, actions }
}

/// Everything needed to encrypt a reply in compatible or safe mode.
pub struct ReplyCrypto<'a> {
    pub crypt: &'a MsgCrypt,
    pub token: &'a str,
    pub nonce: &'a str,
    pub random16: [u8; 16],
}

/// The reply body and its Content-Type, in the push's own format; encrypted when the push was.
pub fn render(
    passive: &Passive,
    format: Format,
    mode: Mode,
    msg: &PushMessage,
    now: u64,
    crypto: Option<ReplyCrypto>,
) -> (String, &'static str) {
    // Software crypto cannot fail; the fallback only keeps this function total.
    now_or_never(render_with(&Software, passive, format, mode, msg, now, crypto))
        .and_then(Result::ok)
        .unwrap_or_else(|| (String::new(), format.content_type()))
}

/// [`render`] with the reply's AES and SHA-1 done by `engine` (the Worker passes WebCrypto).
pub async fn render_with(
    engine: &impl Engine,
    passive: &Passive,
    format: Format,
    mode: Mode,
    msg: &PushMessage,
    now: u64,
    crypto: Option<ReplyCrypto<'_>>,
) -> Result<(String, &'static str), CryptoError> {
    let (to, from) = (msg.from_user_name.as_str(), msg.to_user_name.as_str());
    let plain = match passive {
        // `success` needs no encryption in any mode.
        Passive::Success => return Ok(("success".to_owned(), "text/plain; charset=utf-8")),
        Passive::Transfer => transfer_reply(format, to, from, now),
        Passive::Text(content) => text_reply(format, to, from, now, content),
    };
    match (mode, crypto) {
        (Mode::Plain, _) | (_, None) => Ok((plain, format.content_type())),
        (_, Some(c)) => {
            let sealed =
                SealedReply { format, crypt: c.crypt, token: c.token, timestamp: now, nonce: c.nonce, random16: c.random16 };
            Ok((sealed.seal(engine, &plain).await?, format.content_type()))
        }
    }
}

/// The signature header of a forwarded message: `sha256=` + hex(HMAC-SHA256(secret,
/// timestamp + "." + body)), so the receiver can check origin and freshness.
pub fn forward_signature(secret: &str, timestamp: u64, body: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests;
