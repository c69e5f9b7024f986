//! The `/_sim/` control API the tests and the demo drive: the clock, the call log, faults,
//! token slots, counters, limits and reset. User-facing hooks (codes, open data) live in
//! `users.rs` and `open_data.rs`. Bad requests get 400 `{"error": "..."}`; nothing here is
//! logged as a WeChat call.

use crate::clock::{date_of_day, day_of};
use crate::config::Limits;
use crate::faults::FaultRule;
use crate::state::{Sim, State, TokenKind};
use crate::whitelist::Scope;
use crate::{open_data, push, tokens, users};
use axum::body::Bytes;
use axum::extract::{RawQuery, Request, State as Shared};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;

pub type Ctl = Result<Json<Value>, CtlError>;

pub fn router(sim: Arc<Sim>) -> Router<Arc<Sim>> {
    Router::new()
        .route("/_sim/health", get(health))
        .route("/_sim/clock", get(clock))
        .route("/_sim/clock/advance", post(clock_advance))
        .route("/_sim/clock/freeze", post(clock_freeze))
        .route("/_sim/login_code", post(users::login_code))
        .route("/_sim/phone_code", post(users::phone_code))
        .route("/_sim/users", get(users::show))
        .route("/_sim/users/block", post(users::block))
        .route("/_sim/user_action", post(users::user_action))
        .route("/_sim/open_data", post(open_data::create))
        .route("/_sim/pages", get(crate::qrcode::hooks::pages_show).post(crate::qrcode::hooks::pages_set))
        .route("/_sim/qr_quota", get(crate::qrcode::hooks::quota_show).post(crate::qrcode::hooks::quota_set))
        .route("/_sim/push", post(push::push))
        .route("/_sim/push/verify", post(push::verify))
        .route("/_sim/push/log", get(push::log))
        .route("/_sim/push/log/clear", post(push::log_clear))
        .route("/_sim/media", get(crate::media::list))
        .route("/_sim/templates", post(crate::templates::set))
        .route("/_sim/subscriptions", get(crate::templates::show).post(crate::templates::grant))
        .route("/_sim/risky_words", get(crate::security::risky_words).post(crate::security::set_risky_words))
        .route("/_sim/oa/follow", post(crate::oa::users::follow))
        .route("/_sim/oa/templates", post(crate::oa::template::set))
        .route("/_sim/oa/messages", get(crate::oa::template::messages))
        .route("/_sim/tickets", get(crate::oa::ticket::show))
        .route("/_sim/tickets/invalidate", post(crate::oa::ticket::invalidate))
        .route("/_sim/tickets/next", post(crate::oa::ticket::next))
        .route("/_sim/jssdk/check", post(crate::oa::ticket::check))
        .route("/_sim/log", get(log))
        .route("/_sim/log/clear", post(log_clear))
        .route("/_sim/faults", get(faults_list).post(faults_add).delete(faults_clear))
        .route("/_sim/tokens", get(tokens_show))
        .route("/_sim/tokens/invalidate", post(tokens_invalidate))
        .route("/_sim/counters", get(counters))
        .route("/_sim/limits", get(limits_show).post(limits_update))
        .route("/_sim/whitelist", get(whitelist_show).post(whitelist_set))
        .route("/_sim/reset", post(reset))
        .merge(crate::pay::routes())
        .route("/_sim/{*rest}", axum::routing::any(unknown))
        .method_not_allowed_fallback(wrong_method)
        .route_layer(middleware::from_fn_with_state(sim, console))
}

/// A 400 (or 404) with `{"error": "..."}`.
#[derive(Debug)]
pub struct CtlError(StatusCode, String);

