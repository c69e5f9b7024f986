//! The API IP whitelist (IP白名单; wechat-oa.md §9, wechat-api.md §2.1): WeChat compares the
//! caller's address with the app's list and answers 40164 to anyone else. A Worker has no fixed
//! egress address, so the fix is a relay on a host that has one. The simulator models "the
//! relay's fixed address" as a second port (`--relay-port`): calls arriving there pass every
//! whitelist, calls on the main port come from "somewhere else".
//!
//! Per app the whitelist is off, `secret` (a mini program: only the calls carrying the
//! AppSecret — `cgi-bin/token`, `cgi-bin/stable_token`, `clear_quota/v2`, and `jscode2session`,
//! which also takes it) or `all` (an official account under the current docs: every call made
//! with the AppSecret or an access_token).
//!
//! Assumptions (undocumented): the address is checked once the app is known and before its
//! secret or token, so a wrong secret from a foreign address is still 40164; a call naming no
//! known app (or an unknown token) is not checked and gets its usual errcode.

use crate::state::State;
use crate::wx::{Call, Reply};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::net::{IpAddr, SocketAddr};

/// Which calls of an app must come from a whitelisted address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The AppSecret calls (a mini program's whitelist).
    Secret,
    /// The AppSecret calls and every access_token call (an official account's, by current docs).
    All,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Secret => "secret",
            Scope::All => "all",
        }
    }

    pub fn parse(text: &str) -> Result<Scope, String> {
        match text {
            "secret" => Ok(Scope::Secret),
            "all" => Ok(Scope::All),
            other => Err(format!("whitelist scope must be secret or all, got {other:?}")),
        }
    }
}

/// Which port a request came in on: the main one, or the one standing for the relay's fixed
/// (whitelisted) address. Set on every request as an axum extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Via {
    #[default]
    Direct,
    Relay,
}

impl Via {
    pub fn name(self) -> &'static str {
        match self {
            Via::Direct => "direct",
            Via::Relay => "relay",
        }
    }
}

/// The calls that carry the AppSecret. `clear_quota/v2` is not simulated (a 404), listed so
/// the rule is complete should it be. An official account's `sns/oauth2/access_token` takes
/// the secret too; its other `sns/*` calls carry a user token (or, for `refresh_token`, only the
/// appid) and are not checked.
pub const SECRET_PATHS: &[&str] =
    &["/cgi-bin/token", "/cgi-bin/stable_token", "/sns/jscode2session", "/cgi-bin/clear_quota/v2", "/sns/oauth2/access_token"];

/// The app whose whitelist refuses this call, if one does.
pub fn refusing_app(state: &State, call: &Call, via: Via) -> Option<String> {
    if via == Via::Relay {
        return None;
    }
    let (appid, needs) = if SECRET_PATHS.contains(&call.path.as_str()) {
        (call.param("appid").map(str::to_string).or_else(|| body_appid(call))?, Scope::Secret)
    } else {
        let token = call.param("access_token")?;
        (state.tokens.get(token)?.appid.clone(), Scope::All)
    };
    let scope = state.apps.get(&appid)?.ip_whitelist?;
    let refused = match needs {
        Scope::Secret => true,
        Scope::All => scope == Scope::All,
    };
    refused.then_some(appid)
}

fn body_appid(call: &Call) -> Option<String> {
    let body: Value = serde_json::from_slice(&call.body).ok()?;
    body.get("appid")?.as_str().map(str::to_string)
}

/// WeChat's answer, naming the caller's address the way it does:
/// `invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist rid: ...`.
pub fn refusal(peer: Option<SocketAddr>, rid: &str, appid: &str) -> Reply {
    let ip = peer.map(|p| p.ip()).unwrap_or(IpAddr::from([192, 0, 2, 1]));
    let (v4, v6) = match ip {
        IpAddr::V4(v4) => (v4.to_string(), v4.to_ipv6_mapped().to_string()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => (v4.to_string(), v6.to_string()),
            None => (v6.to_string(), v6.to_string()),
        },
    };
    Reply::json(json!({"errcode": 40164, "errmsg": format!("invalid ip {v4} ipv6 {v6}, not in whitelist rid: {rid}")}))
        .with_note(format!("{v4} is not in {appid}'s IP whitelist"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_names_the_address_as_wechat_does() {
        let peer: SocketAddr = "10.1.2.3:5555".parse().unwrap();
        let reply = refusal(Some(peer), "0a1b2c3d-0a1b2c3d-0a1b2c3d", "wx1");
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(reply.status, 200);
        assert_eq!(reply.errcode, Some(40164));
        assert_eq!(body["errmsg"], "invalid ip 10.1.2.3 ipv6 ::ffff:10.1.2.3, not in whitelist rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d");
        let v6: SocketAddr = "[::1]:5555".parse().unwrap();
        let body: Value = serde_json::from_slice(&refusal(Some(v6), "r", "wx1").body).unwrap();
        assert_eq!(body["errmsg"], "invalid ip ::1 ipv6 ::1, not in whitelist rid: r");
    }

    #[test]
    fn scopes_read_and_print_their_names() {
        assert_eq!(Scope::parse("all"), Ok(Scope::All));
        assert_eq!(Scope::parse("secret").map(Scope::name), Ok("secret"));
        assert!(Scope::parse("tokens").is_err());
    }
}
