//! The body of `POST /_sim/push`, parsed into a [`Plan`] everything after can trust: the
//! webhook, the push configuration of the admin console (§8.1), the user action, and how
//! WeChat delivers it (§8.6).

use super::action::{Action, Tamper};
use crate::control::CtlError;
use crate::wire::{Format, Mode, PushCipher};
use serde::Deserialize;
use std::time::Duration;

/// WeChat's 5-second answer limit (§8.6).
const DEFAULT_TIMEOUT_MS: u64 = 5_000;
/// "总共重试三次": three deliveries in total (§8.6, WeRoBot #801).
const DEFAULT_DELIVERIES: u32 = 3;
/// Enough for any retry or redelivery test; keeps a typo from hanging a run.
const MAX_DELIVERIES: u32 = 10;
const MAX_TIMEOUT_MS: u64 = 60_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    url: String,
    appid: Option<String>,
    token: String,
    aes_key: Option<String>,
    #[serde(default)]
    format: FormatName,
    #[serde(default)]
    mode: ModeName,
    #[serde(default)]
    official_account: bool,
    to_user_name: Option<String>,
    action: Action,
    deliveries: Option<u32>,
    timeout_ms: Option<u64>,
    force_deliveries: Option<u32>,
    #[serde(default)]
    concurrent: bool,
    same_params_on_retry: Option<bool>,
    timestamp: Option<u64>,
    tamper: Option<Tamper>,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum FormatName {
    #[default]
    Xml,
    Json,
}

#[derive(Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum ModeName {
    #[default]
    Plain,
    Compatible,
    Safe,
}

/// How the push is delivered.
#[derive(Clone, Copy, Debug)]
pub enum Schedule {
    /// Up to this many deliveries, the next only after a timeout, connection error or 5xx.
    Retry(u32),
    /// Exactly this many deliveries whatever the answers, one after another or all at once.
    Forced { times: u32, concurrent: bool },
}

/// A validated push request. The appid is resolved against the configured apps later.
pub struct Plan {
    pub url: String,
    pub appid: Option<String>,
    pub token: String,
    /// Set in compatible and safe mode (checked to be a usable key).
    pub aes_key: Option<String>,
    pub format: Format,
    pub mode: Mode,
    pub official_account: bool,
    pub to_user_name: Option<String>,
    pub action: Action,
    pub schedule: Schedule,
    pub timeout: Duration,
    pub same_params_on_retry: bool,
    pub timestamp: Option<u64>,
    pub tamper: Option<Tamper>,
}

impl PushRequest {
    pub fn into_plan(self) -> Result<Plan, CtlError> {
        check_url(&self.url)?;
        if self.token.is_empty() {
            return Err(CtlError::bad("token must not be empty"));
        }
        if let Some(openid) = self.action.openid() {
            check_id(openid)?;
        }
        let format = match self.format {
            FormatName::Xml => Format::Xml,
            FormatName::Json => Format::Json,
        };
        let mode = match self.mode {
            ModeName::Plain => Mode::Plain,
            ModeName::Compatible => Mode::Compatible,
            ModeName::Safe => Mode::Safe,
        };
        let aes_key = match (mode, self.aes_key) {
            (Mode::Plain, _) => None,
            (_, None) => return Err(CtlError::bad("compatible and safe mode need aes_key")),
            (_, Some(key)) => {
                // The app id does not matter for checking the key's shape.
                PushCipher::new(&key, "wx").map_err(|e| CtlError::bad(format!("aes_key: {e}")))?;
                Some(key)
            }
        };
        let needs_encryption =
            matches!(self.tamper, Some(Tamper::MsgSignature | Tamper::AppidTrailer | Tamper::TruncateCiphertext));
        if needs_encryption && mode == Mode::Plain {
            return Err(CtlError::bad("this tamper spoils the encrypted part: use compatible or safe mode"));
        }
        if needs_encryption && matches!(self.action, Action::Raw { .. }) {
            return Err(CtlError::bad("a raw body is sent as-is and cannot be tampered with that way"));
        }
        let schedule = schedule(self.deliveries, self.force_deliveries, self.concurrent)?;
        let timeout_ms = self.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(CtlError::bad(format!("timeout_ms must be 1..={MAX_TIMEOUT_MS}")));
        }
        Ok(Plan {
            url: self.url,
            appid: self.appid,
            token: self.token,
            aes_key,
            format,
            mode,
            official_account: self.official_account,
            to_user_name: self.to_user_name,
            action: self.action,
            schedule,
            timeout: Duration::from_millis(timeout_ms),
            same_params_on_retry: self.same_params_on_retry.unwrap_or(true),
            timestamp: self.timestamp,
            tamper: self.tamper,
        })
    }
}

