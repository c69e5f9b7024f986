//! The Worker's entry points: the fetch router and the cron trigger.

use crate::routes::{self, Found, Route};
use crate::shared::config::CallKind;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{error_response, json, Ctx};
use crate::shared::objects;
use crate::token;
use crate::token::calls::Tick;
use serde_json::json;
use std::cell::Cell;
use worker::{event, Context, Env, Method, Request, Response, ScheduleContext, ScheduledEvent};

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
        crate::log_error!("configuration: {problem}");
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, wctx: Context) -> worker::Result<Response> {
    let started = worker::Date::now().as_millis();
    let ctx = Ctx::new(env);
    report_config_once(&ctx);
    let method = req.method();
    let path = req.path();
    let origin = web_origin(&ctx, &req, &path);
    if method == Method::Options && path.starts_with("/api/") {
        return Ok(preflight(origin.as_deref()));
    }
    let request_id = req
        .headers()
        .get("cf-ray")
        .ok()
        .flatten()
        .unwrap_or_else(|| crate::shared::http::random_bytes::<8>().map(hex::encode).unwrap_or_default());
    let appid = request_appid(&req, &path);
    let route_name = match routes::find(&req.inner().method().to_ascii_uppercase(), &path) {
        Found::Route(r, _) => Some(format!("{r:?}")),
        _ => None,
    };
    let result = route(&ctx, req).await;
    let mut failure: Option<(String, Option<i64>)> = None;
    let mut resp = match result {
        Ok(resp) => resp,
        Err(err) => {
            if err.status >= 500 {
                crate::log_error!("{method:?} {path}: {err}");
            }
            failure = Some((err.code.to_string(), err.wechat_errcode));
            // The mini program is the public side: it learns that something failed on our
            // side, never which variable is missing or why a token refresh failed (the log
            // above and /internal/token/status say that to the operator).
            let err = if path.starts_with("/api/") { err.for_public() } else { err };
            error_response(&err)
        }
    };
    // One JSON line per request; pushes without an error only when LOG_EVERY_PUSH is on (a line
    // per push costs as much as the rest of its answer under `wrangler dev`; the push handler
    // logs the ones with side effects).
    let is_push = path.starts_with("/wechat/push");
    if !is_push || failure.is_some() || ctx.config.log_every_push().unwrap_or(false) {
        let access = crate::shared::log::Access {
            request_id: &request_id,
            method: method.as_ref(),
            path: &path,
            route: route_name.as_deref(),
            appid: appid.as_deref(),
            status: resp.status_code(),
            duration_ms: worker::Date::now().as_millis().saturating_sub(started),
            error: failure.as_ref().map(|(code, _)| code.as_str()),
            errcode: failure.as_ref().and_then(|(_, errcode)| *errcode),
        };
        match access.level() {
            "error" => worker::console_error!("{}", access.line()),
            "warn" => worker::console_warn!("{}", access.line()),
            _ => worker::console_log!("{}", access.line()),
        }
    }
    if let Some(origin) = origin {
        let headers = resp.headers_mut();
        let _ = headers.set("Access-Control-Allow-Origin", &origin);
        let _ = headers.set("Vary", "Origin");
    }
    // The counters this request bumped reach the stats objects after the answer, batched.
    if crate::shared::stats::claim_flush() {
        let env = ctx.env.clone();
        wctx.wait_until(async move {
            worker::Delay::from(std::time::Duration::from_millis(crate::shared::stats::FLUSH_AFTER_MS)).await;
            crate::shared::stats::flush(&env).await;
        });
    }
    Ok(resp)
}

/// The app a request names, for the log line: `?appid=`, `X-WeChat-AppId`, or the path's
/// `/wechat/push/<appid>` (only plain app ids; anything else is left out).
fn request_appid(req: &Request, path: &str) -> Option<String> {
    let from_path = path.strip_prefix("/wechat/push/").or_else(|| path.strip_prefix("/wechat/pay/notify/")).map(str::to_owned);
    let candidate = crate::shared::http::query(req, "appid")
        .or_else(|| req.headers().get(crate::login::handler::APPID_HEADER).ok().flatten())
        .or(from_path)?;
    crate::shared::config::valid_appid(&candidate).then_some(candidate)
}

/// The request's `Origin` when it is a web page listed in `WEB_ORIGINS` calling `/api/*`
/// (the official account's pages): only those get CORS headers.
fn web_origin(ctx: &Ctx, req: &Request, path: &str) -> Option<String> {
    if !path.starts_with("/api/") {
        return None;
    }
    let origin = req.headers().get("Origin").ok().flatten()?;
    let allowed = ctx.config.web_origins().ok()?;
    crate::shared::origins::allowed(&allowed, &origin).then_some(origin)
}

