//! The token object: one per app id, the only caller of `cgi-bin/stable_token` (or
//! `cgi-bin/token`) and of `cgi-bin/ticket/getticket`, and the only writer of the access
//! token and the jsapi_ticket to KV. Each credential has its own slot: value, counters and
//! refresh in flight; the ticket is fetched with the slot's own access token.
//!
//! Requests interleave at every await that is not storage, so refreshes are single-flight
//! through one shared in-flight future per credential: however many callers need one, one
//! upstream call. Values live in the object's storage, so an evicted object comes back
//! without a call. One alarm serves both: it is set for whichever is due first.

use crate::shared::config::TokenApi;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{config_from_env, error_response, now};
use crate::shared::objects::{self, serve, ObjectCall};
use crate::token::calls::{Credential, GetStatus, GetToken, RefreshToken, Stats, Tick, TokenStatus};
use crate::token::fetch::{fetch_ticket, fetch_token, Attempt};
use crate::token::policy::{cooldown_secs, retry_delay_ms, Freshness, StoredToken, TokenPolicy};
use crate::token::read::KV_BINDING;
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::{durable_object, Delay, DurableObject, Env, Request, Response, State};

const KEY_APPID: &str = "appid";
/// Attempts within one refresh for transient failures (-1, 5xx, timeouts, bad bodies).
const MAX_ATTEMPTS: u32 = 3;

type Outcome = Result<StoredToken, ApiError>;

#[derive(Default)]
struct Slot {
    token: Option<StoredToken>,
    stats: Stats,
    inflight: Option<Shared<LocalBoxFuture<'static, Outcome>>>,
}

impl Slot {
    /// A slot that was never asked for (no ticket for a mini program) is not kept warm.
    fn in_use(&self) -> bool {
        self.token.is_some() || self.stats.upstream_calls > 0
    }
}

#[derive(Default)]
struct Inner {
    loaded: bool,
    slots: [Slot; 2],
}

/// The object's state, cheap to clone into a refresh in flight (which may itself need the
/// access token, for the ticket).
#[derive(Clone)]
struct Core {
    state: Rc<State>,
    env: Env,
    inner: Rc<RefCell<Inner>>,
}

#[durable_object]
pub struct AccessTokenObject {
    core: Core,
}

