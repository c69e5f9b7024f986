//! The calls the token object answers, one request type and one answer type each, shared by
//! the object and its callers (see `shared::objects`).

use crate::shared::objects::ObjectCall;
use crate::token::policy::StoredToken;
use serde::{Deserialize, Serialize};

/// What the token object keeps for its app: the access_token, and (official accounts) the
/// JS-SDK's jsapi_ticket (wechat-oa.md §2.1), which WeChat limits as strictly and which
/// expires on its own clock. Each has its own storage keys, KV key, refresh and counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    #[default]
    AccessToken,
    JsapiTicket,
}

impl Credential {
    pub const ALL: [Credential; 2] = [Credential::AccessToken, Credential::JsapiTicket];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Credential::AccessToken => "access_token",
            Credential::JsapiTicket => "jsapi_ticket",
        }
    }

    /// The object's storage keys for the value and its counters (the access token's are the
    /// ones objects stored before tickets existed).
    pub fn storage_keys(self) -> (&'static str, &'static str) {
        match self {
            Credential::AccessToken => ("token", "stats"),
            Credential::JsapiTicket => ("jsapi_ticket", "jsapi_ticket_stats"),
        }
    }

    /// The KV read-cache key.
    pub fn kv_key(self, appid: &str) -> String {
        match self {
            Credential::AccessToken => format!("token:{appid}"),
            Credential::JsapiTicket => format!("jsapi_ticket:{appid}"),
        }
    }
}

/// A servable token (or ticket): the stored one, or a fresh one fetched once however many ask.
#[derive(Debug, Serialize, Deserialize)]
pub struct GetToken {
    pub appid: String,
    #[serde(default)]
    pub credential: Credential,
}

impl ObjectCall for GetToken {
    type Answer = StoredToken;
    const NAME: &'static str = "token";
}

/// Compare-and-refresh: refresh only if `seen` is still the current token.
#[derive(Debug, Serialize, Deserialize)]
pub struct RefreshToken {
    pub appid: String,
    pub seen: String,
    #[serde(default)]
    pub credential: Credential,
}

impl ObjectCall for RefreshToken {
    type Answer = StoredToken;
    const NAME: &'static str = "refresh";
}

/// The token's health, never the token.
#[derive(Debug, Serialize, Deserialize)]
pub struct GetStatus {
    pub appid: String,
}

impl ObjectCall for GetStatus {
    type Answer = TokenStatus;
    const NAME: &'static str = "status";
}

/// The cron's safety net: refresh a token that is due, then report its health.
#[derive(Debug, Serialize, Deserialize)]
pub struct Tick {
    pub appid: String,
}

impl ObjectCall for Tick {
    type Answer = TokenStatus;
    const NAME: &'static str = "tick";
}

/// What `/internal/token/status` shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenStatus {
    pub appid: String,
    /// `none`, `fresh`, `due` or `expired`.
    pub state: String,
    pub fetched_at: Option<u64>,
    pub expires_at: Option<u64>,
    pub refresh_at: Option<u64>,
    pub refreshing: bool,
    pub stats: Stats,
    /// The jsapi_ticket's health, once the app has asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jsapi_ticket: Option<Box<TokenStatus>>,
}

/// Refresh counters and the last failure, kept in the object's storage.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Stats {
    pub refreshes: u64,
    pub upstream_calls: u64,
    pub failures: u64,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub last_errcode: Option<i64>,
    pub last_error_at: Option<u64>,
    pub next_attempt_at: u64,
    pub last_refresh_reason: Option<String>,
}
