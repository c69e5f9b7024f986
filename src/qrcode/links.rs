//! URL Scheme and URL Link (wechat-api.md §7.5): `wxa/generatescheme` and
//! `wxa/generate_urllink`, checked before WeChat sees them. Our request body is the same flat
//! shape for both — `{path?, query?, env_version?, is_expire?, expire_type?, expire_time?,
//! expire_interval?}` — and [`SchemeRequest::wechat_body`] nests the target under `jump_wxa` as
//! WeChat wants for schemes.
//!
//! Every link expires (WeChat retired permanent ones): at a unix time at most 30 days ahead
//! (`expire_type` 0, `expire_time`) or after 1–30 days (`expire_type` 1, `expire_interval`);
//! with neither, 30 days. Unknown fields are refused by name; no input panics.

use crate::qrcode::codes::fields::env_version;
use crate::qrcode::codes::EnvVersion;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::fields::{get, opt_bool, opt_int, opt_page, opt_str, reject_unknown, PageQuery};
use serde_json::{json, Map, Value};

/// The longest life of a link, in days (and `expire_interval`'s upper bound).
pub const MAX_DAYS: i64 = 30;
pub const MAX_QUERY_LEN: usize = 1024;
/// 9999-12-31T23:59:59Z: a bound that keeps `expire_time` arithmetic far from overflow.
const MAX_UNIX: i64 = 253_402_300_799;
const QUERY_SPECIALS: &[u8] = b"!#$&'()*+,/:;=?@-._~%";
const FIELDS: &[&str] = &["path", "query", "env_version", "is_expire", "expire_type", "expire_time", "expire_interval"];

/// When a link stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// `expire_type` 0: at this unix time.
    At(i64),
    /// `expire_type` 1: after this many days (1–30).
    AfterDays(u32),
}

impl Expiry {
    /// Whether an [`Expiry::At`] lies in `(now, now + 30 days]`; an interval always does.
    pub fn check(&self, now: i64) -> ApiResult<()> {
        match *self {
            Expiry::At(at) if at <= now || at.saturating_sub(now) > MAX_DAYS * 86_400 => {
                Err(ApiError::invalid_field("expire_time", "must be in the future and at most 30 days from now (unix seconds)"))
            }
            _ => Ok(()),
        }
    }

    fn write(&self, out: &mut Map<String, Value>) {
        // `is_expire` is the older docs' switch; sending it keeps both doc versions satisfied.
        out.insert("is_expire".into(), json!(true));
        match *self {
            Expiry::At(at) => {
                out.insert("expire_type".into(), json!(0));
                out.insert("expire_time".into(), json!(at));
            }
            Expiry::AfterDays(days) => {
                out.insert("expire_type".into(), json!(1));
                out.insert("expire_interval".into(), json!(days));
            }
        }
    }
}

/// Where a link leads and how long it works: what schemes and URL links share.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// A published page without query; None: the home page.
    pub path: Option<String>,
    /// At most 1024 characters of `0-9 A-Z a-z` and `` !#$&'()*+,/:;=?@-._~% ``.
    pub query: Option<String>,
    pub env_version: EnvVersion,
    pub expiry: Expiry,
}

impl Link {
    fn parse(body: &Map<String, Value>) -> ApiResult<Link> {
        reject_unknown(body, FIELDS, "")?;
        Ok(Link {
            path: opt_page(body, "path", PageQuery::Refused)?,
            query: query(body)?,
            env_version: env_version(body, "env_version")?,
            expiry: expiry(body)?,
        })
    }

    /// `path?`, `query?`, `env_version` into `out`.
    fn write_target(&self, out: &mut Map<String, Value>) {
        if let Some(path) = &self.path {
            out.insert("path".into(), json!(path));
        }
        if let Some(query) = &self.query {
            out.insert("query".into(), json!(query));
        }
        out.insert("env_version".into(), json!(self.env_version.as_str()));
    }
}

