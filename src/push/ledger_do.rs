//! The push ledger Durable Object: exactly-once handling of WeChat's redeliveries.
//!
//! A push's dedupe key is claimed here, in strongly consistent SQLite storage, before any side
//! effect; the claim and the message's actions (customer-service sends, forwarding) are written
//! in one synchronous step, so a redelivery (even one concurrent with the first delivery) finds
//! the claim and adds nothing. The actions run after the claim is answered, from a durable
//! outbox: each attempt is recorded before it runs (so a completed action whose row could not
//! be deleted is never run again in a loop), transient failures are retried with backoff from
//! the object's alarm, and an action that may have run is retried only when that is harmless,
//! otherwise kept as `uncertain` for the operator (`/internal/token/status`).

use crate::push::actions::run_action;
use crate::push::ledger::{
    after_attempt, before_attempt, is_idempotent, retry_delay_secs, Claim, Claimed, GetOutbox, Next, OutboxCounts, CLAIM_TTL_SECS,
};
use crate::push::message::loggable_key;
use crate::push::rules::Action;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{error_response, now};
use crate::shared::objects::{self, serve, ObjectCall};
use serde::Deserialize;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorage, SqlStorageValue, State};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS claims (key TEXT PRIMARY KEY, claimed_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, appid TEXT NOT NULL, dedupe_key TEXT NOT NULL,
  action TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL
);";
/// Columns added after the first release; adding one that exists fails, harmlessly.
const COLUMNS: [&str; 3] = [
    "ALTER TABLE outbox ADD COLUMN started_at INTEGER",
    "ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'",
    "ALTER TABLE outbox ADD COLUMN last_error TEXT",
];
/// Uncertain and failed rows are kept this long for the operator.
const KEEP_SETTLED_SECS: i64 = 7 * 24 * 3600;

#[derive(Deserialize)]
struct OutboxRow {
    id: i64,
    appid: String,
    dedupe_key: String,
    action: String,
    attempts: i64,
    started_at: Option<i64>,
}

