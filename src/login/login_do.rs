//! The login object: one per `wx.login` code (named by `replay::object_name`), so that however
//! many times and however concurrently a code is sent, WeChat sees one `jscode2session` call
//! and every caller gets the same session. The answer is kept sealed under the code for
//! `REPLAY_SECS`, then the alarm deletes it.

use crate::login::handler::exchange_code;
use crate::login::replay::{Exchange, LoginAnswer, StoredAnswer, REPLAY_SECS};
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{error_response, now, random_bytes, Ctx};
use crate::shared::objects::{self, serve, ObjectCall};
use crate::shared::seal::NONCE_LEN;
use futures_util::future::{FutureExt, LocalBoxFuture, Shared};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::{durable_object, DurableObject, Env, Request, Response, State};

const KEY_ANSWER: &str = "answer";

type Flight = Shared<LocalBoxFuture<'static, ApiResult<LoginAnswer>>>;

#[durable_object]
pub struct LoginObject {
    state: Rc<State>,
    env: Env,
    /// The exchange under way: requests interleave at every fetch, and a second call to
    /// WeChat with the same code would fail with 40163.
    inflight: Rc<RefCell<Option<Flight>>>,
}

impl DurableObject for LoginObject {
    fn new(state: State, env: Env) -> Self {
        LoginObject { state: Rc::new(state), env, inflight: Rc::new(RefCell::new(None)) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(match objects::call_name(&req).as_str() {
            Exchange::NAME => serve(&mut req, |call: Exchange| async move { self.exchange(call).await }).await,
            other => error_response(&ApiError::not_found(format!("no login-object call {other}"))),
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(e) = self.state.storage().delete_all().await {
            crate::log_warn!("login object cleanup: {e}");
        }
        Response::ok("ok")
    }
}

impl LoginObject {
    async fn exchange(&self, call: Exchange) -> ApiResult<LoginAnswer> {
        let stored: Option<StoredAnswer> = self.state.storage().get(KEY_ANSWER).await.ok().flatten();
        if let Some(answer) = stored.and_then(|s| s.open(&call, now())) {
            return Ok(answer);
        }
        let existing = self.inflight.borrow().clone();
        if let Some(flight) = existing {
            return flight.await;
        }
        let (state, env, inflight) = (self.state.clone(), self.env.clone(), self.inflight.clone());
        let flight = async move {
            let outcome = run_exchange(&state, env, &call).await;
            // Cleared as the flight completes, so no later caller can join a finished one.
            inflight.borrow_mut().take();
            outcome
        }
        .boxed_local()
        .shared();
        *self.inflight.borrow_mut() = Some(flight.clone());
        flight.await
    }
}

/// The one `jscode2session` call of a code; its answer is kept for replays. A failure is not
/// kept: WeChat decides again (a used code then answers 40163).
async fn run_exchange(state: &State, env: Env, call: &Exchange) -> ApiResult<LoginAnswer> {
    let ctx = Ctx::new(env);
    let app = ctx.config.app(Some(&call.appid))?;
    let answer = exchange_code(&ctx, &app, &call.code).await?;
    let stored = StoredAnswer::seal(call, &answer, ctx.now, random_bytes::<NONCE_LEN>()?);
    match stored {
        // The session exists already: failing to keep the replay only costs a retry its 40163.
        Some(stored) => {
            if let Err(e) = state.storage().put(KEY_ANSWER, &stored).await {
                crate::log_warn!("login object: could not keep the answer for replays ({e})");
            }
            let _ = state.storage().set_alarm(Duration::from_secs(REPLAY_SECS + 5)).await;
        }
        None => crate::log_warn!("login object: could not seal the answer for replays"),
    }
    Ok(answer)
}
