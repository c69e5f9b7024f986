//! The scan-login object: one per QR scene (wechat-oa.md §6). It holds the attempt, accepts its
//! one scan (from the push webhook's outbox), and gives the page that holds the attempt's
//! secret its session once, by poll or as Server-Sent Events within moments of the scan. The
//! session is made when the page collects it, so no token is ever at rest here.

use crate::login::handler::create_session;
use crate::oa::calls::{Begun, CreateScan, PollScan, ScanAccepted, ScanSeen, ScanStatus, WAIT_NAME};
use crate::oa::scan::Attempt;
use crate::shared::crypto::hex_eq;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{error_response, now, Ctx};
use crate::shared::objects::{self, serve, ObjectCall};
use crate::users::directory::Source;
use futures_util::stream;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;
use worker::{durable_object, Delay, DurableObject, Env, Request, Response, State};

const KEY: &str = "attempt";
/// How often a waiting stream looks at the attempt (in memory), and sends a comment to keep
/// proxies from closing an idle connection.
const LOOK_EVERY_MS: u64 = 100;
const KEEPALIVE_SECS: u64 = 15;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    appid: String,
    secret_hash: String,
    attempt: Attempt,
    unionid: Option<String>,
}

#[durable_object]
pub struct ScanLoginObject {
    core: Core,
}

/// The object's state, cheap to clone into a stream that outlives the request.
#[derive(Clone)]
struct Core {
    state: Rc<State>,
    env: Env,
    /// The record as last stored: streams watch this copy.
    cache: Rc<RefCell<Option<Record>>>,
}

fn storage_failed(_: worker::Error) -> ApiError {
    ApiError::unavailable("the scan-login store failed; retry shortly")
}

fn not_found() -> ApiError {
    ApiError::new(404, "attempt_not_found", "no such scan-login attempt (it may have expired)")
}

fn sha256_hex(value: &str) -> String {
    hex::encode(Sha256::digest(value.as_bytes()))
}

impl DurableObject for ScanLoginObject {
    fn new(state: State, env: Env) -> Self {
        ScanLoginObject { core: Core { state: Rc::new(state), env, cache: Rc::new(RefCell::new(None)) } }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let name = objects::call_name(&req);
        let core = &self.core;
        Ok(match name.as_str() {
            CreateScan::NAME => serve(&mut req, |c: CreateScan| async move { core.create(c).await }).await,
            ScanSeen::NAME => serve(&mut req, |c: ScanSeen| async move { core.scanned(c).await }).await,
            PollScan::NAME => serve(&mut req, |c: PollScan| async move { core.poll(&c.secret).await }).await,
            WAIT_NAME => match req.json::<PollScan>().await {
                Ok(c) => core.wait(&c.secret).await.unwrap_or_else(|e| error_response(&e)),
                Err(_) => error_response(&ApiError::bad_request("invalid_object_call", "a malformed wait call")),
            },
            other => error_response(&ApiError::not_found(format!("no scan-login call {other}"))),
        })
    }

    async fn alarm(&self) -> worker::Result<Response> {
        // The attempt is over: keep nothing.
        self.core.cache.borrow_mut().take();
        if let Err(e) = self.core.state.storage().delete_all().await {
            crate::log_warn!("scan-login cleanup: {e}");
        }
        Response::ok("ok")
    }
}

impl Core {
    async fn load(&self) -> ApiResult<Option<Record>> {
        if let Some(r) = self.cache.borrow().clone() {
            return Ok(Some(r));
        }
        let stored: Option<Record> = objects::get_json(&self.state.storage(), KEY).await.map_err(storage_failed)?;
        if stored.is_some() && self.cache.borrow().is_none() {
            *self.cache.borrow_mut() = stored.clone();
        }
        Ok(stored)
    }

    async fn save(&self, record: Record) -> ApiResult<()> {
        objects::put_json(&self.state.storage(), KEY, &record).await.map_err(storage_failed)?;
        *self.cache.borrow_mut() = Some(record);
        Ok(())
    }

    async fn create(&self, call: CreateScan) -> ApiResult<Begun> {
        if self.load().await?.is_some() {
            return Err(ApiError::new(409, "attempt_exists", "this scan-login attempt exists already"));
        }
        let expires_at = call.expires_at;
        let record =
            Record { appid: call.appid, secret_hash: call.secret_hash, attempt: Attempt::Pending { expires_at }, unionid: None };
        self.save(record).await?;
        let forget_in = expires_at.saturating_sub(now()) + 60;
        if let Err(e) = self.state.storage().set_alarm(Duration::from_secs(forget_in)).await {
            crate::log_warn!("scan-login alarm: {e}");
        }
        Ok(Begun {})
    }

