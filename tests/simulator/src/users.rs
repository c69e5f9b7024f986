//! Test hooks that play the user's side of the mini-program: `wx.login` (a login code),
//! the getPhoneNumber button (a phone code), being blocked as a risky user, and a look at
//! what WeChat holds for a user (their current session_key included — tests only).

use crate::control::{parse, query, resolve_appid, Ctl, CtlError};
use crate::custom_message::{describe_window, open_window};
use crate::ids;
use crate::phone::parse_phone;
use crate::state::{PendingCode, Sim, State, User, UserAction};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

const DEFAULT_PHONE: &str = "+8613800138000";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginCodeRequest {
    appid: Option<String>,
    openid: Option<String>,
    unionid: Option<String>,
}

/// `POST /_sim/login_code {"appid"?, "openid"?, "unionid"?}` → `{"code","openid","unionid"?,
/// "expires_at"}`; creates the user when new.
pub async fn login_code(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: LoginCodeRequest = parse(&body)?;
    for id in [&req.openid, &req.unionid].into_iter().flatten() {
        check_id(id)?;
    }
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = resolve_appid(&guard, req.appid.as_deref())?;
    let State { apps, login_codes, rng, limits, .. } = &mut *guard;
    let app = apps.get_mut(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    // A unionid names a person: the same one logging in again is the same user.
    let known = req.unionid.as_ref().and_then(|u| app.users.values().find(|x| x.unionid.as_ref() == Some(u)));
    let openid = req.openid.clone().or_else(|| known.map(|x| x.openid.clone())).unwrap_or_else(|| ids::openid(rng));
    let user = app.users.entry(openid.clone()).or_insert_with(|| {
        let unionid = req.unionid.clone().or_else(|| app.unionid_bound.then(|| ids::openid(rng)));
        User::new(openid.clone(), unionid)
    });
    if req.unionid.is_some() {
        user.unionid = req.unionid;
    }
    let code = ids::code(rng);
    login_codes.insert(code.clone(), PendingCode { appid, openid: openid.clone(), issued_at: now, used: false, phone: None });
    let mut reply = json!({"code": code, "openid": openid, "expires_at": now + limits.login_code_lifetime});
    if let Some(unionid) = &user.unionid {
        reply["unionid"] = json!(unionid);
    }
    Ok(Json(reply))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneCodeRequest {
    appid: Option<String>,
    openid: String,
    phone: Option<String>,
    country_code: Option<String>,
}

/// `POST /_sim/phone_code {"appid"?, "openid", "phone"?, "country_code"?}` → `{"code",
/// "expires_at"}`. The user must exist (mint a login code first).
pub async fn phone_code(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: PhoneCodeRequest = parse(&body)?;
    let phone = parse_phone(req.phone.as_deref().unwrap_or(DEFAULT_PHONE), req.country_code.as_deref())
        .ok_or_else(|| CtlError::bad("phone must be like +8613800138000 (or digits with country_code)"))?;
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = resolve_appid(&guard, req.appid.as_deref())?;
    let State { apps, phone_codes, rng, limits, .. } = &mut *guard;
    if !apps.get(&appid).is_some_and(|app| app.users.contains_key(&req.openid)) {
        return Err(CtlError::bad(format!("unknown openid {:?} in {appid}: mint a login code first", req.openid)));
    }
    let code = ids::code(rng);
    phone_codes.insert(code.clone(), PendingCode { appid, openid: req.openid, issued_at: now, used: false, phone: Some(phone) });
    Ok(Json(json!({"code": code, "expires_at": now + limits.phone_code_lifetime})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockRequest {
    appid: Option<String>,
    openid: String,
    #[serde(default = "yes")]
    blocked: bool,
}

fn yes() -> bool {
    true
}

/// `POST /_sim/users/block {"appid"?, "openid", "blocked"?: true}`: a blocked user's login
/// codes answer 40226.
pub async fn block(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: BlockRequest = parse(&body)?;
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    let user = state
        .apps
        .get_mut(&appid)
        .and_then(|app| app.users.get_mut(&req.openid))
        .ok_or_else(|| CtlError::bad(format!("unknown openid {:?} in {appid}", req.openid)))?;
    user.blocked = req.blocked;
    Ok(Json(json!({"openid": user.openid, "blocked": user.blocked})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserActionRequest {
    appid: Option<String>,
    openid: Option<String>,
    kind: String,
}

/// `POST /_sim/user_action {"appid"?, "openid"?, "kind": "message"|"enter_session"}`: the user
/// writes to customer service or enters the session, which opens the send window (§9.1).
/// Creates the user when new. → `{"openid", "cs_window": {...}}`
pub async fn user_action(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: UserActionRequest = parse(&body)?;
    let action = match req.kind.as_str() {
        "message" => UserAction::Message,
        "enter_session" => UserAction::EnterSession,
        other => return Err(CtlError::bad(format!("kind must be message or enter_session, got {other:?}"))),
    };
    if let Some(openid) = &req.openid {
        check_id(openid)?;
    }
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = resolve_appid(&guard, req.appid.as_deref())?;
    let State { apps, rng, limits, .. } = &mut *guard;
    let app = apps.get_mut(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let openid = req.openid.unwrap_or_else(|| ids::openid(rng));
    let user = app.users.entry(openid.clone()).or_insert_with(|| {
        let unionid = app.unionid_bound.then(|| ids::openid(rng));
        User::new(openid.clone(), unionid)
    });
    open_window(user, action, now, limits);
    Ok(Json(json!({"openid": openid, "cs_window": describe_window(user, now)})))
}

/// `GET /_sim/users?appid=&openid=` → one user, or `{"users":[...]}` without `openid`.
pub async fn show(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let now = sim.clock.now();
    let state = sim.lock();
    let appid = resolve_appid(&state, q.get("appid").map(String::as_str))?;
    let app = state.apps.get(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let describe = |u: &User| {
        json!({
            "openid": u.openid,
            "unionid": u.unionid,
            "session_key": u.session_key,
            "blocked": u.blocked,
            "cs_window": describe_window(u, now),
        })
    };
    match q.get("openid") {
        Some(openid) => app
            .users
            .get(openid)
            .map(|u| Json(describe(u)))
            .ok_or_else(|| CtlError::not_found(format!("unknown openid {openid:?} in {appid}"))),
        None => {
            let mut users: Vec<Value> = app.users.values().map(describe).collect();
            users.sort_by(|a, b| a["openid"].as_str().cmp(&b["openid"].as_str()));
            Ok(Json(json!({"users": users})))
        }
    }
}

/// Openids and unionids from tests: 1–64 of `[A-Za-z0-9_-]`, so they stay URL-safe.
fn check_id(id: &str) -> Result<(), CtlError> {
    let ok = (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(CtlError::bad(format!("ids must be 1-64 of [A-Za-z0-9_-], got {id:?}")))
    }
}
