//! The directory's records and rules, free of the database: what an account row holds, how
//! the rows of one person are found, and the answer `/internal/users` and `/api/me` give.

use crate::shared::config::AppType;
use crate::shared::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

/// How we learned of an account (the `source` and `last_source` columns).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// A mini-program login (`jscode2session`).
    #[default]
    Login,
    /// An official account's follow event, completed by `user/info`.
    OaFollow,
    /// Official-account web authorization (网页授权).
    OaWebLogin,
    /// Scan-to-login through the official account.
    OaScanLogin,
    /// A WeChat Pay order's payer.
    Pay,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Login => "login",
            Source::OaFollow => "oa_follow",
            Source::OaWebLogin => "oa_web_login",
            Source::OaScanLogin => "oa_scan_login",
            Source::Pay => "pay",
        }
    }
}

pub fn app_type_name(t: AppType) -> &'static str {
    match t {
        AppType::MiniProgram => "miniprogram",
        AppType::OfficialAccount => "official_account",
    }
}

/// What a caller tells the directory about an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sighting {
    pub appid: String,
    pub openid: String,
    /// None keeps what the row has: a source without unionids never erases one.
    pub unionid: Option<String>,
    pub app_type: AppType,
    pub source: Source,
    pub at: u64,
    /// Official accounts: whether the user follows, when this sighting says so.
    pub following: Option<bool>,
}

/// One row, as stored and as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    pub appid: String,
    pub openid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    pub app_type: String,
    pub source: String,
    pub last_source: String,
    pub first_seen: u64,
    pub last_seen: u64,
    /// Official accounts: 1 following, 0 not; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following: Option<u8>,
}

/// A person: the unionid (when known) and every account of theirs, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub unionid: Option<String>,
    pub accounts: Vec<Account>,
}

impl Person {
    /// Joins an account with the rows that share its unionid (which include it); an account
    /// without a unionid is a person of one account.
    pub fn assemble(account: Account, mut linked: Vec<Account>) -> Person {
        if !linked.iter().any(|a| a.appid == account.appid && a.openid == account.openid) {
            linked.push(account.clone());
        }
        linked.sort_by(|a, b| (a.first_seen, &a.appid, &a.openid).cmp(&(b.first_seen, &b.appid, &b.openid)));
        Person { unionid: account.unionid, accounts: linked }
    }
}

/// Who `/internal/users` is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Unionid(String),
    Account { appid: String, openid: String },
}

/// Openids and unionids are 28-character base64url-like ids today; any plain id up to 64
/// characters is accepted, anything else is refused before it reaches SQL or a log line.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl Lookup {
    /// From the query: `unionid=`, or `appid=` and `openid=` (not both kinds).
    pub fn from_query(unionid: Option<&str>, appid: Option<&str>, openid: Option<&str>) -> ApiResult<Lookup> {
        let present = |v: Option<&str>| v.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        match (present(unionid), present(appid), present(openid)) {
            (Some(_), Some(_), _) | (Some(_), _, Some(_)) => {
                Err(ApiError::bad_request("invalid_query", "give either unionid, or appid and openid, not both"))
            }
            (Some(u), None, None) if valid_id(&u) => Ok(Lookup::Unionid(u)),
            (Some(_), None, None) => Err(ApiError::invalid_field("unionid", "must be 1-64 of A-Z a-z 0-9 _ -")),
            (None, Some(appid), Some(openid)) if valid_id(&openid) => Ok(Lookup::Account { appid, openid }),
            (None, Some(_), Some(_)) => Err(ApiError::invalid_field("openid", "must be 1-64 of A-Z a-z 0-9 _ -")),
            (None, _, None) => Err(ApiError::bad_request("invalid_query", "give unionid, or appid and openid")),
            (None, None, Some(_)) => Err(ApiError::invalid_field("appid", "is required with openid")),
        }
    }
}

#[cfg(test)]
mod tests;
