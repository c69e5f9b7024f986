//! The Worker's entry points: the fetch router and the cron trigger.

use crate::error::{ApiError, ApiResult};
use crate::http::{error_response, json, Ctx};
use crate::{handlers, tokens};
use serde_json::json;
use std::cell::Cell;
use worker::{console_error, console_log, event, Context, Env, Method, Request, Response, ScheduleContext, ScheduledEvent};

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

thread_local! {
    static CONFIG_REPORTED: Cell<bool> = const { Cell::new(false) };
}

/// Logs malformed configuration once per isolate (names only, never values).
fn report_config_once(ctx: &Ctx) {
    if CONFIG_REPORTED.with(|r| r.replace(true)) {
        return;
    }
    for problem in ctx.config.problems() {
        console_error!("configuration: {problem}");
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, wctx: Context) -> worker::Result<Response> {
    let ctx = Ctx::new(env);
    report_config_once(&ctx);
    let method = req.method();
    let path = req.path();
    let result = route(&ctx, &wctx, req).await;
    Ok(match result {
        Ok(resp) => resp,
        Err(err) => {
            if err.status >= 500 {
                console_error!("{method:?} {path}: {err}");
            }
            error_response(&err)
        }
    })
}

async fn route(ctx: &Ctx, wctx: &Context, mut req: Request) -> ApiResult<Response> {
    let method = req.method();
    let path = req.path();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // workers-rs reads a method it does not know (QUERY, TRACE...) as GET: check the raw one.
    let raw_method = req.inner().method();
    if !matches!(raw_method.as_str(), "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") {
        return Err(match allowed(&segments) {
            Some(allow) => ApiError::method_not_allowed(&raw_method, &path).with_allow(allow),
            None => ApiError::not_found(format!("no route for {raw_method} {path}")),
        });
    }
    match (method.clone(), segments.as_slice()) {
        (Method::Get, ["health"]) => json(200, &json!({ "status": "ok", "version": VERSION })),
        (Method::Get, ["openapi.yaml"]) => openapi(),

        (Method::Post, ["api", "login"]) => handlers::login::login(ctx, &mut req).await,
        (Method::Get, ["api", "me"]) => handlers::login::me(ctx, &req).await,
        (Method::Post, ["api", "logout"]) => handlers::login::logout(ctx, &req).await,
        (Method::Post, ["api", "user", "decrypt"]) => handlers::login::decrypt(ctx, &mut req).await,
        (Method::Post, ["api", "user", "verify"]) => handlers::login::verify(ctx, &mut req).await,
        (Method::Post, ["api", "phone"]) => handlers::login::phone(ctx, &mut req).await,
        (Method::Post, ["api", "qrcode"]) => handlers::qrcode::api_unlimited(ctx, &mut req).await,
        (Method::Post, ["internal", "qrcode", kind]) => handlers::qrcode::internal_code(ctx, &mut req, kind).await,
        (Method::Post, ["internal", "links", kind]) => handlers::qrcode::link(ctx, &mut req, kind).await,
        (Method::Post, ["internal", "oa", "qrcode"]) => handlers::qrcode::oa_qrcode(ctx, &mut req).await,
        (Method::Post, ["internal", "messages", "custom"]) => handlers::messages::custom(ctx, &mut req).await,
        (Method::Post, ["internal", "messages", "typing"]) => handlers::messages::typing(ctx, &mut req).await,
        (Method::Post, ["internal", "messages", "subscribe"]) => handlers::messages::subscribe(ctx, &mut req).await,
        (Method::Post, ["internal", "media", "upload"]) => handlers::messages::media_upload(ctx, &mut req).await,
        (Method::Get, ["internal", "templates"]) => handlers::messages::list_templates(ctx, &req).await,
        (Method::Post, ["internal", "analytics", name]) => handlers::messages::analytics(ctx, &mut req, name).await,
        (Method::Post, ["internal", "security", "text"]) => handlers::messages::security_text(ctx, &mut req).await,

        (Method::Get, ["wechat", "push"]) => handlers::push::verify_url(ctx, &req, None).await,
        (Method::Get, ["wechat", "push", appid]) => handlers::push::verify_url(ctx, &req, Some(appid)).await,
        (Method::Post, ["wechat", "push"]) => handlers::push::receive(ctx, &mut req, None).await,
        (Method::Post, ["wechat", "push", appid]) => handlers::push::receive(ctx, &mut req, Some(appid)).await,

        (Method::Get, ["internal", "token"]) => handlers::internal::token(ctx, &req).await,
        (Method::Post, ["internal", "token", "refresh"]) => handlers::internal::refresh(ctx, &mut req).await,
        (Method::Get, ["internal", "token", "status"]) => handlers::internal::status(ctx, &req).await,

        (_, _) if allowed(&segments).is_some() => {
            let _ = wctx;
            let allow = allowed(&segments).unwrap_or("GET");
            Err(ApiError::method_not_allowed(&format!("{method:?}").to_uppercase(), &path).with_allow(allow))
        }
        _ => Err(ApiError::not_found(format!("no route for {} {path}", format!("{method:?}").to_uppercase()))),
    }
}

/// The HTTP contract, as OpenAPI 3.1.
fn openapi() -> ApiResult<Response> {
    let mut resp = Response::ok(OPENAPI).map_err(|_| ApiError::internal("could not build a response"))?;
    let _ = resp.headers_mut().set("Content-Type", "application/yaml; charset=utf-8");
    Ok(resp)
}

const OPENAPI: &str = include_str!("../openapi.yaml");

/// The methods a known path takes (for a 405 with `Allow`, rather than a 404).
fn allowed(segments: &[&str]) -> Option<&'static str> {
    match segments {
        ["health"] | ["openapi.yaml"] | ["api", "me"] | ["internal", "token"] | ["internal", "token", "status"] | ["internal", "templates"] => {
            Some("GET")
        }
        ["wechat", "push"] | ["wechat", "push", _] => Some("GET, POST"),
        ["api", "login" | "logout" | "phone" | "qrcode"]
        | ["api", "user", "decrypt" | "verify"]
        | ["internal", "token", "refresh"]
        | ["internal", "qrcode", _]
        | ["internal", "links", _]
        | ["internal", "oa", "qrcode"]
        | ["internal", "messages", "custom" | "typing" | "subscribe"]
        | ["internal", "media", "upload"]
        | ["internal", "analytics", _]
        | ["internal", "security", "text"] => Some("POST"),
        _ => None,
    }
}

/// The cron trigger: the safety net for the token objects' alarms. Each app's object
/// refreshes only a token that is due; every app's token health is logged.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let ctx = Ctx::new(env);
    report_config_once(&ctx);
    for appid in ctx.config.app_ids() {
        match tokens::object_request(&ctx.env, &appid, Method::Post, "/tick", None).await {
            Ok(status) => console_log!(
                "token health app={appid} state={} expires_at={} refreshes={} failures={} last_error={}",
                status["state"].as_str().unwrap_or("?"),
                status["expires_at"],
                status["stats"]["refreshes"],
                status["stats"]["failures"],
                status["stats"]["last_error"].as_str().unwrap_or("none"),
            ),
            Err(e) => console_error!("token health app={appid}: {e}"),
        }
    }
}