impl CtlError {
    pub fn bad(message: impl Into<String>) -> Self {
        CtlError(StatusCode::BAD_REQUEST, message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        CtlError(StatusCode::NOT_FOUND, message.into())
    }
}

impl IntoResponse for CtlError {
    fn into_response(self) -> Response {
        (self.0, Json(json!({"error": self.1}))).into_response()
    }
}

/// A JSON control body; an empty body reads as `{}`.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, CtlError> {
    let text: &[u8] = if body.iter().all(u8::is_ascii_whitespace) { b"{}" } else { body };
    serde_json::from_slice(text).map_err(|e| CtlError::bad(format!("bad JSON body: {e}")))
}

pub fn query(raw: Option<String>) -> HashMap<String, String> {
    raw.map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

/// The app a control request means: the one named, or the first configured.
pub fn resolve_appid(state: &State, appid: Option<&str>) -> Result<String, CtlError> {
    let appid = appid.unwrap_or(&state.default_appid);
    if state.apps.contains_key(appid) {
        Ok(appid.to_string())
    } else {
        Err(CtlError::bad(format!("unknown appid {appid:?}")))
    }
}

async fn console(Shared(sim): Shared<Arc<Sim>>, request: Request, next: Next) -> Response {
    let line = format!("{} {}", request.method(), request.uri().path());
    let response = next.run(request).await;
    if sim.config.print_log {
        println!("ctl {line} -> {}", response.status().as_u16());
        let _ = std::io::stdout().flush();
    }
    response
}

async fn health(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    let apps: Vec<String> = sim.config.apps.iter().map(|a| a.appid.clone()).collect();
    let official_accounts: Vec<&String> =
        sim.config.apps.iter().filter(|a| a.kind == crate::config::AppKind::OfficialAccount).map(|a| &a.appid).collect();
    let relay = sim.relay_addr.map(|a| format!("http://{a}"));
    Json(json!({"ok": true, "apps": apps, "official_accounts": official_accounts, "now": sim.clock.now(), "relay": relay}))
}

async fn clock(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    Json(json!({"now": sim.clock.now(), "frozen": sim.clock.is_frozen()}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Freeze {
    #[serde(default = "yes")]
    frozen: bool,
}

fn yes() -> bool {
    true
}

async fn clock_freeze(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let Freeze { frozen } = parse(&body)?;
    sim.clock.set_frozen(frozen);
    Ok(Json(json!({"now": sim.clock.now(), "frozen": sim.clock.is_frozen()})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    seconds: i64,
}

async fn clock_advance(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let Advance { seconds } = parse(&body)?;
    if seconds < 0 {
        return Err(CtlError::bad("the clock only moves forward: seconds must be >= 0"));
    }
    Ok(Json(json!({"now": sim.clock.advance(seconds), "frozen": sim.clock.is_frozen()})))
}

async fn log(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Json<Value> {
    let q = query(raw);
    let calls = sim.lock().log.calls(q.get("path").map(String::as_str), q.get("via").map(String::as_str));
    Json(json!({"calls": calls}))
}

async fn log_clear(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    sim.lock().log.clear();
    Json(json!({"ok": true}))
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    Many(Vec<FaultRule>),
    One(FaultRule),
}

async fn faults_add(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let rules = match parse(&body)? {
        OneOrMany::Many(rules) => rules,
        OneOrMany::One(rule) => vec![rule],
    };
    for rule in &rules {
        rule.validate().map_err(CtlError::bad)?;
    }
    let queued = rules.len();
    let mut state = sim.lock();
    state.faults.add(rules);
    Ok(Json(json!({"queued": queued, "faults": state.faults.list()})))
}

async fn faults_list(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    Json(json!({"faults": sim.lock().faults.list()}))
}

async fn faults_clear(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    sim.lock().faults.clear();
    Json(json!({"ok": true}))
}

async fn tokens_show(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let now = sim.clock.now();
    let state = sim.lock();
    if let Some(token) = q.get("access_token") {
        return tokens::describe(&state, token, now)
            .map(Json)
            .ok_or_else(|| CtlError::not_found("no such token was ever issued"));
    }
    let appid = resolve_appid(&state, q.get("appid").map(String::as_str))?;
    let app = state.apps.get(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    Ok(Json(tokens::snapshot(&state, app, now)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invalidate {
    appid: Option<String>,
    kind: String,
}

async fn tokens_invalidate(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: Invalidate = parse(&body)?;
    let kind = match req.kind.as_str() {
        "stable" => TokenKind::Stable,
        "classic" => TokenKind::Classic,
        other => return Err(CtlError::bad(format!("kind must be stable or classic, got {other:?}"))),
    };
    let now = sim.clock.now();
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    let invalidated = tokens::invalidate(&mut state, &appid, kind, now);
    Ok(Json(json!({"appid": appid, "kind": kind.name(), "invalidated": invalidated})))
}

async fn counters(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let day = day_of(sim.clock.now());
    let state = sim.lock();
    let appid = resolve_appid(&state, q.get("appid").map(String::as_str))?;
    let app = state.apps.get(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let calls = if app.calls_day == day { json!(app.calls_today) } else { json!({}) };
    Ok(Json(json!({"appid": appid, "date": date_of_day(day), "calls": calls})))
}

async fn limits_show(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    Json(json!(sim.lock().limits))
}

/// Merges the fields given onto the current limits.
async fn limits_update(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let changes: Value = parse(&body)?;
    let Value::Object(changes) = changes else {
        return Err(CtlError::bad("limits must be a JSON object"));
    };
    let mut state = sim.lock();
    let mut merged = json!(state.limits);
    if let Value::Object(current) = &mut merged {
        current.extend(changes);
    }
    let limits: Limits = serde_json::from_value(merged).map_err(|e| CtlError::bad(format!("bad limits: {e}")))?;
    limits.validate().map_err(CtlError::bad)?;
    state.limits = limits;
    Ok(Json(json!(state.limits)))
}

fn whitelist_of(state: &State, appid: &str) -> Value {
    let scope = state.apps.get(appid).and_then(|a| a.ip_whitelist);
    json!({"appid": appid, "enabled": scope.is_some(), "scope": scope.map(Scope::name)})
}

/// `GET /_sim/whitelist?appid=`: one app's IP whitelist; without `appid`, every app's.
async fn whitelist_show(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let state = sim.lock();
    if let Some(appid) = q.get("appid") {
        let appid = resolve_appid(&state, Some(appid))?;
        return Ok(Json(whitelist_of(&state, &appid)));
    }
    let apps: Vec<Value> = state.apps.keys().map(|appid| whitelist_of(&state, appid)).collect();
    let relay = sim.relay_addr.map(|a| format!("http://{a}"));
    Ok(Json(json!({"whitelist": apps, "relay": relay})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhitelistSet {
    appid: Option<String>,
    #[serde(default = "yes")]
    enabled: bool,
    scope: Option<String>,
}

/// `POST /_sim/whitelist {"appid"?, "enabled"?: true, "scope"?: "secret" | "all"}`: turns an
/// app's IP whitelist on (calls from anywhere but the relay port get 40164) or off.
async fn whitelist_set(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: WhitelistSet = parse(&body)?;
    let scope = Scope::parse(req.scope.as_deref().unwrap_or("secret")).map_err(CtlError::bad)?;
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    if let Some(app) = state.apps.get_mut(&appid) {
        app.ip_whitelist = req.enabled.then_some(scope);
    }
    Ok(Json(whitelist_of(&state, &appid)))
}

async fn reset(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    sim.reset();
    Json(json!({"ok": true}))
}

async fn wrong_method(request: Request) -> CtlError {
    CtlError(StatusCode::METHOD_NOT_ALLOWED, format!("{} is not allowed on {}", request.method(), request.uri().path()))
}

async fn unknown(request: Request) -> CtlError {
    CtlError::not_found(format!("no control route {} {}", request.method(), request.uri().path()))
}
