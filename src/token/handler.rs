//! `/internal/token*`: the access-token central control, read by the business's own servers
//! with `Authorization: Bearer <INTERNAL_API_KEY>`.

use crate::shared::error::ApiResult;
use crate::shared::fields::bounded_str;
use crate::shared::http::{json, json_body, query, require_internal_key, Ctx};
use crate::shared::objects;
use crate::token::calls::{GetStatus, TokenStatus};
use crate::token::read::{self, DO_BINDING};
use serde_json::json;
use worker::{Request, Response};

/// `GET /internal/token?appid=` → `{"access_token", "expires_in"}`.
pub async fn token(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let app = ctx.config.app(query(req, "appid").as_deref())?;
    let policy = ctx.config.token_policy()?;
    let t = read::get(ctx, &app.appid).await?;
    json(200, &json!({ "access_token": t.access_token, "expires_in": t.expires_in(ctx.now, &policy) }))
}

/// `POST /internal/token/refresh?appid=` `{"access_token": "<the token WeChat rejected>"}`:
/// refreshes only if that token is still the current one (compare-and-refresh).
pub async fn refresh(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let app = ctx.config.app(query(req, "appid").as_deref())?;
    let body = json_body(req, 4096).await?;
    let seen = bounded_str(&body, "access_token", 2048)?;
    let policy = ctx.config.token_policy()?;
    let t = read::refresh_if_current(ctx, &app.appid, seen).await?;
    json(
        200,
        &json!({
            "access_token": t.access_token,
            "expires_in": t.expires_in(ctx.now, &policy),
            "changed": t.access_token != seen,
        }),
    )
}

/// `GET /internal/token/status?appid=`: fetched_at, expires_at, refresh counts, the last
/// error — never the token. (The router adds the push outbox's counts.)
pub async fn status(ctx: &Ctx, req: &Request) -> ApiResult<(String, TokenStatus)> {
    require_internal_key(ctx, req)?;
    let app = ctx.config.app(query(req, "appid").as_deref())?;
    let status = objects::call(&ctx.env, DO_BINDING, &app.appid, &GetStatus { appid: app.appid.clone() }).await?;
    Ok((app.appid, status))
}
