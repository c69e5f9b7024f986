//! Control hooks for codes and links: the pages of each app's released version
//! (`/_sim/pages`) and the code/link quotas (`/_sim/qr_quota`).

use super::AppCodes;
use crate::control::{parse, query, resolve_appid, Ctl, CtlError};
use crate::state::Sim;
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Pages {
    appid: Option<String>,
    pages: Vec<String>,
}

/// `POST /_sim/pages {"appid"?, "pages": [..]}`: replaces the released pages → `{"appid","pages"}`.
pub async fn pages_set(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: Pages = parse(&body)?;
    if let Some(bad) = req.pages.iter().find(|p| p.is_empty() || p.starts_with('/') || p.contains('?')) {
        return Err(CtlError::bad(format!("a page is a path like pages/index/index (no leading /, no query), got {bad:?}")));
    }
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    let codes = codes_of(&mut state, &appid)?;
    codes.released_pages = req.pages.into_iter().collect();
    Ok(Json(pages_json(&appid, codes)))
}

/// `GET /_sim/pages?appid=` → `{"appid","pages"}`.
pub async fn pages_show(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let mut state = sim.lock();
    let appid = resolve_appid(&state, q.get("appid").map(String::as_str))?;
    let codes = codes_of(&mut state, &appid)?;
    Ok(Json(pages_json(&appid, codes)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Quota {
    appid: Option<String>,
    used: Option<u64>,
    total: Option<u64>,
    unlimited_per_minute: Option<u64>,
    links_daily: Option<u64>,
}

/// `POST /_sim/qr_quota {"appid"?, "used"?, "total"?, "unlimited_per_minute"?, "links_daily"?}`
/// sets what is given → the quotas in force.
pub async fn quota_set(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: Quota = parse(&body)?;
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    let codes = codes_of(&mut state, &appid)?;
    if let Some(used) = req.used {
        codes.total_used = used;
    }
    if let Some(total) = req.total {
        codes.total_cap = total;
    }
    if let Some(n) = req.unlimited_per_minute {
        codes.unlimited_per_minute = n;
    }
    if let Some(n) = req.links_daily {
        codes.links_daily = n;
    }
    Ok(Json(quota_json(&appid, codes)))
}

/// `GET /_sim/qr_quota?appid=` → `{"appid","used","total","unlimited_per_minute","links_daily"}`.
pub async fn quota_show(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let mut state = sim.lock();
    let appid = resolve_appid(&state, q.get("appid").map(String::as_str))?;
    let codes = codes_of(&mut state, &appid)?;
    Ok(Json(quota_json(&appid, codes)))
}

fn codes_of<'a>(state: &'a mut crate::state::State, appid: &str) -> Result<&'a mut AppCodes, CtlError> {
    state.apps.get_mut(appid).map(|app| &mut app.codes).ok_or_else(|| CtlError::bad("unknown appid"))
}

fn pages_json(appid: &str, codes: &AppCodes) -> Value {
    json!({"appid": appid, "pages": codes.released_pages})
}

fn quota_json(appid: &str, codes: &AppCodes) -> Value {
    json!({
        "appid": appid,
        "used": codes.total_used,
        "total": codes.total_cap,
        "unlimited_per_minute": codes.unlimited_per_minute,
        "links_daily": codes.links_daily,
    })
}