impl DurableObject for AccessTokenObject {
    fn new(state: State, env: Env) -> Self {
        AccessTokenObject { core: Core { state: Rc::new(state), env, inner: Rc::new(RefCell::new(Inner::default())) } }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let core = &self.core;
        Ok(match objects::call_name(&req).as_str() {
            GetToken::NAME => serve(&mut req, |c: GetToken| async move { core.current(&c.appid, c.credential).await }).await,
            RefreshToken::NAME => {
                serve(&mut req, |c: RefreshToken| async move { core.refresh_if_current(&c.appid, &c.seen, c.credential).await })
                    .await
            }
            GetStatus::NAME => serve(&mut req, |c: GetStatus| async move { core.status(&c.appid).await }).await,
            Tick::NAME => {
                serve(&mut req, |c: Tick| async move {
                    core.tick(&c.appid, "cron").await?;
                    core.status(&c.appid).await
                })
                .await
            }
            other => error_response(&ApiError::not_found(format!("no token-object call {other}"))),
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let appid: Option<String> = self.core.state.storage().get(KEY_APPID).await.ok().flatten();
        if let Some(appid) = appid {
            if let Err(e) = self.core.tick(&appid, "alarm").await {
                crate::log_warn!("token alarm for app {appid}: {e}");
            }
        }
        Response::ok("ok")
    }
}

impl Core {
    fn policy(&self) -> ApiResult<TokenPolicy> {
        config_from_env(&self.env).token_policy()
    }

    fn stored(&self, credential: Credential) -> Option<StoredToken> {
        self.inner.borrow().slots[credential.index()].token.clone()
    }

    /// Loads the stored values and stats once per object lifetime.
    async fn load(&self, appid: &str) -> ApiResult<()> {
        if self.inner.borrow().loaded {
            return Ok(());
        }
        let storage = self.state.storage();
        let fail = |_| ApiError::unavailable("the token object's storage failed; retry shortly");
        let mut loaded: Vec<(Option<StoredToken>, Option<Stats>)> = Vec::new();
        for credential in Credential::ALL {
            let (key, stats_key) = credential.storage_keys();
            loaded.push((storage.get(key).await.map_err(fail)?, storage.get(stats_key).await.map_err(fail)?));
        }
        let stored_appid: Option<String> = storage.get(KEY_APPID).await.map_err(fail)?;
        if stored_appid.as_deref() != Some(appid) {
            storage.put(KEY_APPID, appid).await.map_err(fail)?;
        }
        let mut inner = self.inner.borrow_mut();
        if !inner.loaded {
            for (slot, (token, stats)) in inner.slots.iter_mut().zip(loaded) {
                slot.token = token;
                slot.stats = stats.unwrap_or_default();
            }
            inner.loaded = true;
        }
        Ok(())
    }

    /// A servable value: the stored one, or a refreshed one.
    async fn current(&self, appid: &str, credential: Credential) -> Outcome {
        self.load(appid).await?;
        let policy = self.policy()?;
        match self.stored(credential) {
            Some(t) if t.is_servable(now(), &policy) => Ok(t),
            _ => self.refresh(appid, credential, "read").await,
        }
    }

    async fn refresh_if_current(&self, appid: &str, seen: &str, credential: Credential) -> Outcome {
        self.load(appid).await?;
        let policy = self.policy()?;
        match self.stored(credential) {
            // Someone already replaced the value that failed: hand out the newer one.
            Some(t) if t.access_token != seen && t.is_servable(now(), &policy) => Ok(t),
            // A ticket is reported rejected by web pages, which anyone can send: a young one
            // is kept, so reports cannot spend the getticket quota.
            Some(t)
                if credential == Credential::JsapiTicket && t.is_servable(now(), &policy) && {
                    let min_age = config_from_env(&self.env).ticket_min_refresh()?;
                    now() < t.fetched_at.saturating_add(min_age)
                } =>
            {
                crate::log_warn!("jsapi_ticket of app {appid} reported rejected but is younger than the minimum; kept");
                Ok(t)
            }
            _ => self.refresh(appid, credential, "stale").await,
        }
    }

    /// The active refresh (alarm, cron): only values in use that are due or unusable.
    async fn tick(&self, appid: &str, reason: &str) -> ApiResult<()> {
        self.load(appid).await?;
        let policy = self.policy()?;
        let mut first_error = None;
        for credential in Credential::ALL {
            let (token, in_use) = {
                let inner = self.inner.borrow();
                let slot = &inner.slots[credential.index()];
                (slot.token.clone(), slot.in_use())
            };
            let due = match token.map(|t| t.freshness(now(), &policy)) {
                Some(Freshness::Fresh) => false,
                // Nothing yet and nobody asked for one: nothing to keep warm.
                None if reason == "cron" || !in_use => false,
                _ => true,
            };
            if due {
                if let Err(e) = self.refresh(appid, credential, reason).await {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.reschedule(&policy).await;
        first_error.map_or(Ok(()), Err)
    }

    async fn status(&self, appid: &str) -> ApiResult<TokenStatus> {
        self.load(appid).await?;
        let policy = self.policy()?;
        let inner = self.inner.borrow();
        let describe = |slot: &Slot| {
            let t = slot.token.as_ref();
            let state = match t.map(|t| t.freshness(now(), &policy)) {
                None => "none",
                Some(Freshness::Fresh) => "fresh",
                Some(Freshness::Due) => "due",
                Some(Freshness::Unusable) => "expired",
            };
            TokenStatus {
                appid: appid.to_owned(),
                state: state.to_owned(),
                fetched_at: t.map(|t| t.fetched_at),
                expires_at: t.map(|t| t.expires_at),
                refresh_at: t.map(|t| t.refresh_at(&policy)),
                refreshing: slot.inflight.is_some(),
                stats: slot.stats.clone(),
                jsapi_ticket: None,
            }
        };
        let mut status = describe(&inner.slots[Credential::AccessToken.index()]);
        let ticket = &inner.slots[Credential::JsapiTicket.index()];
        if ticket.in_use() {
            status.jsapi_ticket = Some(Box::new(describe(ticket)));
        }
        Ok(status)
    }

    /// Single-flight refresh: joins the refresh of this credential under way, or starts one.
    async fn refresh(&self, appid: &str, credential: Credential, reason: &str) -> Outcome {
        let existing = self.inner.borrow().slots[credential.index()].inflight.clone();
        if let Some(flight) = existing {
            return flight.await;
        }
        let policy = self.policy()?;
        let (current, stats) = {
            let inner = self.inner.borrow();
            let slot = &inner.slots[credential.index()];
            (slot.token.clone(), slot.stats.clone())
        };
        if now() < stats.next_attempt_at {
            // Backing off after a failure: keep serving a valid value, else fail fast.
            if let Some(t) = current.filter(|t| t.is_servable(now(), &policy)) {
                return Ok(t);
            }
            let wait = stats.next_attempt_at.saturating_sub(now());
            let last = stats.last_error.clone().unwrap_or_else(|| "unknown error".into());
            let mut e = ApiError::unavailable(format!(
                "no valid {}: the last refresh failed ({last}); next attempt in {wait} s",
                credential.name()
            ));
            if let Some(code) = stats.last_errcode {
                e = e.with_errcode(code);
            }
            return Err(e);
        }
        let core = self.clone();
        let (appid, reason) = (appid.to_owned(), reason.to_owned());
        let flight = async move {
            let outcome = core.run_refresh(&appid, credential, &reason, policy).await;
            // Cleared as the flight completes, so no later caller can join a finished one.
            core.inner.borrow_mut().slots[credential.index()].inflight = None;
            outcome
        }
        .boxed_local()
        .shared();
        self.inner.borrow_mut().slots[credential.index()].inflight = Some(flight.clone());
        flight.await
    }

    /// One upstream attempt for `credential`. The ticket takes the access token from this
    /// same object, and refreshes it once (compare-and-refresh) when `getticket` refuses it.
    async fn attempt(&self, appid: &str, credential: Credential) -> Attempt {
        let config = config_from_env(&self.env);
        let app = match config.app(Some(appid)) {
            Ok(app) => app,
            Err(error) => return Attempt::Failed { error, transient: false },
        };
        match credential {
            Credential::AccessToken => fetch_token(&config.api_base, &app, config.token_api().unwrap_or(TokenApi::Stable)).await,
            Credential::JsapiTicket => {
                let mut token = match self.current(appid, Credential::AccessToken).await {
                    Ok(t) => t,
                    Err(error) => return Attempt::Failed { error, transient: false },
                };
                for _ in 0..2 {
                    match fetch_ticket(&config.api_base, &app, &token.access_token).await {
                        Attempt::StaleToken => {
                            crate::log_warn!("getticket refused the access token of app {appid}; refreshing it once");
                            match self.refresh_if_current(appid, &token.access_token, Credential::AccessToken).await {
                                Ok(t) => token = t,
                                Err(error) => return Attempt::Failed { error, transient: false },
                            }
                        }
                        other => return other,
                    }
                }
                Attempt::Failed {
                    error: ApiError::upstream("getticket refused a freshly refreshed access token"),
                    transient: false,
                }
            }
        }
    }

    /// The refresh itself: bounded attempts with backoff and jitter, then persist and publish.
    async fn run_refresh(&self, appid: &str, credential: Credential, reason: &str, policy: TokenPolicy) -> Outcome {
        let mut attempt = 0;
        let failure = loop {
            self.inner.borrow_mut().slots[credential.index()].stats.upstream_calls += 1;
            match self.attempt(appid, credential).await {
                Attempt::Token { access_token, expires_in } => {
                    let token = StoredToken::new(access_token, now(), expires_in);
                    self.publish(appid, credential, reason, &token, &policy).await;
                    return Ok(token);
                }
                Attempt::StaleToken => break ApiError::upstream("WeChat refused the access token"),
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
            let mut inner = self.inner.borrow_mut();
            let s = &mut inner.slots[credential.index()].stats;
            s.failures += 1;
            s.consecutive_failures = s.consecutive_failures.saturating_add(1);
            s.last_error = Some(failure.message.clone());
            s.last_errcode = failure.wechat_errcode;
            s.last_error_at = Some(now());
            s.next_attempt_at = now() + cooldown_secs(s.consecutive_failures, failure.wechat_errcode);
            s.clone()
        };
        crate::log_warn!("{} refresh for app {appid} failed ({reason}): {}", credential.name(), failure.message);
        let _ = self.state.storage().put(credential.storage_keys().1, &stats).await;
        self.reschedule(&policy).await;
        // Keep serving the current value while it is valid.
        match self.stored(credential) {
            Some(t) if t.is_servable(now(), &policy) => Ok(t),
            _ => Err(failure),
        }
    }

    async fn publish(&self, appid: &str, credential: Credential, reason: &str, token: &StoredToken, policy: &TokenPolicy) {
        let stats = {
            let mut inner = self.inner.borrow_mut();
            let slot = &mut inner.slots[credential.index()];
            slot.token = Some(token.clone());
            let s = &mut slot.stats;
            s.refreshes += 1;
            s.consecutive_failures = 0;
            s.next_attempt_at = 0;
            s.last_refresh_reason = Some(reason.to_owned());
            s.clone()
        };
        let storage = self.state.storage();
        let (key, stats_key) = credential.storage_keys();
        if let Err(e) = storage.put(key, token).await {
            crate::log_warn!("could not store the {} for app {appid}: {e}", credential.name());
        }
        let _ = storage.put(stats_key, &stats).await;
        let ttl = token.servable_until(policy).saturating_sub(now());
        // KV's minimum TTL is 60 s; a value with less left is served by the object alone.
        if ttl >= 60 {
            if let Ok(kv) = self.env.kv(KV_BINDING) {
                let put = kv.put(&credential.kv_key(appid), token).map(|p| p.expiration_ttl(ttl));
                let result = match put {
                    Ok(put) => put.execute().await,
                    Err(e) => Err(e),
                };
                if let Err(e) = result {
                    crate::log_warn!("could not cache the {} in KV for app {appid}: {e}", credential.name());
                }
            }
        }
        self.reschedule(policy).await;
        crate::log_info!(
            "{} for app {appid} refreshed ({reason}); valid {} s",
            credential.name(),
            token.expires_at.saturating_sub(token.fetched_at)
        );
    }

    /// Sets the one alarm for whichever slot in use is due first: a value's refresh time, or
    /// the end of a failure's back-off.
    async fn reschedule(&self, policy: &TokenPolicy) {
        let at = {
            let inner = self.inner.borrow();
            inner
                .slots
                .iter()
                .filter(|s| s.in_use())
                .filter_map(|s| match (&s.token, s.stats.next_attempt_at) {
                    (_, retry) if retry > now() => Some(retry),
                    (Some(t), _) => Some(t.refresh_at(policy)),
                    (None, _) => None,
                })
                .min()
        };
        if let Some(at) = at {
            let in_secs = at.saturating_sub(now()).max(1);
            if let Err(e) = self.state.storage().set_alarm(Duration::from_secs(in_secs)).await {
                crate::log_warn!("could not set the token alarm: {e}");
            }
        }
    }
}
