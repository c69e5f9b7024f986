//! The web-login object: one per OAuth `state` id (wechat-oa.md §1.3–1.4). It makes the state
//! single use, exchanges WeChat's code once (a second callback with the same code gets the
//! same answer), and holds the one-time hand-off the page trades for its session, so the
//! session token never appears in a URL. Its storage is deleted by the alarm afterwards.

use crate::login::handler::create_session;
use crate::login::replay::LoginAnswer;
use crate::oa::calls::{BeginWebLogin, Begun, CompleteWebLogin, RedeemWebLogin, WebLoginOutcome, HANDOFF_TTL_SECS};
use crate::oa::oauth::{parse_grant, snapshot_refused, Scope, UserGrant};
use crate::shared::config::CallKind;
use crate::shared::crypto::hex_eq;
use crate::shared::errcode::Api;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{error_response, now, random_bytes, Ctx};
use crate::shared::objects::{self, serve, ObjectCall};
use crate::shared::wechat;
use crate::users::directory::Source;
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, State};

const KEY: &str = "login";

/// The user a completed login is for, until the page collects the session.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct WebUser {
    openid: String,
    unionid: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    appid: String,
    scope: Scope,
    redirect: String,
    expires_at: u64,
    /// SHA-256 of the code that claimed the state (never the code itself).
    code_hash: Option<String>,
    outcome: Option<WebLoginOutcome>,
    user: Option<WebUser>,
    handoff_expires_at: u64,
    redeemed: bool,
}

type Flight = Shared<LocalBoxFuture<'static, ApiResult<WebLoginOutcome>>>;

#[durable_object]
pub struct WebLoginObject {
    state: Rc<State>,
    env: Env,
    inflight: Rc<RefCell<Option<Flight>>>,
}

