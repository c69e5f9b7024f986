//! The access_token read path: the isolate's memory, then KV (written only by the token
//! object), then the token object itself, which is the only writer and the only caller of
//! WeChat's token endpoints.

use crate::shared::error::ApiResult;
use crate::shared::http::Ctx;
use crate::shared::objects;
use crate::token::calls::{GetToken, RefreshToken};
use crate::token::policy::StoredToken;
use std::cell::RefCell;
use std::collections::HashMap;

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
    let t = objects::call(&ctx.env, DO_BINDING, appid, &GetToken { appid: appid.to_owned() }).await?;
    remember(appid, &t);
    Ok(t)
}

/// Compare-and-refresh: refreshes only if `seen` is still the object's current token;
/// otherwise returns the newer token someone else already fetched.
pub async fn refresh_if_current(ctx: &Ctx, appid: &str, seen: &str) -> ApiResult<StoredToken> {
    let t = objects::call(&ctx.env, DO_BINDING, appid, &RefreshToken { appid: appid.to_owned(), seen: seen.to_owned() }).await?;
    remember(appid, &t);
    Ok(t)
}
