//! URL Scheme and URL Link (wechat-api.md §7.5, §15.10): `wxa/generatescheme` answers
//! `weixin://dl/business/?t=<ticket>`, `wxa/generate_urllink` answers `https://wxaurl.cn/<id>`.
//! The path must be a released page without query (40165), the query at most 1024 characters
//! of the documented set (40212), and the expiry at most 30 days away (85401). Schemes and links
//! share a daily cap (45009).
//!
//! Expiry: `expire_type` 0 with `expire_time` (unix, in the future, at most 30 days ahead) or
//! 1 with `expire_interval` (1–30 days). Without `expire_type`, `expire_interval` alone means 1;
//! with no expiry field at all (and no `is_expire: true`) the link lives 30 days, as WeChat's
//! "permanent" links now do.

use crate::clock::day_of;
use crate::qrcode::{env_version, opt_bool, opt_int, opt_object, opt_str};
use crate::state::{Sim, State};
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use rand::Rng;
use serde_json::{Map, Value};

const MAX_QUERY: usize = 1024;
const QUERY_SPECIALS: &str = "!#$&'()*+,/:;=?@-._~%";
const MAX_DAYS: i64 = 30;
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `POST /wxa/generatescheme?access_token=` with
/// `{"jump_wxa": {"path"?, "query"?, "env_version"?}, "is_expire"?, "expire_type"?, ...}`.
pub fn generate_scheme(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    crate::qrcode::with_errmsg(sim, generate(sim, call, Kind::Scheme))
}

/// `POST /wxa/generate_urllink?access_token=` with
/// `{"path"?, "query"?, "env_version"?, "is_expire"?, "expire_type"?, ...}`.
pub fn generate_urllink(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    crate::qrcode::with_errmsg(sim, generate(sim, call, Kind::UrlLink))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Scheme,
    UrlLink,
}

fn generate(sim: &Sim, call: &Call, kind: Kind) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    let empty = Map::new();
    let target = match kind {
        Kind::Scheme => opt_object(&body, "jump_wxa")?.unwrap_or(&empty),
        Kind::UrlLink => &body,
    };
    let path = opt_str(target, "path")?.unwrap_or("");
    let query = opt_str(target, "query")?.unwrap_or("");
    let env = env_version(opt_str(target, "env_version")?)?;
    let expires_at = expiry(&body, now)?;
    let State { apps, rng, .. } = &mut *guard;
    let codes = &mut apps.get_mut(&appid).ok_or(WxErr(40001))?.codes;
    // A link to the released version must lead to one of its pages.
    let bad_path = path.starts_with('/')
        || path.contains('?')
        || (!path.is_empty() && env == "release" && !codes.released_pages.contains(path));
    if bad_path {
        return Err(WxErr(40165));
    }
    let query_ok =
        query.chars().count() <= MAX_QUERY && query.chars().all(|c| c.is_ascii_alphanumeric() || QUERY_SPECIALS.contains(c));
    if !query_ok {
        return Err(WxErr(40212));
    }
    if codes.links_today.hit(day_of(now)) > codes.links_daily {
        return Err(WxErr(45009));
    }
    let mut id = |len: usize| -> String { (0..len).map(|_| ALNUM[rng.gen_range(0..ALNUM.len())] as char).collect() };
    let (field, link) = match kind {
        Kind::Scheme => ("openlink", format!("weixin://dl/business/?t={}", id(13))),
        Kind::UrlLink => ("url_link", format!("https://wxaurl.cn/{}", id(11))),
    };
    let note = format!("{link} -> {path:?} until {expires_at}");
    let mut answer = Map::new();
    answer.insert(field.to_string(), Value::String(link));
    Ok(Reply::ok_with(Value::Object(answer)).with_note(note))
}

/// When the link stops working, or 85401 for an expiry WeChat refuses.
fn expiry(body: &Map<String, Value>, now: i64) -> Result<i64, WxErr> {
    let is_expire = opt_bool(body, "is_expire")?;
    let expire_type = opt_int(body, "expire_type")?;
    let time = opt_int(body, "expire_time")?;
    let interval = opt_int(body, "expire_interval")?;
    let by_interval = match expire_type {
        Some(0) => false,
        Some(1) => true,
        Some(_) => return Err(WxErr(40097)),
        None => interval.is_some() && time.is_none(),
    };
    let longest = now + MAX_DAYS * 86_400;
    if by_interval {
        match interval {
            Some(days) if (1..=MAX_DAYS).contains(&days) => Ok(now + days * 86_400),
            _ => Err(WxErr(85401)),
        }
    } else {
        match time {
            Some(at) if at > now && at <= longest => Ok(at),
            Some(_) => Err(WxErr(85401)),
            None if is_expire == Some(true) || expire_type.is_some() => Err(WxErr(85401)),
            None => Ok(longest),
        }
    }
}
