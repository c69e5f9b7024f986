//! The access-token Durable Object: one per app id, the only caller of `cgi-bin/stable_token`
//! (or `cgi-bin/token`), and the only writer of the token to KV.
//!
//! Requests interleave at every await that is not storage, so refreshes are single-flight
//! through one shared in-flight future: however many callers need a token, one upstream call.
//! The token lives in the object's storage, so an evicted object comes back without a call.

use crate::shared::config::TokenApi;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{config_from_env, error_response, now};
use crate::shared::objects::{self, serve, ObjectCall};
use crate::token::calls::{GetStatus, GetToken, RefreshToken, Stats, Tick, TokenStatus};
use crate::token::fetch::{fetch_token, Attempt};
use crate::token::policy::{cooldown_secs, retry_delay_ms, Freshness, StoredToken, TokenPolicy};
use crate::token::read::{kv_key, KV_BINDING};
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::{console_log, console_warn, durable_object, Delay, DurableObject, Env, Request, Response, State};

const KEY_TOKEN: &str = "token";
const KEY_STATS: &str = "stats";
const KEY_APPID: &str = "appid";
/// Attempts within one refresh for transient failures (-1, 5xx, timeouts, bad bodies).
const MAX_ATTEMPTS: u32 = 3;

type Outcome = Result<StoredToken, ApiError>;

#[derive(Default)]
struct Inner {
    loaded: bool,
    token: Option<StoredToken>,
    stats: Stats,
    inflight: Option<Shared<LocalBoxFuture<'static, Outcome>>>,
}

#[durable_object]
pub struct AccessTokenObject {
    state: Rc<State>,
    env: Env,
    inner: Rc<RefCell<Inner>>,
}