impl DurableObject for WebLoginObject {
    fn new(state: State, env: Env) -> Self {
        WebLoginObject { state: Rc::new(state), env, inflight: Rc::new(RefCell::new(None)) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(match objects::call_name(&req).as_str() {
            BeginWebLogin::NAME => serve(&mut req, |c: BeginWebLogin| async move { self.begin(c).await }).await,
            CompleteWebLogin::NAME => serve(&mut req, |c: CompleteWebLogin| async move { self.complete(c).await }).await,
            RedeemWebLogin::NAME => serve(&mut req, |c: RedeemWebLogin| async move { self.redeem(c).await }).await,
            other => error_response(&ApiError::not_found(format!("no web-login call {other}"))),
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(e) = self.state.storage().delete_all().await {
            crate::log_warn!("web-login object cleanup: {e}");
        }
        Response::ok("ok")
    }
}

fn storage_failed(_: worker::Error) -> ApiError {
    ApiError::unavailable("the web-login store failed; retry shortly")
}

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

fn state_used() -> ApiError {
    ApiError::new(400, "state_used", "this web login was already completed: start it again")
}

impl WebLoginObject {
    async fn load(&self) -> ApiResult<Option<Record>> {
        objects::get_json(&self.state.storage(), KEY).await.map_err(storage_failed)
    }

    async fn save(&self, record: &Record) -> ApiResult<()> {
        objects::put_json(&self.state.storage(), KEY, record).await.map_err(storage_failed)
    }

    async fn begin(&self, call: BeginWebLogin) -> ApiResult<Begun> {
        if self.load().await?.is_some() {
            // Ids are 128 random bits: a collision means a replayed begin, never a new login.
            return Err(ApiError::new(409, "state_exists", "this login attempt exists already"));
        }
        let record = Record {
            appid: call.appid,
            scope: call.scope,
            redirect: call.redirect,
            expires_at: call.expires_at,
            code_hash: None,
            outcome: None,
            user: None,
            handoff_expires_at: 0,
            redeemed: false,
        };
        self.save(&record).await?;
        let forget_in = record.expires_at.saturating_sub(now()) + HANDOFF_TTL_SECS + 60;
        if let Err(e) = self.state.storage().set_alarm(Duration::from_secs(forget_in)).await {
            crate::log_warn!("web-login alarm: {e}");
        }
        Ok(Begun {})
    }

    async fn complete(&self, call: CompleteWebLogin) -> ApiResult<WebLoginOutcome> {
        let mut record = self
            .load()
            .await?
            .ok_or_else(|| ApiError::new(400, "state_expired", "this web login is unknown or finished: start it again"))?;
        let code_hash = sha256_hex(&call.code);
        match &record.code_hash {
            Some(seen) if hex_eq(seen, &code_hash) => {
                if let Some(outcome) = record.outcome.clone() {
                    return Ok(outcome);
                }
                // The first callback's exchange is still under way: share its result.
                let flight = self.inflight.borrow().clone();
                return match flight {
                    Some(flight) => flight.await,
                    None => Err(state_used()),
                };
            }
            Some(_) => return Err(state_used()),
            None => {}
        }
        if now() >= record.expires_at {
            return Err(ApiError::new(400, "state_expired", "the web login took longer than 10 minutes: start it again"));
        }
        // Claimed before the exchange: a second, different code finds the state used.
        record.code_hash = Some(code_hash);
        if call.code.is_empty() {
            // The user refused (no code): the state is spent, WeChat is not asked.
            let outcome = WebLoginOutcome::Failed { redirect: record.redirect.clone(), error: "access_denied".into() };
            record.outcome = Some(outcome.clone());
            self.save(&record).await?;
            return Ok(outcome);
        }
        self.save(&record).await?;
        let (state, env) = (self.state.clone(), self.env.clone());
        let inflight = self.inflight.clone();
        let flight = async move {
            let outcome = run_exchange(&state, env, record, &call.code).await;
            inflight.borrow_mut().take();
            outcome
        }
        .boxed_local()
        .shared();
        *self.inflight.borrow_mut() = Some(flight.clone());
        flight.await
    }

    async fn redeem(&self, call: RedeemWebLogin) -> ApiResult<LoginAnswer> {
        let invalid = || ApiError::new(400, "handoff_invalid", "the login code is unknown or expired: log in again");
        let mut record = self.load().await?.ok_or_else(invalid)?;
        let handoff = match &record.outcome {
            Some(WebLoginOutcome::Done { handoff, .. }) => handoff.clone(),
            _ => return Err(invalid()),
        };
        if !hex_eq(&handoff, &call.secret) || now() >= record.handoff_expires_at {
            return Err(invalid());
        }
        if record.redeemed {
            return Err(ApiError::new(400, "handoff_used", "the login code was already used: log in again"));
        }
        let user = record.user.clone().ok_or_else(invalid)?;
        // Used up before the session exists: a concurrent second redeem cannot get one too.
        record.redeemed = true;
        self.save(&record).await?;
        let ctx = Ctx::new(self.env.clone());
        let app = ctx.config.official_account(Some(&record.appid))?;
        create_session(&ctx, &app, &user.openid, user.unionid.as_deref(), None, Source::OaWebLogin).await
    }
}

/// The one exchange of the code, then the user's profile for `snsapi_userinfo`. The outcome
/// is kept (for a second callback with the same code) until the hand-off is used or expires.
async fn run_exchange(state: &State, env: Env, mut record: Record, code: &str) -> ApiResult<WebLoginOutcome> {
    let ctx = Ctx::new(env);
    let outcome = match exchange(&ctx, &record, code).await {
        Ok(user) => {
            let handoff = hex::encode(random_bytes::<16>()?);
            record.user = Some(user);
            record.handoff_expires_at = now() + HANDOFF_TTL_SECS;
            WebLoginOutcome::Done { redirect: record.redirect.clone(), handoff }
        }
        Err(e) if e.status < 500 => {
            crate::log_info!("web login on app {} refused: {}", record.appid, e.code);
            WebLoginOutcome::Failed { redirect: record.redirect.clone(), error: e.code.to_string() }
        }
        // WeChat or our storage failed: the user can try the callback again (same code).
        Err(e) => {
            record.code_hash = None;
            let _ = objects::put_json(&state.storage(), KEY, &record).await;
            return Err(e);
        }
    };
    record.outcome = Some(outcome.clone());
    objects::put_json(&state.storage(), KEY, &record).await.map_err(storage_failed)?;
    Ok(outcome)
}

async fn exchange(ctx: &Ctx, record: &Record, code: &str) -> ApiResult<WebUser> {
    let app = ctx.config.official_account(Some(&record.appid))?;
    let params = [("appid", app.appid.as_str()), ("secret", app.secret()?), ("code", code), ("grant_type", "authorization_code")];
    let url = wechat::app_url(&ctx.config.api_base, &app, CallKind::Secret, "/sns/oauth2/access_token", &params)?;
    let grant: UserGrant = parse_grant(&wechat::call_without_token(Api::OAuth, Method::Get, &url).await?)?;
    if grant.snapshot {
        // §1.6: a virtual user; its ids are fake. Nothing is recorded or bound.
        return Err(snapshot_refused());
    }
    let mut unionid = grant.unionid.clone();
    if record.scope == Scope::SnsapiUserinfo {
        let params = [("access_token", grant.access_token.as_str()), ("openid", grant.openid.as_str()), ("lang", "zh_CN")];
        let url = wechat::app_url(&ctx.config.api_base, &app, CallKind::Api, "/sns/userinfo", &params)?;
        let profile = wechat::call_without_token(Api::OAuth, Method::Get, &url).await?;
        if let Some(u) = profile.get("unionid").and_then(serde_json::Value::as_str).filter(|u| !u.is_empty()) {
            unionid = Some(u.to_owned());
        }
    }
    if unionid.is_none() {
        // snsapi_base gives no unionid (§1.4), but a follower's user/info does (§4.1).
        if let Ok(info) = crate::oa::handler::user_info(ctx, &app.appid, &grant.openid).await {
            unionid = info.get("unionid").and_then(serde_json::Value::as_str).filter(|u| !u.is_empty()).map(str::to_owned);
        }
    }
    Ok(WebUser { openid: grant.openid, unionid })
}
