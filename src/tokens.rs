//! The access_token read path: the isolate's memory, then KV (written only by the token
//! object), then the token object itself, which is the only writer and the only caller of
//! WeChat's token endpoints.

use crate::error::{ApiError, ApiResult};
use crate::http::Ctx;
use crate::token_policy::StoredToken;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use worker::{Env, Method, Request, RequestInit, Response};

pub const KV_BINDING: &str = "KV";
pub const DO_BINDING: &str = "TOKEN_DO";

pub fn kv_key(appid: &str) -> String {
    format!("token:{appid}")
}

thread_local! {
    /// Tokens this isolate has seen, per app id. Checked for freshness on every read.
    static MEMORY: RefCell<HashMap<String, StoredToken>> = RefCell::new(HashMap::new());
}

fn remember(appid: &str, token: &StoredToken) {
    MEMORY.with(|m| m.borrow_mut().insert(appid.to_owned(), token.clone()));
}

/// A servable token for `appid`.
pub async fn get(ctx: &Ctx, appid: &str) -> ApiResult<StoredToken> {
    let policy = ctx.config.token_policy()?;
    if let Some(t) = MEMORY.with(|m| m.borrow().get(appid).cloned()) {
        if t.is_servable(ctx.now, &policy) {
            return Ok(t);
        }
    }
    if let Ok(kv) = ctx.env.kv(KV_BINDING) {
        // A KV failure is not fatal: the object can still answer.
        if let Ok(Some(t)) = kv.get(&kv_key(appid)).json::<StoredToken>().await {
            if t.is_servable(ctx.now, &policy) {
                remember(appid, &t);
                return Ok(t);
            }
        }
    }
    let t = token_from_object(&ctx.env, appid, Method::Get, "/token", None).await?;
    remember(appid, &t);
    Ok(t)
}

/// Compare-and-refresh: refreshes only if `seen` is still the object's current token;
/// otherwise returns the newer token someone else already fetched.
pub async fn refresh_if_current(ctx: &Ctx, appid: &str, seen: &str) -> ApiResult<StoredToken> {
    let t = token_from_object(&ctx.env, appid, Method::Post, "/refresh", Some(json!({ "seen": seen }))).await?;
    remember(appid, &t);
    Ok(t)
}

async fn token_from_object(env: &Env, appid: &str, method: Method, path: &str, body: Option<Value>) -> ApiResult<StoredToken> {
    let value = object_request(env, appid, method, path, body).await?;
    serde_json::from_value(value).map_err(|_| ApiError::internal("the token object answered in an unexpected shape"))
}

/// A request to the app's token object; its error responses come back as our errors.
pub async fn object_request(env: &Env, appid: &str, method: Method, path: &str, body: Option<Value>) -> ApiResult<Value> {
    object_call(env, DO_BINDING, appid, method, &format!("{path}?appid={appid}"), body).await
}

/// A JSON request to the Durable Object named `name` in `binding`. The objects answer in the
/// contract's error shape, which comes back as the same [`ApiError`].
pub async fn object_call(env: &Env, binding: &str, name: &str, method: Method, path: &str, body: Option<Value>) -> ApiResult<Value> {
    let unavailable = |what: &str| ApiError::unavailable(format!("the {binding} object is unavailable ({what}); retry shortly"));
    let namespace = env.durable_object(binding).map_err(|_| ApiError::config(binding, "is not bound (a Durable Object)"))?;
    let stub = namespace.id_from_name(name).and_then(|id| id.get_stub()).map_err(|_| unavailable("stub"))?;
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(body) = body {
        init.with_body(Some(body.to_string().into()));
    }
    let req = Request::new_with_init(&format!("https://object{path}"), &init).map_err(|_| unavailable("request"))?;
    let mut resp: Response = stub.fetch_with_request(req).await.map_err(|_| unavailable("fetch"))?;
    let status = resp.status_code();
    let value: Value = resp.json().await.map_err(|_| unavailable("body"))?;
    if status == 200 {
        return Ok(value);
    }
    Err(error_from_body(status, &value))
}

/// Rebuilds an [`ApiError`] from the contract's JSON shape (the object speaks it too).
pub fn error_from_body(status: u16, value: &Value) -> ApiError {
    let e = &value["error"];
    let code = e["code"].as_str().unwrap_or("internal_error").to_owned();
    let message = e["message"].as_str().unwrap_or("the access-token object failed").to_owned();
    let mut err = ApiError::new(status, code, message);
    if let Some(c) = e["wechat_errcode"].as_i64() {
        err = err.with_errcode(c);
    }
    err
}