fn query(body: &Map<String, Value>) -> ApiResult<Option<String>> {
    let Some(q) = opt_str(body, "query")?.filter(|q| !q.is_empty()) else { return Ok(None) };
    if q.chars().count() > MAX_QUERY_LEN {
        return Err(ApiError::invalid_field("query", "is longer than 1024 characters"));
    }
    if !q.bytes().all(|b| b.is_ascii_alphanumeric() || QUERY_SPECIALS.contains(&b)) {
        return Err(ApiError::invalid_field(
            "query",
            "may only contain letters, digits and !#$&'()*+,/:;=?@-._~% (percent-encode anything else)",
        ));
    }
    Ok(Some(q.to_owned()))
}

fn expiry(body: &Map<String, Value>) -> ApiResult<Expiry> {
    if get(body, "is_expire").is_some() && !opt_bool(body, "is_expire", true)? {
        return Err(ApiError::invalid_field(
            "is_expire",
            "must be true or left out: WeChat no longer issues permanent links (each lives at most 30 days)",
        ));
    }
    let expire_type = opt_int(body, "expire_type", 0, 1)?;
    let time = opt_int(body, "expire_time", 1, MAX_UNIX)?;
    let days = opt_int(body, "expire_interval", 1, MAX_DAYS)?.and_then(|d| u32::try_from(d).ok());
    let misplaced =
        |field: &str, kind: i64| Err(ApiError::invalid_field(field, &format!("is only used with expire_type {kind}")));
    match (expire_type, time, days) {
        (Some(0), _, Some(_)) => misplaced("expire_interval", 1),
        (Some(0), Some(at), None) | (None, Some(at), None) => Ok(Expiry::At(at)),
        (Some(0), None, None) => Err(ApiError::invalid_field("expire_time", "is required when expire_type is 0")),
        (Some(_), Some(_), _) => misplaced("expire_time", 0),
        (Some(_), None, Some(d)) | (None, None, Some(d)) => Ok(Expiry::AfterDays(d)),
        (Some(_), None, None) => Err(ApiError::invalid_field("expire_interval", "is required when expire_type is 1")),
        (None, Some(_), Some(_)) => {
            Err(ApiError::invalid_field("expire_type", "is required to choose between expire_time (0) and expire_interval (1)"))
        }
        (None, None, None) => Ok(Expiry::AfterDays(MAX_DAYS as u32)),
    }
}

/// `POST /wxa/generatescheme`: answers `openlink` (`weixin://dl/business/?t=...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeRequest {
    pub link: Link,
}

impl SchemeRequest {
    /// Every rule except how `expire_time` relates to the clock; see [`Self::parse_at`].
    pub fn parse(body: &Map<String, Value>) -> ApiResult<SchemeRequest> {
        Ok(SchemeRequest { link: Link::parse(body)? })
    }

    /// [`Self::parse`], and `expire_time` in `(now, now + 30 days]` (unix seconds).
    pub fn parse_at(body: &Map<String, Value>, now: i64) -> ApiResult<SchemeRequest> {
        let request = Self::parse(body)?;
        request.link.expiry.check(now)?;
        Ok(request)
    }

    /// `{"jump_wxa": {path?, query?, env_version}, "is_expire": true, "expire_type", ...}`.
    pub fn wechat_body(&self) -> Value {
        let mut jump = Map::new();
        self.link.write_target(&mut jump);
        let mut out = Map::new();
        out.insert("jump_wxa".into(), Value::Object(jump));
        self.link.expiry.write(&mut out);
        Value::Object(out)
    }
}

/// `POST /wxa/generate_urllink`: answers `url_link` (`https://wxaurl.cn/...`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlLinkRequest {
    pub link: Link,
}

impl UrlLinkRequest {
    pub fn parse(body: &Map<String, Value>) -> ApiResult<UrlLinkRequest> {
        Ok(UrlLinkRequest { link: Link::parse(body)? })
    }

    pub fn parse_at(body: &Map<String, Value>, now: i64) -> ApiResult<UrlLinkRequest> {
        let request = Self::parse(body)?;
        request.link.expiry.check(now)?;
        Ok(request)
    }

    /// `{path?, query?, env_version, "is_expire": true, "expire_type", ...}` — flat.
    pub fn wechat_body(&self) -> Value {
        let mut out = Map::new();
        self.link.write_target(&mut out);
        self.link.expiry.write(&mut out);
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests;
