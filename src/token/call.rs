//! The token helper every token-authenticated WeChat call goes through: on 40001 / 42001 /
//! 40014 it asks the token object to refresh *if the failing token is still current*, then
//! retries the call once, never more.

use crate::shared::config::CallKind;
use crate::shared::errcode::{self, Api};
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::Ctx;
use crate::shared::wechat::{app_url, send_payload, Failure, Payload, Reply};
use crate::token::read;
use serde_json::Value;
use worker::Method;

/// A token-authenticated call: `path` on `WECHAT_API_BASE` with `access_token` added to
/// `params`. A stale token is refreshed (compare-and-refresh) and the call retried once,
/// never more. Errcodes other than the stale-token ones come back mapped for `api`.
pub async fn call(
    ctx: &Ctx,
    appid: &str,
    api: Api,
    method: Method,
    path: &str,
    params: &[(&str, &str)],
    body: Option<&Value>,
) -> ApiResult<Reply> {
    call_payload(ctx, appid, api, method, path, params, body.map(Payload::Json)).await
}

/// [`call`] with any [`Payload`] (resent as is on the one retry).
pub async fn call_payload(
    ctx: &Ctx,
    appid: &str,
    api: Api,
    method: Method,
    path: &str,
    params: &[(&str, &str)],
    payload: Option<Payload<'_>>,
) -> ApiResult<Reply> {
    let app = ctx.config.app(Some(appid))?;
    let mut token = read::get(ctx, appid).await?;
    for attempt in 0..2 {
        let mut all: Vec<(&str, &str)> = params.to_vec();
        all.push(("access_token", token.access_token.as_str()));
        let target = app_url(&ctx.config.api_base, &app, CallKind::Api, path, &all)?;
        let reply = send_payload(method.clone(), &target, payload).await.map_err(Failure::into_error)?;
        let Reply::Json(json) = reply else { return Ok(reply) };
        let code = errcode::errcode_of(&json);
        if errcode::is_stale_token(code) && attempt == 0 {
            crate::log_warn!("wechat {path}: errcode {code}, refreshing the access token once (app {appid})");
            token = read::refresh_if_current(ctx, appid, &token.access_token).await?;
            continue;
        }
        if code != 0 {
            crate::shared::stats::errcode(appid, code, path, ctx.now);
        }
        return errcode::check(api, json).map(Reply::Json);
    }
    Err(ApiError::upstream("WeChat rejected a freshly refreshed access token"))
}

/// [`call`] for endpoints that answer JSON only.
pub async fn call_json(
    ctx: &Ctx,
    appid: &str,
    api: Api,
    method: Method,
    path: &str,
    params: &[(&str, &str)],
    body: Option<&Value>,
) -> ApiResult<Value> {
    match call(ctx, appid, api, method, path, params, body).await? {
        Reply::Json(v) => Ok(v),
        Reply::Binary { .. } => Err(ApiError::upstream("WeChat answered with an image where JSON was expected")),
    }
}