    /// One scan completes one attempt, once: a second scan (another phone, a redelivered
    /// push) and a scan after expiry change nothing.
    async fn scanned(&self, call: ScanSeen) -> ApiResult<ScanAccepted> {
        let Some(mut record) = self.load().await? else { return Ok(ScanAccepted { accepted: false }) };
        match record.attempt {
            Attempt::Pending { expires_at } if now() < expires_at => {
                record.attempt = Attempt::Scanned { openid: call.openid, new_follower: call.new_follower, expires_at };
                record.unionid = call.unionid;
                self.save(record).await?;
                Ok(ScanAccepted { accepted: true })
            }
            _ => Ok(ScanAccepted { accepted: false }),
        }
    }

    /// The page's view of the attempt; a scanned one is collected: its session is made now.
    async fn poll(&self, secret: &str) -> ApiResult<ScanStatus> {
        let mut record = self.load().await?.ok_or_else(not_found)?;
        if !hex_eq(&record.secret_hash, &sha256_hex(secret)) {
            return Err(not_found());
        }
        let status = |s: &str, expires_at| ScanStatus { status: s.to_owned(), session: None, expires_at };
        match record.attempt.clone() {
            Attempt::Pending { expires_at } if now() < expires_at => Ok(status("pending", expires_at)),
            Attempt::Pending { expires_at } => Ok(status("expired", expires_at)),
            Attempt::Scanned { openid, expires_at, .. } => {
                // Collected before the session exists: two readers cannot both get one.
                let unionid = record.unionid.clone();
                record.attempt = Attempt::Collected;
                let appid = record.appid.clone();
                self.save(record).await?;
                let ctx = Ctx::new(self.env.clone());
                let app = ctx.config.official_account(Some(&appid))?;
                let session = create_session(&ctx, &app, &openid, unionid.as_deref(), None, Source::OaScanLogin).await?;
                Ok(ScanStatus { status: "done".into(), session: Some(session), expires_at })
            }
            Attempt::Collected => Ok(status("collected", 0)),
            Attempt::Expired => Ok(status("expired", 0)),
        }
    }

    /// Server-Sent Events: `event: pending` at once, then `event: done` (the session) or
    /// `event: expired`, and the stream ends; a comment every 15 s keeps it open meanwhile.
    async fn wait(&self, secret: &str) -> ApiResult<Response> {
        let first = self.poll(secret).await?;
        let me = WaitState { object: self.clone(), secret: secret.to_owned(), sent_first: false, finished: false, first };
        let events = stream::unfold(me, |mut w| async move {
            if w.finished {
                return None;
            }
            if !w.sent_first {
                w.sent_first = true;
                let done = w.first.status != "pending";
                w.finished = done;
                let chunk = event(&w.first);
                return Some((Ok::<Vec<u8>, worker::Error>(chunk), w));
            }
            let mut quiet = 0;
            loop {
                Delay::from(Duration::from_millis(LOOK_EVERY_MS)).await;
                quiet += LOOK_EVERY_MS;
                let changed = w.object.changed(&w.secret).await;
                if let Some(status) = changed {
                    w.finished = true;
                    return Some((Ok(event(&status)), w));
                }
                if quiet >= KEEPALIVE_SECS * 1000 {
                    return Some((Ok(b": keep-alive\n\n".to_vec()), w));
                }
            }
        });
        let mut resp = Response::from_stream(events).map_err(|_| ApiError::internal("could not start the event stream"))?;
        let headers = resp.headers_mut();
        let _ = headers.set("Content-Type", "text/event-stream; charset=utf-8");
        let _ = headers.set("Cache-Control", "no-store");
        Ok(resp)
    }

    /// The attempt's new status once it left `pending` (the session included), else None.
    async fn changed(&self, secret: &str) -> Option<ScanStatus> {
        let pending_until = match self.cache.borrow().as_ref().map(|r| r.attempt.clone()) {
            Some(Attempt::Pending { expires_at }) => Some(expires_at),
            _ => None,
        };
        if matches!(pending_until, Some(at) if now() < at) {
            return None;
        }
        match self.poll(secret).await {
            Ok(status) if status.status == "pending" => None,
            Ok(status) => Some(status),
            Err(e) => Some(ScanStatus { status: format!("error:{}", e.code), session: None, expires_at: 0 }),
        }
    }
}

struct WaitState {
    object: Core,
    secret: String,
    sent_first: bool,
    finished: bool,
    first: ScanStatus,
}

fn event(status: &ScanStatus) -> Vec<u8> {
    let name = status.status.split(':').next().unwrap_or("error");
    let data = serde_json::to_string(status).unwrap_or_else(|_| "{}".into());
    format!("event: {name}\ndata: {data}\n\n").into_bytes()
}
