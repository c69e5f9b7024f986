//! Access tokens (wechat-api.md §2, §15.1–3): `cgi-bin/token` (every call supersedes the last
//! token, which overlaps for 5 minutes), `cgi-bin/stable_token` (one token handed out until
//! its last 5 minutes, force refresh with its cooldown and cap), and the token check every
//! other endpoint starts with. The two slots never touch each other.

use crate::clock::{day_of, minute_of};
use crate::ids;
use crate::state::{App, Sim, State, TokenKind, TokenRecord};
use crate::wx::{json_str, Call, Reply, WxErr};
use rand::rngs::StdRng;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// `GET /cgi-bin/token?grant_type=client_credential&appid=&secret=`
pub fn classic_token(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let State { apps, tokens, rng, limits, .. } = &mut *guard;
    if call.param("grant_type") != Some("client_credential") {
        return Err(WxErr(40002));
    }
    let app = app_with_secret(apps, call.param("appid"), call.param("secret"))?;
    let day = day_of(now);
    if app.classic_today.get(day) >= limits.classic_daily {
        return Err(WxErr(45009));
    }
    app.classic_today.hit(day);
    let token = mint(tokens, rng, app, TokenKind::Classic, now, limits.token_lifetime);
    if let Some(previous) = app.classic.replace(token.clone()) {
        if let Some(record) = tokens.get_mut(&previous) {
            record.invalidate_from(now + limits.classic_overlap);
        }
    }
    Ok(token_reply("new", &token, limits.token_lifetime))
}

/// `POST /cgi-bin/stable_token` with `{"grant_type","appid","secret","force_refresh"?}`.
pub fn stable_token(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let body = call.json_object()?;
    let mut guard = sim.lock();
    let State { apps, tokens, rng, limits, .. } = &mut *guard;
    if body.get("grant_type").and_then(Value::as_str) != Some("client_credential") {
        return Err(WxErr(40002));
    }
    let appid = json_str(&body, "appid", 41002)?;
    let secret = json_str(&body, "secret", 41004)?;
    let force = match body.get("force_refresh") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(WxErr(47001)),
    };
    let app = app_with_secret(apps, Some(appid), Some(secret))?;
    let (day, minute) = (day_of(now), minute_of(now));
    if app.stable_this_minute.hit(minute) > limits.stable_per_minute {
        return Err(WxErr(45011));
    }
    if app.stable_today.hit(day) > limits.stable_daily {
        return Err(WxErr(45009));
    }

    let cooling_down = app.stable_last_force.is_some_and(|at| now - at < limits.stable_force_cooldown);
    if force && !cooling_down {
        // Undocumented: what the 21st forced refresh of a day answers. 45009 is our guess.
        if app.stable_force_today.get(day) >= limits.stable_force_daily {
            return Err(WxErr(45009));
        }
        app.stable_force_today.hit(day);
        app.stable_last_force = Some(now);
        let token = mint(tokens, rng, app, TokenKind::Stable, now, limits.token_lifetime);
        if let Some(previous) = app.stable.replace(token.clone()) {
            if let Some(record) = tokens.get_mut(&previous) {
                record.invalidate_from(now + limits.stable_force_grace);
            }
        }
        return Ok(token_reply("forced new", &token, limits.token_lifetime));
    }

    // Normal mode (and a forced refresh inside the cooldown, which "does not happen").
    let current = app.stable.as_ref().and_then(|t| tokens.get(t).map(|r| (t, r)));
    if let Some((token, record)) = current {
        let remaining = record.expires_at - now;
        if record.is_valid_at(now) && remaining > limits.stable_renew_window {
            return Ok(token_reply("same", token, remaining));
        }
    }
    // Renewal in the last minutes: the old token keeps working until its own expiry.
    let token = mint(tokens, rng, app, TokenKind::Stable, now, limits.token_lifetime);
    app.stable = Some(token.clone());
    Ok(token_reply("new", &token, limits.token_lifetime))
}

/// The check in front of every endpoint that takes `?access_token=`; answers the app it
/// belongs to.
pub fn authorize(state: &State, call: &Call, now: i64) -> Result<String, WxErr> {
    let token = call.required("access_token", 41001)?;
    if !ids::looks_like_access_token(token) {
        return Err(WxErr(40014));
    }
    let record = state.tokens.get(token).ok_or(WxErr(40001))?;
    match record.problem_at(now) {
        Some(code) => Err(WxErr(code)),
        None => Ok(record.appid.clone()),
    }
}

/// Looks the app up and checks its secret, with WeChat's errcodes for each way it can fail.
pub fn app_with_secret<'a>(
    apps: &'a mut BTreeMap<String, App>,
    appid: Option<&str>,
    secret: Option<&str>,
) -> Result<&'a mut App, WxErr> {
    let appid = appid.filter(|a| !a.is_empty()).ok_or(WxErr(41002))?;
    let app = apps.get_mut(appid).ok_or(WxErr(40013))?;
    let secret = secret.filter(|s| !s.is_empty()).ok_or(WxErr(41004))?;
    if secret != app.secret {
        return Err(WxErr(40125));
    }
    Ok(app)
}

fn mint(
    tokens: &mut HashMap<String, TokenRecord>,
    rng: &mut StdRng,
    app: &App,
    kind: TokenKind,
    now: i64,
    lifetime: i64,
) -> String {
    let token = ids::access_token(rng);
    let record = TokenRecord { appid: app.appid.clone(), kind, issued_at: now, expires_at: now + lifetime, invalid_from: None };
    tokens.insert(token.clone(), record);
    token
}

/// `label` says what happened, for the console line: "new", "same", "forced new".
fn token_reply(label: &str, token: &str, expires_in: i64) -> Reply {
    Reply::json(json!({"access_token": token, "expires_in": expires_in}))
        .with_note(format!("{label} token {} expires_in {expires_in}", ids::short(token)))
}

/// `GET /_sim/tokens`: both slots of an app, tokens in full (for tests only).
pub fn snapshot(state: &State, app: &App, now: i64) -> Value {
    let slot = |current: &Option<String>| {
        let record = current.as_ref().and_then(|t| state.tokens.get(t));
        json!({
            "current": current,
            "issued_at": record.map(|r| r.issued_at),
            "expires_at": record.map(|r| r.expires_at),
            "valid": record.is_some_and(|r| r.is_valid_at(now)),
        })
    };
    json!({"appid": app.appid, "now": now, "stable": slot(&app.stable), "classic": slot(&app.classic)})
}

/// `GET /_sim/tokens?access_token=`: what WeChat knows of one token, and what a call made
/// with it now would get.
pub fn describe(state: &State, token: &str, now: i64) -> Option<Value> {
    let record = state.tokens.get(token)?;
    Some(json!({
        "appid": record.appid,
        "kind": record.kind.name(),
        "issued_at": record.issued_at,
        "expires_at": record.expires_at,
        "invalid_from": record.invalid_from,
        "valid": record.is_valid_at(now),
        "errcode": record.problem_at(now).unwrap_or(0),
    }))
}

/// `POST /_sim/tokens/invalidate`: the current token of a slot stops working now, behind the
/// holder's back. Answers the token that was invalidated, if there was one.
pub fn invalidate(state: &mut State, appid: &str, kind: TokenKind, now: i64) -> Option<String> {
    let app = state.apps.get(appid)?;
    let current = match kind {
        TokenKind::Classic => app.classic.clone(),
        TokenKind::Stable => app.stable.clone(),
    }?;
    state.tokens.get_mut(&current)?.invalidate_from(now);
    Some(current)
}
