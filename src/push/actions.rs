//! The slow work of a push, run by the push ledger after the claim: customer-service sends
//! through the token helper, and forwarding to the business webhook.

use crate::push::ledger::Outcome;
use crate::push::rules::{forward_signature, Action};
use crate::shared::errcode::Api;
use crate::shared::error::{ApiResult, Retry};
use crate::shared::http::{now, Ctx};
use crate::shared::wechat::TIMEOUT_MS;
use crate::token;
use futures_util::future::{select, Either};
use std::time::Duration;
use worker::{Delay, Env, Fetch, Headers, Method, Request, RequestInit};

/// Runs one outbox action; the ledger decides what its [`Outcome`] means for the row.
pub async fn run_action(env: &Env, appid: &str, action: &Action) -> Outcome {
    match action {
        Action::CustomSend { body } => {
            let ctx = Ctx::new(env.clone());
            let path = "/cgi-bin/message/custom/send";
            match token::call::call_json(&ctx, appid, Api::Messages, Method::Post, path, &[], Some(body)).await {
                Ok(_) => {
                    crate::log_info!("custom/send done (app {appid})");
                    Outcome::Done
                }
                Err(e) => match e.retry {
                    Retry::Safe => Outcome::Retry(e.message),
                    // After a timeout the send may have gone through.
                    Retry::Uncertain => Outcome::Unknown(e.message),
                    Retry::Never => Outcome::Failed(e.to_string()),
                },
            }
        }
        Action::Forward { payload } => forward(env, appid, payload).await,
        Action::Follow { openid, following } => outcome(crate::oa::events::follow(env, appid, openid, *following).await),
        Action::ScanLogin { scene, openid, new_follower } => {
            outcome(crate::oa::events::scan_login(env, appid, scene, openid, *new_follower).await)
        }
        Action::TradeManage { payload } => outcome(crate::pay::shipping_events::record(env, appid, payload).await),
    }
}

/// A safe-to-repeat action's result: a failure worth retrying is retried by the outbox.
fn outcome(result: ApiResult<()>) -> Outcome {
    match result {
        Ok(()) => Outcome::Done,
        Err(e) if e.status >= 500 => Outcome::Retry(e.message),
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

async fn forward(env: &Env, appid: &str, payload: &str) -> Outcome {
    let config = crate::shared::http::config_from_env(env);
    let (url, secret) = match config.business_webhook() {
        Ok(Some(target)) => target,
        Ok(None) => return Outcome::Failed("BUSINESS_WEBHOOK_URL is no longer set".into()),
        Err(e) => return Outcome::Failed(e.message),
    };
    let timestamp = now();
    let headers = Headers::new();
    let _ = headers.set("Content-Type", "application/json; charset=utf-8");
    let _ = headers.set("X-WeChat-AppId", appid);
    let _ = headers.set("X-WechatEdge-Timestamp", &timestamp.to_string());
    let _ = headers.set("X-WechatEdge-Signature", &forward_signature(&secret, timestamp, payload));
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_headers(headers).with_body(Some(payload.into()));
    let request = match Request::new_with_init(&url, &init) {
        Ok(r) => r,
        Err(_) => return Outcome::Failed("BUSINESS_WEBHOOK_URL is not a valid URL".into()),
    };
    let fetch = Fetch::Request(request);
    let answered = match select(Box::pin(fetch.send()), Box::pin(Delay::from(Duration::from_millis(TIMEOUT_MS)))).await {
        Either::Left((result, _)) => Some(result.map(|resp| resp.status_code())),
        Either::Right(_) => None,
    };
    match answered {
        Some(Ok(status)) if (200..300).contains(&status) => Outcome::Done,
        Some(Ok(status)) => Outcome::Retry(format!("the business webhook answered HTTP {status}")),
        Some(Err(e)) => Outcome::Retry(format!("the business webhook could not be reached ({e})")),
        // The webhook may have taken it; receivers dedupe, so the ledger sends it again.
        None => Outcome::Unknown(format!("the business webhook did not answer within {TIMEOUT_MS} ms")),
    }
}