/// A CORS preflight: allowed for listed origins, with the headers our `/api` routes read.
fn preflight(origin: Option<&str>) -> Response {
    let mut resp =
        Response::empty().map(|r| r.with_status(204)).unwrap_or_else(|_| error_response(&ApiError::internal("preflight")));
    if let Some(origin) = origin {
        let headers = resp.headers_mut();
        let _ = headers.set("Access-Control-Allow-Origin", origin);
        let _ = headers.set("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
        let _ = headers.set("Access-Control-Allow-Headers", "Authorization, Content-Type, X-WeChat-AppId");
        let _ = headers.set("Access-Control-Max-Age", "600");
        let _ = headers.set("Vary", "Origin");
    }
    resp
}

async fn route(ctx: &Ctx, mut req: Request) -> ApiResult<Response> {
    use crate::login::handler as login;
    use crate::oa::handler as oa;
    use crate::ops::handler as ops;
    use crate::outbound::handler as outbound;
    use crate::pay::handler as pay;
    use crate::push::handler as push;
    use crate::qrcode::handler as qrcode;
    use crate::token::handler as token;
    // The raw method: workers-rs reads one it does not know (QUERY, TRACE...) as GET.
    let method = req.inner().method().to_ascii_uppercase();
    let path = req.path();
    #[cfg(feature = "bench")]
    if path == "/_bench/push" {
        return crate::push::bench::run(&mut req).await;
    }
    #[cfg(feature = "bench")]
    if path == "/_bench/primitive" {
        return crate::push::bench::primitive(&mut req).await;
    }
    let (route, params) = match routes::find(&method, &path) {
        Found::Route(route, params) => (route, params),
        Found::MethodNotAllowed(allow) => return Err(ApiError::method_not_allowed(&method, &path).with_allow(allow)),
        Found::NotFound => return Err(ApiError::not_found(format!("no route for {method} {path}"))),
    };
    let param = params.first().copied();
    let kind = param.unwrap_or_default();
    let forward = forward(ctx);
    match route {
        Route::Health => json(200, &json!({ "status": "ok", "version": VERSION })),
        Route::OpenApi => openapi(),
        Route::Login => login::login(ctx, &mut req).await,
        Route::Me => login::me(ctx, &req).await,
        Route::Logout => login::logout(ctx, &req).await,
        Route::UserDecrypt => login::decrypt(ctx, &mut req).await,
        Route::UserVerify => login::verify(ctx, &mut req).await,
        Route::Phone => login::phone(ctx, &mut req).await,
        Route::ApiQrcode => qrcode::api_unlimited(ctx, &mut req).await,
        Route::InternalQrcode => qrcode::internal_code(ctx, &mut req, kind).await,
        Route::InternalLink => qrcode::link(ctx, &mut req, kind).await,
        Route::OaQrcode => qrcode::oa_qrcode(ctx, &mut req).await,
        Route::CustomMessage => outbound::custom(ctx, &mut req).await,
        Route::Typing => outbound::typing(ctx, &mut req).await,
        Route::SubscribeMessage => outbound::subscribe(ctx, &mut req).await,
        Route::MediaUpload => outbound::media_upload(ctx, &mut req).await,
        Route::Templates => outbound::list_templates(ctx, &req).await,
        Route::Analytics => outbound::analytics(ctx, &mut req, kind).await,
        Route::SecurityText => outbound::security_text(ctx, &mut req).await,
        Route::PushUrlCheck => push::verify_url(ctx, &req, param).await,
        Route::Push => push::receive(ctx, &mut req, param).await,
        Route::Token => token::token(ctx, &req).await,
        Route::TokenRefresh => token::refresh(ctx, &mut req).await,
        Route::TokenStatus => status(ctx, &req).await,
        Route::RevokeSessions => login::revoke_user(ctx, &req).await,
        Route::Users => crate::users::handler::get(ctx, &req).await,
        Route::ForgetUser => login::forget(ctx, &req).await,
        Route::OauthStart => oa::oauth_start(ctx, &req).await,
        Route::OauthCallback => oa::oauth_callback(ctx, &req).await,
        Route::WebSession => oa::web_session(ctx, &mut req).await,
        Route::JssdkConfig => oa::jssdk_config(ctx, &req).await,
        Route::OaTemplateMessage => oa::template_message(ctx, &mut req).await,
        Route::OaSubscribeMessage => oa::subscribe_message(ctx, &mut req).await,
        Route::OaUser => oa::user(ctx, &req, param).await,
        Route::ScanLoginStart => oa::scan_login_start(ctx, &mut req).await,
        Route::ScanLoginWait => oa::scan_login_wait(ctx, &req, param).await,
        Route::PayOrderInternal => pay::internal_order(ctx, &mut req).await,
        Route::PayOrderApi => pay::api_order(ctx, &mut req).await,
        Route::PayOrderGet => pay::get_order(ctx, &forward, &req, param).await,
        Route::PayOrderClose => pay::close_order(ctx, &req, param).await,
        Route::PayNotify => pay::notify(ctx, &forward, &mut req, param).await,
        Route::PayReconcile => pay::reconcile_now(ctx, &forward, &req).await,
        Route::PayRefund => crate::pay::refunds::create(ctx, &mut req).await,
        Route::PayRefundGet => crate::pay::refunds::get(ctx, &req, param).await,
        Route::Stats => ops::internal_stats(ctx, &req).await,
        Route::Admin => ops::admin(ctx, &req).await,
        Route::AdminLogin => ops::admin_login(ctx, &mut req).await,
        Route::AdminStats => ops::admin_stats(ctx, &req).await,
        Route::AdminScript => ops::admin_script(),
        Route::PayShipping => crate::pay::shipping_handler::upload(ctx, &mut req).await,
    }
}

/// WeChat Pay's paid-order forward, through the push ledger (`pay` does not know `push`).
fn forward(ctx: &Ctx) -> impl Fn(String, String, String) -> futures_util::future::LocalBoxFuture<'static, ApiResult<()>> {
    use futures_util::FutureExt;
    let env = ctx.env.clone();
    move |appid, key, payload| {
        let ctx = Ctx::new(env.clone());
        async move { crate::push::handler::claim_forward(&ctx, appid, key, payload).await }.boxed_local()
    }
}

