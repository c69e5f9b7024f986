//! `GET /internal/users?unionid=` or `?appid=&openid=`: a person's accounts across apps.

use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{json, query, require_internal_key, Ctx};
use crate::users::directory::Lookup;
use crate::users::store;
use worker::{Request, Response};

/// The lookup a `/internal/users` request names; an `appid` must be configured.
pub fn lookup(ctx: &Ctx, req: &Request) -> ApiResult<Lookup> {
    let lookup =
        Lookup::from_query(query(req, "unionid").as_deref(), query(req, "appid").as_deref(), query(req, "openid").as_deref())?;
    if let Lookup::Account { appid, .. } = &lookup {
        ctx.config.app(Some(appid))?;
    }
    Ok(lookup)
}

pub fn not_found() -> ApiError {
    ApiError::new(404, "user_not_found", "the directory has no such user")
}

pub async fn get(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let lookup = lookup(ctx, req)?;
    let person = store::person(&ctx.env, &lookup).await?.ok_or_else(not_found)?;
    json(200, &person)
}