#[derive(Deserialize)]
struct StateCount {
    state: String,
    n: i64,
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
        let sql = state.storage().sql();
        if let Err(e) = sql.exec(SCHEMA, None) {
            crate::log_error!("push ledger schema: {e}");
        }
        for column in COLUMNS {
            let _ = sql.exec(column, None);
        }
        PushLedger { state: Rc::new(state), env, draining: Rc::new(Cell::new(false)) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(match objects::call_name(&req).as_str() {
            Claim::NAME => serve(&mut req, |claim: Claim| async move { self.claim(claim).await }).await,
            GetOutbox::NAME => serve(&mut req, |_: GetOutbox| async move { self.outbox_counts() }).await,
            other => error_response(&ApiError::not_found(format!("no ledger call {other}"))),
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        drain(self.state.clone(), self.env.clone(), self.draining.clone()).await;
        let sql = self.state.storage().sql();
        let cutoff = now() as i64 - CLAIM_TTL_SECS;
        if let Err(e) = sql.exec("DELETE FROM claims WHERE claimed_at < ?", vec![SqlStorageValue::Integer(cutoff)]) {
            crate::log_warn!("push ledger cleanup: {e}");
        }
        let settled_cutoff = SqlStorageValue::Integer(now() as i64 - KEEP_SETTLED_SECS);
        if let Err(e) = sql.exec("DELETE FROM outbox WHERE state != 'pending' AND next_at < ?", vec![settled_cutoff]) {
            crate::log_warn!("push ledger cleanup: {e}");
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

    fn outbox_counts(&self) -> ApiResult<OutboxCounts> {
        let rows: Vec<StateCount> = self
            .state
            .storage()
            .sql()
            .exec("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state", None)
            .and_then(|c| c.to_array())
            .map_err(|e| ApiError::unavailable(format!("the push ledger's storage failed ({e})")))?;
        let mut counts = OutboxCounts::default();
        for row in rows {
            let n = u64::try_from(row.n).unwrap_or(0);
            match row.state.as_str() {
                "pending" => counts.pending += n,
                "uncertain" => counts.uncertain += n,
                _ => counts.failed += n,
            }
        }
        Ok(counts)
    }
}

/// Runs every due outbox row, recording each attempt before it runs.
async fn drain(state: Rc<State>, env: Env, draining: Rc<Cell<bool>>) {
    if draining.replace(true) {
        return;
    }
    loop {
        let sql = state.storage().sql();
        let due: Vec<OutboxRow> = match sql
            .exec(
                "SELECT id, appid, dedupe_key, action, attempts, started_at FROM outbox
                 WHERE state = 'pending' AND next_at <= ? ORDER BY id LIMIT 20",
                vec![SqlStorageValue::Integer(now() as i64)],
            )
            .and_then(|c| c.to_array())
        {
            Ok(rows) => rows,
            Err(e) => {
                crate::log_error!("push ledger outbox read: {e}");
                break;
            }
        };
        if due.is_empty() {
            break;
        }
        for row in due {
            if let Err(e) = run_row(&sql, &env, row).await {
                // Storage is failing: stop, and let the alarm try again later.
                crate::log_error!("push ledger outbox write: {e}");
                draining.set(false);
                reschedule(&state).await;
                return;
            }
        }
    }
    draining.set(false);
    reschedule(&state).await;
}

/// One attempt of one row. The attempt is written down first (started, counted, next try
/// pushed out), so that whatever happens after it, the same row is not picked up again at once.
async fn run_row(sql: &SqlStorage, env: &Env, row: OutboxRow) -> worker::Result<()> {
    let id = SqlStorageValue::Integer(row.id);
    let action = serde_json::from_str::<Action>(&row.action).ok();
    let idempotent = action.as_ref().is_some_and(is_idempotent);
    let key = loggable_key(&row.dedupe_key);
    let next = match (&action, before_attempt(row.started_at.is_some(), idempotent)) {
        (None, _) => Next::Fail("unreadable outbox row".into()),
        (Some(action), Next::Run) => {
            let attempts = row.attempts + 1;
            let retry_at = now() as i64 + retry_delay_secs(attempts);
            sql.exec(
                "UPDATE outbox SET started_at = ?, attempts = ?, next_at = ? WHERE id = ?",
                vec![
                    SqlStorageValue::Integer(now() as i64),
                    SqlStorageValue::Integer(attempts),
                    SqlStorageValue::Integer(retry_at),
                    id.clone(),
                ],
            )?;
            after_attempt(run_action(env, &row.appid, action).await, attempts, idempotent)
        }
        (Some(_), other) => other,
    };
    match next {
        // (`Run` is only ever a step before an attempt; after one it cannot come back.)
        Next::Delete | Next::Run => sql.exec("DELETE FROM outbox WHERE id = ?", vec![id]).map(drop),
        Next::RetryLater => {
            crate::log_warn!("push {key}: action failed; retry {} in {} s", row.attempts + 1, retry_delay_secs(row.attempts + 1));
            sql.exec("UPDATE outbox SET started_at = NULL WHERE id = ?", vec![id]).map(drop)
        }
        Next::Uncertain(reason) => {
            crate::log_error!("push {key}: action may have run; not sent again ({reason})");
            settle(sql, id, "uncertain", &reason)
        }
        Next::Fail(reason) => {
            crate::log_error!("push {key}: action dropped: {reason}");
            settle(sql, id, "failed", &reason)
        }
    }
}

/// Keeps a row that will not run again, for the operator, until the daily cleanup.
fn settle(sql: &SqlStorage, id: SqlStorageValue, state: &str, reason: &str) -> worker::Result<()> {
    let reason: String = reason.chars().take(300).collect();
    sql.exec(
        "UPDATE outbox SET state = ?, started_at = NULL, last_error = ?, next_at = ? WHERE id = ?",
        vec![state.into(), reason.into(), SqlStorageValue::Integer(now() as i64), id],
    )
    .map(drop)
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
        crate::log_warn!("push ledger alarm: {e}");
    }
}
