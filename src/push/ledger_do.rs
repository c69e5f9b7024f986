//! The push ledger Durable Object: exactly-once handling of WeChat's redeliveries.
//!
//! A push's dedupe key is claimed here, in strongly consistent SQLite storage, before any side
//! effect; the claim and the message's actions (customer-service sends, forwarding) are written
//! in one synchronous step, so a redelivery (even one concurrent with the first delivery) finds
//! the claim and adds nothing. The actions run after the claim is answered, from a durable
//! outbox: transient failures are retried with backoff from the object's alarm.

use crate::push::actions::{run_action, ActionOutcome};
use crate::push::ledger::{retry_delay_secs, Claim, Claimed, CLAIM_TTL_SECS, MAX_ATTEMPTS};
use crate::push::message::loggable_key;
use crate::push::rules::Action;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{error_response, now};
use crate::shared::objects::{self, serve, ObjectCall};
use serde::Deserialize;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use worker::{console_error, console_warn, durable_object, DurableObject, Env, Request, Response, SqlStorageValue, State};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, appid TEXT NOT NULL, dedupe_key TEXT NOT NULL,
  action TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL
);";

#[derive(Deserialize)]
struct OutboxRow {
    id: i64,
    appid: String,
    dedupe_key: String,
    action: String,
    attempts: i64,
}

#[durable_object]
pub struct PushLedger {
    state: Rc<State>,
    env: Env,
    /// One drain at a time: requests interleave at every fetch, and two drains would run the
    /// same outbox row twice.
    draining: Rc<Cell<bool>>,
}

impl DurableObject for PushLedger {
    fn new(state: State, env: Env) -> Self {
        if let Err(e) = state.storage().sql().exec(SCHEMA, None) {
            console_error!("push ledger schema: {e}");
        }
        PushLedger { state: Rc::new(state), env, draining: Rc::new(Cell::new(false)) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(match objects::call_name(&req).as_str() {
            Claim::NAME => serve(&mut req, |claim: Claim| async move { self.claim(claim).await }).await,
            other => error_response(&ApiError::not_found(format!("no ledger call {other}"))),
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        drain(self.state.clone(), self.env.clone(), self.draining.clone()).await;
        let sql = self.state.storage().sql();
        let cutoff = now() as i64 - CLAIM_TTL_SECS;
        if let Err(e) = sql.exec("DELETE FROM claims WHERE claimed_at < ?", vec![SqlStorageValue::Integer(cutoff)]) {
            console_warn!("push ledger cleanup: {e}");
        }
        reschedule(&self.state).await;
        Response::ok("ok")
    }
}

impl PushLedger {
    async fn claim(&self, claim: Claim) -> ApiResult<Claimed> {
        let sql = self.state.storage().sql();
        let fail =
            |e: worker::Error| ApiError::unavailable(format!("the push ledger's storage failed ({e}); WeChat will redeliver"));
        let t = now() as i64;
        let inserted = sql
            .exec(
                "INSERT OR IGNORE INTO claims (key, claimed_at) VALUES (?, ?)",
                vec![claim.key.clone().into(), SqlStorageValue::Integer(t)],
            )
            .map_err(fail)?
            .rows_written();
        let first = inserted > 0;
        if first {
            for action in &claim.actions {
                let text = serde_json::to_string(action).map_err(|_| ApiError::internal("could not encode an action"))?;
                sql.exec(
                    "INSERT INTO outbox (appid, dedupe_key, action, next_at) VALUES (?, ?, ?, ?)",
                    vec![claim.appid.clone().into(), claim.key.clone().into(), text.into(), SqlStorageValue::Integer(t)],
                )
                .map_err(fail)?;
            }
            if !claim.actions.is_empty() {
                // The alarm is the safety net should this isolate die before the drain ends.
                let _ = self.state.storage().set_alarm(Duration::from_secs(30)).await;
                self.state.wait_until(drain(self.state.clone(), self.env.clone(), self.draining.clone()));
            }
        }
        Ok(Claimed { first })
    }
}

/// Runs every due outbox row; retries transient failures later, drops permanent ones.
async fn drain(state: Rc<State>, env: Env, draining: Rc<Cell<bool>>) {
    if draining.replace(true) {
        return;
    }
    loop {
        let sql = state.storage().sql();
        let due: Vec<OutboxRow> = match sql
            .exec(
                "SELECT id, appid, dedupe_key, action, attempts FROM outbox WHERE next_at <= ? ORDER BY id LIMIT 20",
                vec![SqlStorageValue::Integer(now() as i64)],
            )
            .and_then(|c| c.to_array())
        {
            Ok(rows) => rows,
            Err(e) => {
                console_error!("push ledger outbox read: {e}");
                break;
            }
        };
        if due.is_empty() {
            break;
        }
        for row in due {
            let outcome = match serde_json::from_str::<Action>(&row.action) {
                Ok(action) => run_action(&env, &row.appid, &action).await,
                Err(_) => ActionOutcome::Failed("unreadable outbox row".into()),
            };
            let attempts = row.attempts + 1;
            let id = SqlStorageValue::Integer(row.id);
            let result = match outcome {
                ActionOutcome::Done => sql.exec("DELETE FROM outbox WHERE id = ?", vec![id]),
                ActionOutcome::Retry(reason) if attempts < MAX_ATTEMPTS => {
                    let delay = retry_delay_secs(attempts);
                    console_warn!(
                        "push {}: action failed ({reason}); retry {attempts} in {delay} s",
                        loggable_key(&row.dedupe_key)
                    );
                    sql.exec(
                        "UPDATE outbox SET attempts = ?, next_at = ? WHERE id = ?",
                        vec![SqlStorageValue::Integer(attempts), SqlStorageValue::Integer(now() as i64 + delay), id],
                    )
                }
                ActionOutcome::Retry(reason) | ActionOutcome::Failed(reason) => {
                    console_error!(
                        "push {}: action dropped after {attempts} attempt(s): {reason}",
                        loggable_key(&row.dedupe_key)
                    );
                    sql.exec("DELETE FROM outbox WHERE id = ?", vec![id])
                }
            };
            if let Err(e) = result {
                console_error!("push ledger outbox write: {e}");
            }
        }
    }
    draining.set(false);
    reschedule(&state).await;
}

/// Sets the alarm for the next due retry, or for the daily cleanup of old claims.
async fn reschedule(state: &State) {
    #[derive(Deserialize)]
    struct Next {
        next_at: Option<i64>,
    }
    let sql = state.storage().sql();
    let next =
        sql.exec("SELECT MIN(next_at) AS next_at FROM outbox", None).and_then(|c| c.one::<Next>()).ok().and_then(|n| n.next_at);
    let secs = match next {
        Some(at) => (at - now() as i64).max(1) as u64,
        None => 3600,
    };
    if let Err(e) = state.storage().set_alarm(Duration::from_secs(secs)).await {
        console_warn!("push ledger alarm: {e}");
    }
}