impl DurableObject for AccessTokenObject {
    fn new(state: State, env: Env) -> Self {
        AccessTokenObject { state: Rc::new(state), env, inner: Rc::new(RefCell::new(Inner::default())) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(match objects::call_name(&req).as_str() {
            GetToken::NAME => serve(&mut req, |c: GetToken| async move { self.current(&c.appid).await }).await,
            RefreshToken::NAME => {
                serve(&mut req, |c: RefreshToken| async move { self.refresh_if_current(&c.appid, &c.seen).await }).await
            }
            GetStatus::NAME => serve(&mut req, |c: GetStatus| async move { self.status(&c.appid).await }).await,
            Tick::NAME => {
                serve(&mut req, |c: Tick| async move {
                    self.tick(&c.appid, "cron").await?;
                    self.status(&c.appid).await
                })
                .await
            }
            other => error_response(&ApiError::not_found(format!("no token-object call {other}"))),
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let appid: Option<String> = self.state.storage().get(KEY_APPID).await.ok().flatten();
        if let Some(appid) = appid {
            if let Err(e) = self.tick(&appid, "alarm").await {
                console_warn!("token alarm for app {appid}: {e}");
            }
        }
        Response::ok("ok")
    }
}

impl AccessTokenObject {
    fn policy(&self) -> ApiResult<TokenPolicy> {
        config_from_env(&self.env).token_policy()
    }

    /// Loads the stored token and stats once per object lifetime.
    async fn load(&self, appid: &str) -> ApiResult<()> {
        if self.inner.borrow().loaded {
            return Ok(());
        }
        let storage = self.state.storage();
        let fail = |_| ApiError::unavailable("the token object's storage failed; retry shortly");
        let token: Option<StoredToken> = storage.get(KEY_TOKEN).await.map_err(fail)?;
        let stats: Option<Stats> = storage.get(KEY_STATS).await.map_err(fail)?;
        let stored_appid: Option<String> = storage.get(KEY_APPID).await.map_err(fail)?;
        if stored_appid.as_deref() != Some(appid) {
            storage.put(KEY_APPID, appid).await.map_err(fail)?;
        }
        let mut inner = self.inner.borrow_mut();
        if !inner.loaded {
            inner.token = token;
            inner.stats = stats.unwrap_or_default();
            inner.loaded = true;
        }
        Ok(())
    }

    /// A servable token: the stored one, or a refreshed one.
    async fn current(&self, appid: &str) -> Outcome {
        self.load(appid).await?;
        let policy = self.policy()?;
        let token = self.inner.borrow().token.clone();
        match token {
            Some(t) if t.is_servable(now(), &policy) => Ok(t),
            _ => self.refresh(appid, "read").await,
        }
    }

    async fn refresh_if_current(&self, appid: &str, seen: &str) -> Outcome {
        self.load(appid).await?;
        let policy = self.policy()?;
        let token = self.inner.borrow().token.clone();
        match token {
            // Someone already replaced the token that failed: hand out the newer one.
            Some(t) if t.access_token != seen && t.is_servable(now(), &policy) => Ok(t),
            _ => self.refresh(appid, "stale").await,
        }
    }

    /// The active refresh (alarm, cron): only a token that is due or unusable is refreshed.
    async fn tick(&self, appid: &str, reason: &str) -> ApiResult<()> {
        self.load(appid).await?;
        let policy = self.policy()?;
        let token = self.inner.borrow().token.clone();
        let freshness = token.as_ref().map(|t| t.freshness(now(), &policy));
        match freshness {
            Some(Freshness::Fresh) => {
                if let Some(t) = token {
                    self.schedule_alarm(t.refresh_at(&policy)).await;
                }
                Ok(())
            }
            // No token yet and nobody asked for one: nothing to keep warm.
            None if reason == "cron" => Ok(()),
            _ => self.refresh(appid, reason).await.map(drop),
        }
    }

    async fn status(&self, appid: &str) -> ApiResult<TokenStatus> {
        self.load(appid).await?;
        let policy = self.policy()?;
        let inner = self.inner.borrow();
        let t = inner.token.as_ref();
        let state = match t.map(|t| t.freshness(now(), &policy)) {
            None => "none",
            Some(Freshness::Fresh) => "fresh",
            Some(Freshness::Due) => "due",
            Some(Freshness::Unusable) => "expired",
        };
        Ok(TokenStatus {
            appid: appid.to_owned(),
            state: state.to_owned(),
            fetched_at: t.map(|t| t.fetched_at),
            expires_at: t.map(|t| t.expires_at),
            refresh_at: t.map(|t| t.refresh_at(&policy)),
            refreshing: inner.inflight.is_some(),
            stats: inner.stats.clone(),
        })
    }

    /// Single-flight refresh: joins the refresh under way, or starts one.
    async fn refresh(&self, appid: &str, reason: &str) -> Outcome {
        let existing = self.inner.borrow().inflight.clone();
        if let Some(flight) = existing {
            return flight.await;
        }
        let policy = self.policy()?;
        let (current, stats) = {
            let inner = self.inner.borrow();
            (inner.token.clone(), inner.stats.clone())
        };
        if now() < stats.next_attempt_at {
            // Backing off after a failure: keep serving a valid token, else fail fast.
            if let Some(t) = current.filter(|t| t.is_servable(now(), &policy)) {
                return Ok(t);
            }
            let wait = stats.next_attempt_at.saturating_sub(now());
            let last = stats.last_error.clone().unwrap_or_else(|| "unknown error".into());
            let mut e = ApiError::unavailable(format!(
                "no valid access token: the last refresh failed ({last}); next attempt in {wait} s"
            ));
            if let Some(code) = stats.last_errcode {
                e = e.with_errcode(code);
            }
            return Err(e);
        }
        let (state, env, inner) = (self.state.clone(), self.env.clone(), self.inner.clone());
        let (appid, reason) = (appid.to_owned(), reason.to_owned());
        let flight = async move {
            let outcome = run_refresh(state, env, inner.clone(), appid, reason, policy).await;
            // Cleared as the flight completes, so no later caller can join a finished one.
            inner.borrow_mut().inflight = None;
            outcome
        }
        .boxed_local()
        .shared();
        self.inner.borrow_mut().inflight = Some(flight.clone());
        flight.await
    }

    async fn schedule_alarm(&self, at_unix: u64) {
        schedule(&self.state, at_unix).await;
    }
}

async fn schedule(state: &State, at_unix: u64) {
    let in_secs = at_unix.saturating_sub(now()).max(1);
    if let Err(e) = state.storage().set_alarm(Duration::from_secs(in_secs)).await {
        console_warn!("could not set the token alarm: {e}");
    }
}

/// The refresh itself: bounded attempts with backoff and jitter, then persist and publish.
async fn run_refresh(
    state: Rc<State>,
    env: Env,
    inner: Rc<RefCell<Inner>>,
    appid: String,
    reason: String,
    policy: TokenPolicy,
) -> Outcome {
    let config = config_from_env(&env);
    let app = config.app(Some(&appid))?;
    let api = config.token_api().unwrap_or(TokenApi::Stable);
    let mut attempt = 0;
    let failure = loop {
        inner.borrow_mut().stats.upstream_calls += 1;
        match fetch_token(&config.api_base, &app, api).await {
            Attempt::Token { access_token, expires_in } => {
                let token = StoredToken::new(access_token, now(), expires_in);
                publish(&state, &env, &inner, &appid, &reason, &token, &policy).await;
                return Ok(token);
            }
            Attempt::Failed { error, transient } => {
                attempt += 1;
                if !transient || attempt >= MAX_ATTEMPTS {
                    break error;
                }
                let jitter = crate::shared::http::random_bytes::<1>().map(|b| f64::from(b[0]) / 255.0).unwrap_or(0.5);
                Delay::from(Duration::from_millis(retry_delay_ms(attempt - 1, jitter))).await;
            }
        }
    };
    let stats = {
        let mut inner = inner.borrow_mut();
        let s = &mut inner.stats;
        s.failures += 1;
        s.consecutive_failures = s.consecutive_failures.saturating_add(1);
        s.last_error = Some(failure.message.clone());
        s.last_errcode = failure.wechat_errcode;
        s.last_error_at = Some(now());
        s.next_attempt_at = now() + cooldown_secs(s.consecutive_failures, failure.wechat_errcode);
        s.clone()
    };
    console_warn!("token refresh for app {appid} failed ({reason}): {}", failure.message);
    let _ = state.storage().put(KEY_STATS, &stats).await;
    schedule(&state, stats.next_attempt_at).await;
    // Keep serving the current token while it is valid.
    let current = inner.borrow().token.clone();
    match current {
        Some(t) if t.is_servable(now(), &policy) => Ok(t),
        _ => Err(failure),
    }
}

async fn publish(
    state: &State,
    env: &Env,
    inner: &RefCell<Inner>,
    appid: &str,
    reason: &str,
    token: &StoredToken,
    policy: &TokenPolicy,
) {
    let stats = {
        let mut inner = inner.borrow_mut();
        inner.token = Some(token.clone());
        let s = &mut inner.stats;
        s.refreshes += 1;
        s.consecutive_failures = 0;
        s.next_attempt_at = 0;
        s.last_refresh_reason = Some(reason.to_owned());
        s.clone()
    };
    let storage = state.storage();
    if let Err(e) = storage.put(KEY_TOKEN, token).await {
        console_warn!("could not store the token for app {appid}: {e}");
    }
    let _ = storage.put(KEY_STATS, &stats).await;
    let ttl = token.servable_until(policy).saturating_sub(now());
    // KV's minimum TTL is 60 s; a token with less left is served by the object alone.
    if ttl >= 60 {
        if let Ok(kv) = env.kv(KV_BINDING) {
            match kv.put(&kv_key(appid), token) {
                Ok(put) => {
                    if let Err(e) = put.expiration_ttl(ttl).execute().await {
                        console_warn!("could not cache the token in KV for app {appid}: {e}");
                    }
                }
                Err(e) => console_warn!("could not cache the token in KV for app {appid}: {e}"),
            }
        }
    }
    schedule(state, token.refresh_at(policy)).await;
    console_log!("token for app {appid} refreshed ({reason}); valid {} s", token.expires_at.saturating_sub(token.fetched_at));
}
