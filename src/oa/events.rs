//! What the push webhook's outbox runs for an official account's events, after the push was
//! answered: a follow or unfollow updates the directory (a follower's unionid comes from
//! `user/info`, since events carry the openid only, wechat-oa.md §5), and a scan-to-login QR
//! code's `subscribe` / `SCAN` completes its attempt. Both are safe to run twice.

use crate::oa::calls::{ScanSeen, SCAN_LOGIN_BINDING};
use crate::oa::handler::user_info;
use crate::shared::error::ApiResult;
use crate::shared::http::Ctx;
use crate::shared::objects;
use crate::shared::stats::{self, counter};
use crate::users::directory::{Sighting, Source};
use crate::users::store;
use serde_json::Value;
use worker::Env;

/// The unionid `user/info` gives for a follower; a failure leaves it unknown (a later
/// sighting fills it in) instead of holding up the login.
async fn unionid_of(ctx: &Ctx, appid: &str, openid: &str) -> Option<String> {
    match user_info(ctx, appid, openid).await {
        Ok(info) => info.get("unionid").and_then(Value::as_str).map(str::trim).filter(|u| !u.is_empty()).map(str::to_owned),
        Err(e) => {
            crate::log_warn!("user/info on app {appid} failed ({}); the unionid stays unknown", e.code);
            None
        }
    }
}

async fn record(ctx: &Ctx, appid: &str, openid: &str, unionid: Option<String>, source: Source, following: bool) -> ApiResult<()> {
    let app = ctx.config.app(Some(appid))?;
    let sighting = Sighting {
        appid: appid.to_owned(),
        openid: openid.to_owned(),
        unionid,
        app_type: app.app_type,
        source,
        at: ctx.now,
        following: Some(following),
    };
    store::record(&ctx.env, &sighting).await
}

/// `subscribe` (a plain follow) or `unsubscribe`.
pub async fn follow(env: &Env, appid: &str, openid: &str, following: bool) -> ApiResult<()> {
    let ctx = Ctx::new(env.clone());
    // user/info tells nothing of a user who left.
    let unionid = if following { unionid_of(&ctx, appid, openid).await } else { None };
    record(&ctx, appid, openid, unionid, Source::OaFollow, following).await
}

/// A scan of a login QR code: the follower is recorded, then the attempt completes (once:
/// the attempt's object ignores a second scan).
pub async fn scan_login(env: &Env, appid: &str, scene: &str, openid: &str, new_follower: bool) -> ApiResult<()> {
    let ctx = Ctx::new(env.clone());
    let unionid = unionid_of(&ctx, appid, openid).await;
    record(&ctx, appid, openid, unionid.clone(), Source::OaScanLogin, true).await?;
    let seen = ScanSeen { openid: openid.to_owned(), unionid, new_follower };
    let answer = objects::call(&ctx.env, SCAN_LOGIN_BINDING, scene, &seen).await?;
    if answer.accepted {
        stats::count(appid, counter::SCAN_LOGINS, ctx.now);
        // This runs in the push ledger's outbox, not a request: the count is sent at once.
        stats::flush(&ctx.env).await;
    }
    crate::log_info!(
        "scan-to-login on app {appid}: {}",
        if answer.accepted { "completed" } else { "ignored (done, expired or unknown)" }
    );
    Ok(())
}
