//! The sessions object of one user (one per app and openid): which of the user's sessions are
//! live, and how many decryptions each has failed. Strongly consistent, so a logout or a
//! revocation holds everywhere at once; KV keeps serving the session records themselves.

use crate::login::sessions::{Check, DecryptFailed, Register, Revoke, RevokeAll, Revoked, SessionState};
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{error_response, now};
use crate::shared::objects::{self, serve, ObjectCall};
use serde::Deserialize;
use std::rc::Rc;
use std::time::Duration;
use worker::{durable_object, DurableObject, Env, Request, Response, SqlStorageValue, State};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS sessions (
  session TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, decrypt_failures INTEGER NOT NULL DEFAULT 0
);";

#[derive(Deserialize)]
struct Row {
    expires_at: i64,
    decrypt_failures: i64,
}

#[durable_object]
pub struct SessionsObject {
    state: Rc<State>,
}

impl DurableObject for SessionsObject {
    fn new(state: State, _env: Env) -> Self {
        if let Err(e) = state.storage().sql().exec(SCHEMA, None) {
            crate::log_error!("sessions object schema: {e}");
        }
        SessionsObject { state: Rc::new(state) }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        Ok(match objects::call_name(&req).as_str() {
            Register::NAME => serve(&mut req, |c: Register| async move { self.register(c).await }).await,
            Check::NAME => serve(&mut req, |c: Check| async move { self.state_of(&c.session) }).await,
            Revoke::NAME => serve(&mut req, |c: Revoke| async move { self.revoke(Some(&c.session)) }).await,
            RevokeAll::NAME => serve(&mut req, |_: RevokeAll| async move { self.revoke(None) }).await,
            DecryptFailed::NAME => serve(&mut req, |c: DecryptFailed| async move { self.decrypt_failed(&c.session) }).await,
            other => error_response(&ApiError::not_found(format!("no sessions-object call {other}"))),
        })
    }

    /// Forgets expired sessions; the alarm is set for the next expiry.
    async fn alarm(&self) -> worker::Result<Response> {
        let sql = self.state.storage().sql();
        if let Err(e) = sql.exec("DELETE FROM sessions WHERE expires_at <= ?", vec![SqlStorageValue::Integer(now() as i64)]) {
            crate::log_warn!("sessions object cleanup: {e}");
        }
        self.schedule().await;
        Response::ok("ok")
    }
}

fn storage_failed(e: worker::Error) -> ApiError {
    ApiError::unavailable(format!("the session store failed ({e}); retry shortly"))
}

impl SessionsObject {
    async fn register(&self, call: Register) -> ApiResult<SessionState> {
        self.state
            .storage()
            .sql()
            .exec(
                "INSERT OR REPLACE INTO sessions (session, expires_at, decrypt_failures) VALUES (?, ?, 0)",
                vec![call.session.into(), SqlStorageValue::Integer(call.expires_at as i64)],
            )
            .map_err(storage_failed)?;
        self.schedule().await;
        Ok(SessionState { live: true, decrypt_failures: 0 })
    }

    fn state_of(&self, session: &str) -> ApiResult<SessionState> {
        let rows: Vec<Row> = self
            .state
            .storage()
            .sql()
            .exec("SELECT expires_at, decrypt_failures FROM sessions WHERE session = ?", vec![session.into()])
            .and_then(|c| c.to_array())
            .map_err(storage_failed)?;
        Ok(match rows.first() {
            Some(row) if row.expires_at > now() as i64 => {
                SessionState { live: true, decrypt_failures: u32::try_from(row.decrypt_failures).unwrap_or(u32::MAX) }
            }
            _ => SessionState { live: false, decrypt_failures: 0 },
        })
    }

    fn revoke(&self, session: Option<&str>) -> ApiResult<Revoked> {
        let sql = self.state.storage().sql();
        let cursor = match session {
            Some(session) => sql.exec("DELETE FROM sessions WHERE session = ?", vec![session.into()]),
            None => sql.exec("DELETE FROM sessions", None),
        }
        .map_err(storage_failed)?;
        Ok(Revoked { revoked: u32::try_from(cursor.rows_written()).unwrap_or(u32::MAX) })
    }

    fn decrypt_failed(&self, session: &str) -> ApiResult<SessionState> {
        self.state
            .storage()
            .sql()
            .exec("UPDATE sessions SET decrypt_failures = decrypt_failures + 1 WHERE session = ?", vec![session.into()])
            .map_err(storage_failed)?;
        self.state_of(session)
    }

    /// The alarm at the next session's expiry, so the table never outgrows the live sessions.
    async fn schedule(&self) {
        #[derive(Deserialize)]
        struct Next {
            next: Option<i64>,
        }
        let sql = self.state.storage().sql();
        let next = sql
            .exec("SELECT MIN(expires_at) AS next FROM sessions", None)
            .and_then(|c| c.one::<Next>())
            .ok()
            .and_then(|n| n.next);
        if let Some(at) = next {
            let secs = (at - now() as i64).max(1) as u64;
            if let Err(e) = self.state.storage().set_alarm(Duration::from_secs(secs)).await {
                crate::log_warn!("sessions object alarm: {e}");
            }
        }
    }
}
