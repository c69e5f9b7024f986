//! The read path of the token object's credentials (the access_token and the jsapi_ticket):
//! the isolate's memory, then KV (written only by the token object), then the token object
//! itself, which is the only writer and the only caller of WeChat's token and ticket endpoints.

use crate::shared::error::ApiResult;
use crate::shared::http::Ctx;
use crate::shared::objects;
use crate::token::calls::{Credential, GetToken, RefreshToken};
use crate::token::policy::StoredToken;
use std::cell::RefCell;
use std::collections::HashMap;

pub const KV_BINDING: &str = "KV";
pub const DO_BINDING: &str = "TOKEN_DO";

pub fn kv_key(appid: &str) -> String {
    Credential::AccessToken.kv_key(appid)
}

thread_local! {
    /// Credentials this isolate has seen, by KV key. Checked for freshness on every read.
    static MEMORY: RefCell<HashMap<String, StoredToken>> = RefCell::new(HashMap::new());
}

fn remember(key: String, token: &StoredToken) {
    MEMORY.with(|m| m.borrow_mut().insert(key, token.clone()));
}

/// A servable access token for `appid`.
pub async fn get(ctx: &Ctx, appid: &str) -> ApiResult<StoredToken> {
    get_credential(ctx, appid, Credential::AccessToken).await
}

/// A servable token or ticket for `appid`.
pub async fn get_credential(ctx: &Ctx, appid: &str, credential: Credential) -> ApiResult<StoredToken> {
    let policy = ctx.config.token_policy()?;
    let key = credential.kv_key(appid);
    if let Some(t) = MEMORY.with(|m| m.borrow().get(&key).cloned()) {
        if t.is_servable(ctx.now, &policy) {
            return Ok(t);
        }
    }
    if let Ok(kv) = ctx.env.kv(KV_BINDING) {
        // A KV failure is not fatal: the object can still answer.
        if let Ok(Some(t)) = kv.get(&key).json::<StoredToken>().await {
            if t.is_servable(ctx.now, &policy) {
                remember(key, &t);
                return Ok(t);
            }
        }
    }
    let t = objects::call(&ctx.env, DO_BINDING, appid, &GetToken { appid: appid.to_owned(), credential }).await?;
    remember(key, &t);
    Ok(t)
}

/// Compare-and-refresh: refreshes only if `seen` is still the object's current token;
/// otherwise returns the newer token someone else already fetched.
pub async fn refresh_if_current(ctx: &Ctx, appid: &str, seen: &str) -> ApiResult<StoredToken> {
    refresh_credential_if_current(ctx, appid, seen, Credential::AccessToken).await
}

/// Compare-and-refresh of either credential (a ticket the JS-SDK rejected, say).
pub async fn refresh_credential_if_current(ctx: &Ctx, appid: &str, seen: &str, credential: Credential) -> ApiResult<StoredToken> {
    let call = RefreshToken { appid: appid.to_owned(), seen: seen.to_owned(), credential };
    let t = objects::call(&ctx.env, DO_BINDING, appid, &call).await?;
    remember(credential.kv_key(appid), &t);
    Ok(t)
}