/// `GET /internal/token/status?appid=`: the token object's state and the push outbox's, which
/// live in two capabilities (token, push) that do not know each other.
async fn status(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    let (appid, token) = crate::token::handler::status(ctx, req).await?;
    let outbox = crate::push::handler::outbox_counts(ctx, &appid).await?;
    let mut value = serde_json::to_value(&token).map_err(|_| ApiError::internal("could not encode the status"))?;
    value["outbox"] = serde_json::to_value(outbox).map_err(|_| ApiError::internal("could not encode the status"))?;
    // Which way the app's calls leave: straight to WeChat, or through its fixed-IP relay.
    let app = ctx.config.app(Some(&appid))?;
    let via = |kind| match app.upstream(&ctx.config.api_base, kind) {
        Ok((base, Some(_))) => json!({ "via": "relay", "url": base }),
        Ok((base, None)) => json!({ "via": "direct", "url": base }),
        Err(e) => json!({ "via": "misconfigured", "error": e.message }),
    };
    value["calls"] = json!({ "secret": via(CallKind::Secret), "api": via(CallKind::Api) });
    json(200, &value)
}

/// The HTTP contract, as OpenAPI 3.1.
fn openapi() -> ApiResult<Response> {
    let mut resp = Response::ok(OPENAPI).map_err(|_| ApiError::internal("could not build a response"))?;
    let _ = resp.headers_mut().set("Content-Type", "application/yaml; charset=utf-8");
    Ok(resp)
}

const OPENAPI: &str = include_str!("../openapi.yaml");

/// The cron trigger: the safety net for the token objects' alarms. Each app's object
/// refreshes only a token that is due; every app's token health is logged.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let ctx = Ctx::new(env);
    report_config_once(&ctx);
    for appid in ctx.config.app_ids() {
        match objects::call(&ctx.env, token::read::DO_BINDING, &appid, &Tick { appid: appid.clone() }).await {
            Ok(status) => crate::log_info!(
                "token health app={appid} state={} expires_at={:?} refreshes={} failures={} last_error={}",
                status.state,
                status.expires_at,
                status.stats.refreshes,
                status.stats.failures,
                status.stats.last_error.as_deref().unwrap_or("none"),
            ),
            Err(e) => crate::log_error!("token health app={appid}: {e}"),
        }
    }
    // WeChat Pay: unpaid orders whose notify may have been lost are queried and settled.
    let forward = forward(&ctx);
    let reconciled = crate::pay::handler::reconcile(&ctx, &forward, 50).await;
    match reconciled {
        Ok((0, _)) => {}
        Ok((queried, settled)) => crate::log_info!("pay reconciliation: {queried} queried, {settled} settled"),
        Err(e) => crate::log_error!("pay reconciliation: {e}"),
    }
}