fn schedule(deliveries: Option<u32>, forced: Option<u32>, concurrent: bool) -> Result<Schedule, CtlError> {
    let in_range = |n: u32| (1..=MAX_DELIVERIES).contains(&n);
    match (deliveries, forced) {
        (Some(_), Some(_)) => Err(CtlError::bad("give deliveries (retries) or force_deliveries (redeliveries), not both")),
        (_, Some(times)) if in_range(times) => Ok(Schedule::Forced { times, concurrent }),
        (_, Some(_)) => Err(CtlError::bad(format!("force_deliveries must be 1..={MAX_DELIVERIES}"))),
        (_, None) if concurrent => Err(CtlError::bad("concurrent needs force_deliveries")),
        (n, None) => {
            let n = n.unwrap_or(DEFAULT_DELIVERIES);
            if in_range(n) {
                Ok(Schedule::Retry(n))
            } else {
                Err(CtlError::bad(format!("deliveries must be 1..={MAX_DELIVERIES}")))
            }
        }
    }
}

/// reqwest is built without TLS here, so only `http://` webhooks can be reached.
pub fn check_url(url: &str) -> Result<(), CtlError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| CtlError::bad(format!("url is not a URL: {e}")))?;
    if parsed.scheme() != "http" {
        return Err(CtlError::bad("url must be http:// (the simulator has no TLS)"));
    }
    Ok(())
}

/// Openids from tests: 1–64 of `[A-Za-z0-9_-]`, as everywhere in the control API.
fn check_id(id: &str) -> Result<(), CtlError> {
    let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(CtlError::bad(format!("ids must be 1-64 of [A-Za-z0-9_-], got {id:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plan(value: serde_json::Value) -> Result<Plan, String> {
        let request: PushRequest = serde_json::from_value(value).map_err(|e| e.to_string())?;
        request.into_plan().map_err(|e| format!("{e:?}"))
    }

    fn base() -> serde_json::Value {
        json!({"url": "http://127.0.0.1:1/wechat/push", "token": "tok",
               "action": {"type": "text", "content": "hi"}})
    }

    #[test]
    fn a_minimal_request_is_plain_xml_with_three_deliveries() {
        let plan = plan(base()).unwrap();
        assert_eq!((plan.format, plan.mode), (Format::Xml, Mode::Plain));
        assert!(matches!(plan.schedule, Schedule::Retry(3)));
        assert_eq!(plan.timeout, Duration::from_secs(5));
        assert!(plan.same_params_on_retry);
    }

    #[test]
    fn safe_mode_without_a_usable_key_is_refused() {
        let mut request = base();
        request["mode"] = json!("safe");
        assert!(plan(request.clone()).is_err());
        request["aes_key"] = json!("short");
        assert!(plan(request.clone()).is_err());
        request["aes_key"] = json!("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
        assert!(plan(request).is_ok());
    }

    #[test]
    fn unknown_fields_actions_and_https_urls_are_refused() {
        let mut extra = base();
        extra["colour"] = json!("red");
        let mut action = base();
        action["action"] = json!({"type": "voice"});
        let mut action_field = base();
        action_field["action"] = json!({"type": "image", "content": "x"});
        let mut https = base();
        https["url"] = json!("https://example.com/push");
        for request in [extra, action, action_field, https] {
            assert!(plan(request).is_err());
        }
    }

    #[test]
    fn retries_and_forced_redeliveries_exclude_each_other() {
        let mut both = base();
        both["deliveries"] = json!(2);
        both["force_deliveries"] = json!(2);
        let mut concurrent_alone = base();
        concurrent_alone["concurrent"] = json!(true);
        let mut forced = base();
        forced["force_deliveries"] = json!(3);
        forced["concurrent"] = json!(true);
        assert!(plan(both).is_err());
        assert!(plan(concurrent_alone).is_err());
        assert!(matches!(plan(forced).unwrap().schedule, Schedule::Forced { times: 3, concurrent: true }));
    }

    #[test]
    fn ciphertext_tampering_needs_an_encrypted_mode() {
        let mut request = base();
        request["tamper"] = json!("truncate_ciphertext");
        assert!(plan(request).is_err());
    }
}
