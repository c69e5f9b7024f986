//! The calls the token object answers, one request type and one answer type each, shared by
//! the object and its callers (see `shared::objects`).

use crate::shared::objects::ObjectCall;
use crate::token::policy::StoredToken;
use serde::{Deserialize, Serialize};

/// A servable token: the stored one, or a fresh one fetched once however many ask.
#[derive(Debug, Serialize, Deserialize)]
pub struct GetToken {
    pub appid: String,
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
