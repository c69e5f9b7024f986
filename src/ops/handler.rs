//! `/internal/stats`, the status page (`/admin`, its login and its JSON), and the flush of the
//! counters gathered in memory to each app's stats object.

use crate::ops::admin::{cookie_value, session_valid, session_value, COOKIE, SESSION_SECS};
use crate::ops::stats::Read;
use crate::shared::config::AppType;
use crate::shared::crypto::hex_eq;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{body_bytes, header, json, query, require_internal_key, Ctx};
use crate::shared::objects;
use crate::shared::stats::{counter, BINDING};
use crate::token::calls::GetStatus;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use worker::{Request, Response};

/// Interfaces A and C of mini-program codes: 100,000 for the app's life (wechat-api.md §13).
const LIMITED_QR_QUOTA: u64 = 100_000;
/// The totals every app shows, zero when nothing happened.
const SHOWN: [&str; 13] = [
    counter::PUSHES_RECEIVED,
    counter::PUSHES_REDELIVERIES,
    counter::PUSHES_REFUSED,
    counter::LOGINS,
    counter::WEB_LOGINS,
    counter::SCAN_LOGINS,
    counter::QR_MADE,
    counter::QR_CACHED,
    counter::ORDERS_CREATED,
    counter::ORDERS_PAID,
    counter::NOTIFIES,
    counter::REFUNDS,
    counter::WECHAT_ERRORS,
];

async fn app_stats(ctx: &Ctx, appid: &str, app_type: AppType) -> ApiResult<Value> {
    let token = objects::call(&ctx.env, crate::token::read::DO_BINDING, appid, &GetStatus { appid: appid.to_owned() }).await?;
    let outbox = crate::push::handler::outbox_counts(ctx, appid).await?;
    let view = objects::call(&ctx.env, BINDING, appid, &Read {}).await?;
    let mut totals = serde_json::Map::new();
    for name in SHOWN {
        totals.insert(name.to_owned(), json!(view.totals.get(name).copied().unwrap_or(0)));
    }
    for (name, n) in &view.totals {
        totals.entry(name.clone()).or_insert(json!(n));
    }
    let limited_made = view.lifetime.get(counter::QR_LIMITED_MADE).copied().unwrap_or(0);
    let describe = |t: &crate::token::calls::TokenStatus| {
        json!({
            "state": t.state, "expires_at": t.expires_at, "refresh_at": t.refresh_at, "refreshing": t.refreshing,
            "refreshes": t.stats.refreshes, "failures": t.stats.failures, "last_error": t.stats.last_error,
            "last_errcode": t.stats.last_errcode,
        })
    };
    Ok(json!({
        "appid": appid,
        "app_type": crate::users::directory::app_type_name(app_type),
        "token": describe(&token),
        "jsapi_ticket": token.jsapi_ticket.as_deref().map(describe),
        "totals": totals,
        "hours": view.hours,
        "outbox": outbox,
        "qr": {
            "limited_made": limited_made,
            "limited_quota_left": LIMITED_QR_QUOTA.saturating_sub(limited_made),
        },
        "errcodes": view.errcodes,
    }))
}

async fn all_stats(ctx: &Ctx, only: Option<&str>) -> ApiResult<Value> {
    let mut apps = Vec::new();
    let ids = match only {
        Some(id) => vec![ctx.config.app(Some(id))?.appid],
        None => ctx.config.app_ids(),
    };
    for appid in ids {
        let app = ctx.config.app(Some(&appid))?;
        apps.push(app_stats(ctx, &appid, app.app_type).await?);
    }
    Ok(json!({ "generated_at": ctx.now, "apps": apps }))
}

/// `GET /internal/stats[?appid=]`: per app, the token's and ticket's health, the last 24 hours
/// of counters (per hour and in total), the push outbox, the QR quota, recent errcodes.
pub async fn internal_stats(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    json(200, &all_stats(ctx, query(req, "appid").as_deref()).await?)
}

fn page_session(ctx: &Ctx, req: &Request) -> bool {
    let Ok(key) = ctx.config.internal_api_key() else { return false };
    let cookies = header(req, "Cookie").unwrap_or_default();
    cookie_value(&cookies, COOKIE).is_some_and(|v| session_valid(key, v, ctx.now))
}

fn html(status: u16, body: String) -> ApiResult<Response> {
    let mut resp = Response::from_html(body).map_err(|_| ApiError::internal("could not build a page"))?.with_status(status);
    let headers = resp.headers_mut();
    let _ = headers.set("Cache-Control", "no-store");
    let _ = headers.set("X-Frame-Options", "DENY");
    let _ = headers.set("Referrer-Policy", "no-referrer");
    let _ = headers.set(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'",
    );
    Ok(resp)
}

fn login_page(error: Option<&str>) -> String {
    let error = error.map(|e| format!(r#"<p id="error" role="alert">{e}</p>"#)).unwrap_or_default();
    LOGIN_PAGE.replace("{{error}}", &error)
}

/// `GET /admin`: the status page, or its login form.
pub async fn admin(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    ctx.config.internal_api_key()?;
    if page_session(ctx, req) {
        html(200, STATUS_PAGE.to_owned())
    } else {
        html(200, login_page(None))
    }
}

/// `POST /admin/login` (form field `key`): the internal key for an HttpOnly, SameSite=Strict
/// cookie that lasts an hour. A wrong key is a 401 page.
pub async fn admin_login(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let expected = ctx.config.internal_api_key()?.to_owned();
    let body = body_bytes(req, 4096).await?;
    let key = form_urlencoded::parse(&body).find(|(k, _)| k == "key").map(|(_, v)| v.into_owned()).unwrap_or_default();
    let a = hex::encode(Sha256::digest(expected.as_bytes()));
    let b = hex::encode(Sha256::digest(key.as_bytes()));
    if key.is_empty() || !hex_eq(&a, &b) {
        return html(401, login_page(Some("That key is not the internal API key.")));
    }
    let secure = if req.inner().url().starts_with("https://") { "; Secure" } else { "" };
    let value = session_value(&expected, ctx.now + SESSION_SECS);
    let mut resp = Response::empty().map_err(|_| ApiError::internal("could not build a response"))?.with_status(303);
    let headers = resp.headers_mut();
    let _ = headers.set("Location", "/admin");
    let _ = headers.set("Cache-Control", "no-store");
    let _ = headers
        .set("Set-Cookie", &format!("{COOKIE}={value}; Path=/admin; Max-Age={SESSION_SECS}; HttpOnly; SameSite=Strict{secure}"));
    Ok(resp)
}

/// `GET /admin/stats.json`: `/internal/stats` for the page, by its cookie.
pub async fn admin_stats(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    ctx.config.internal_api_key()?;
    if !page_session(ctx, req) {
        return Err(ApiError::unauthorized("unauthorized", "log in at /admin"));
    }
    json(200, &all_stats(ctx, None).await?)
}

/// `GET /admin/status.js`: the page's script (no secrets; served apart so the page's CSP can
/// forbid inline scripts).
pub fn admin_script() -> ApiResult<Response> {
    let mut resp = Response::ok(STATUS_SCRIPT).map_err(|_| ApiError::internal("could not build a response"))?;
    let _ = resp.headers_mut().set("Content-Type", "text/javascript; charset=utf-8");
    let _ = resp.headers_mut().set("Cache-Control", "no-cache");
    Ok(resp)
}

const STATUS_SCRIPT: &str = include_str!("status.js");
const LOGIN_PAGE: &str = include_str!("login.html");
const STATUS_PAGE: &str = include_str!("status.html");
