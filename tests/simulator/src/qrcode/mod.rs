//! QR codes (wechat-api.md §7.1–7.4, §15.8–9): the three mini-program code endpoints
//! (`codes`), the official-account ticket QR codes and `showqrcode` (`oa`), the real images
//! they answer with (`render`), and the `/_sim/pages` and `/_sim/qr_quota` hooks (`hooks`).
//! `links.rs` (schemes and URL links) shares the body readers and the released pages here.
//!
//! Bodies are read the way WeChat reads them: unknown fields are ignored, `null` is "left
//! out", a known field of the wrong JSON type is 47001, and each endpoint has its own code for
//! a body that is no JSON object (40169 / 40159).

mod codes;
pub mod hooks;
mod oa;
mod render;

pub use codes::{classic, limited, unlimited};
pub use oa::{create_ticket, show_qrcode};

use crate::state::{Sim, WindowCounter};
use crate::wx::{Call, Reply, WxErr};
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;

/// The pages of the released version every app starts with.
pub const DEFAULT_PAGES: &[&str] = &["pages/index/index", "pages/detail/detail"];

/// Per app: what the released version has, and the code and link quotas.
#[derive(Debug)]
pub struct AppCodes {
    /// Pages of the released version (`check_path`, scheme and URL-link paths check these).
    pub released_pages: BTreeSet<String>,
    /// Codes made by interfaces A and C together, and their lifetime cap (45029 at the cap).
    pub total_used: u64,
    pub total_cap: u64,
    /// Interface B calls per minute before 45009.
    pub unlimited_per_minute: u64,
    pub unlimited_this_minute: WindowCounter,
    /// Schemes and URL links made per day (together) before 45009.
    pub links_daily: u64,
    pub links_today: WindowCounter,
}

impl Default for AppCodes {
    fn default() -> Self {
        AppCodes {
            released_pages: DEFAULT_PAGES.iter().map(|p| p.to_string()).collect(),
            total_used: 0,
            total_cap: 100_000,
            unlimited_per_minute: 5000,
            unlimited_this_minute: WindowCounter::default(),
            links_daily: 500_000,
            links_today: WindowCounter::default(),
        }
    }
}

/// An official-account ticket from `qrcode/create`, for `showqrcode`.
#[derive(Clone, Debug)]
pub struct OaTicket {
    pub appid: String,
    /// What the image encodes: `http://weixin.qq.com/q/<id>`.
    pub url: String,
    /// None: a permanent code.
    pub expires_at: Option<i64>,
    /// The developer's scene as events name it: `scene_str`, or `scene_id` in decimal.
    pub scene: String,
    /// Whether `scene` is a `scene_str` (`QR_STR_SCENE`, `QR_LIMIT_STR_SCENE`).
    pub scene_str: bool,
}

/// The errmsg WeChat writes for the codes these endpoints answer (the shared table in `wx.rs`
/// says "error" for them).
fn errmsg(code: i64) -> Option<&'static str> {
    Some(match code {
        40053 => "invalid action info",
        40159 => "invalid length for path, or the data is not json string",
        40165 => "invalid weapp pagepath",
        40169 => "invalid length for scene, or the data is not json string",
        40212 => "invalid query",
        41030 => "invalid page",
        45029 => "qrcode count out of limit",
        85401 => "invalid expire time",
        _ => return None,
    })
}

/// Turns an errcode of ours into its WeChat reply with the right errmsg; others pass through
/// to the shared envelope.
pub(crate) fn with_errmsg(sim: &Sim, result: Result<Reply, WxErr>) -> Result<Reply, WxErr> {
    match result {
        Err(WxErr(code)) => match errmsg(code) {
            Some(message) => {
                let rid = crate::ids::rid(&mut sim.lock().rng);
                Ok(Reply::json(json!({"errcode": code, "errmsg": format!("{message} rid: {rid}")})))
            }
            None => Err(WxErr(code)),
        },
        ok => ok,
    }
}

/// The body as a JSON object, or `not_json` (empty, form data, an array...).
pub(crate) fn json_body(call: &Call, not_json: i64) -> Result<Map<String, Value>, WxErr> {
    match serde_json::from_slice(&call.body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(WxErr(not_json)),
    }
}

/// A known field: absent or `null` → None.
fn field<'a>(body: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    body.get(name).filter(|v| !v.is_null())
}

pub(crate) fn opt_str<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, WxErr> {
    match field(body, name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(WxErr(47001)),
    }
}

pub(crate) fn opt_bool(body: &Map<String, Value>, name: &str) -> Result<Option<bool>, WxErr> {
    match field(body, name) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(WxErr(47001)),
    }
}

/// A whole number; a fraction, a string or anything else is 47001.
pub(crate) fn opt_int(body: &Map<String, Value>, name: &str) -> Result<Option<i64>, WxErr> {
    match field(body, name) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().or_else(|| n.as_u64().map(|_| i64::MAX)).map(Some).ok_or(WxErr(47001)),
        Some(_) => Err(WxErr(47001)),
    }
}

pub(crate) fn opt_object<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a Map<String, Value>>, WxErr> {
    match field(body, name) {
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(WxErr(47001)),
    }
}

/// `env_version`: `release` when left out; anything else than the three (even `""`) is 40097.
pub(crate) fn env_version(value: Option<&str>) -> Result<&'static str, WxErr> {
    match value {
        None | Some("release") => Ok("release"),
        Some("trial") => Ok("trial"),
        Some("develop") => Ok("develop"),
        Some(_) => Err(WxErr(40097)),
    }
}

/// `key=value&...` with each value URL-encoded: the readable part of what a code encodes.
fn payload(kind: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, value) in pairs {
        query.append_pair(key, value);
    }
    format!("wxsim:{kind}?{}", query.finish())
}
