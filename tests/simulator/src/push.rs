//! Message push to the worker's webhook (wechat-api.md §8, §15.15–19): a user acts, WeChat
//! opens the customer-service window, builds the push (plain, compatible or safe; XML or JSON),
//! signs it, delivers it with a time limit and retries, and reads the answer.
//!
//! - [`request`]: the `/_sim/push` body, validated into a plan, with [`action`]s and tampering;
//!   [`compose`]: the message, the envelope and the signed query (on [`crate::wire`]);
//!   [`deliver`]: attempts, retries and forced redeliveries; [`answer`]: WeChat's reading of a
//!   reply; [`journal`]: the push log; [`verify`]: the URL check.
//!
//! # `POST /_sim/push`
//!
//! - `url` (http only), `token`; `appid` (default app); `aes_key` (43 chars, needed by
//!   `compatible`/`safe`); `format` `xml`|`json`; `mode` `plain`|`compatible`|`safe`;
//!   `official_account` adds `openid=<sender>` to the query; `to_user_name` defaults to `gh_` +
//!   12 hex digits of sha1(appid).
//! - `action`: `{"type":"text","openid"?,"content"}`, `{"type":"image","openid"?}`,
//!   `{"type":"miniprogrampage","openid"?,"title"?,"pagepath"?}`,
//!   `{"type":"enter_session","openid"?,"session_from"?}`,
//!   `{"type":"event","openid"?,"event","event_key"?}`, for official accounts
//!   `{"type":"scan","ticket","openid"?,"unionid"?}`, `{"type":"follow","openid"?,"unionid"?}`,
//!   `{"type":"unfollow","openid"?,"unionid"?}` (events and follow state per `oa::scan`; the
//!   app defaults to the first `--oa` one), or `{"type":"raw","body"}` (sent
//!   byte for byte with `signature`/`timestamp`/`nonce`; in compatible/safe mode also
//!   `msg_signature` over the body's `Encrypt`, if it has one). Unknown openids become users; a
//!   message opens the 48 h window, `enter_session` the 1 min one, before delivering. Messages
//!   get a `MsgId` above 2^53; events none.
//! - Delivery: `deliveries` (default 3, 1–10) tries at most, the next only after a timeout, a
//!   connection error or a 5xx; or `force_deliveries` N (1–10): exactly N whatever the answers,
//!   `concurrent` sends them all at once. `timeout_ms` (default 5000) bounds each attempt.
//!   `same_params_on_retry` (default true) resends the identical request; false draws a fresh
//!   timestamp, nonce and random16 (same message). `timestamp` overrides the signed timestamp.
//! - `tamper`: `signature` | `msg_signature` | `appid_trailer` | `truncate_ciphertext`.
//!
//! The answer comes when all attempts are done: `{"push","openid" (null for raw),"msg_id"?,
//! "create_time","deliveries":[{"attempt","outcome": "answered"|"http_<n>"|"timeout"|
//! "connection_error","status"?,"elapsed_ms","body"?,"reply"?,"reply_content"?,"reason"?,..}],
//! "outcome": "success"|"transfer"|"text_reply"|"abnormal"|"failed","reply_content"?,
//! "reason"?,"user_saw"?}`. The last 2xx answer decides; `failed` and `abnormal` make the user
//! see WeChat's failure notice (`user_saw`, and a `user_events` entry in `/_sim/push/log`).

mod action;
mod answer;
mod compose;
mod deliver;
mod journal;
mod request;
mod verify;

pub use journal::PushLog;
pub use verify::verify;

use crate::control::{parse, query, resolve_appid, Ctl, CtlError};
use crate::custom_message::open_window;
use crate::ids;
use crate::state::{Sim, State, User, UserAction};
use action::Action;
use answer::{Verdict, FAILURE_NOTICE};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use compose::{Params, Sender};
use deliver::{deliver_all, Job};
use journal::{Delivery, UserEvent};
use request::{Plan, PushRequest};
use serde_json::{json, Value};
use std::sync::Arc;

/// `POST /_sim/push`: delivers one user action to a webhook and answers when WeChat is done
/// with it (all attempts made). The body and the answer are described above.
pub async fn push(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let plan = parse::<PushRequest>(&body)?.into_plan()?;
    let client = client()?;
    let prepared = prepare(&sim, &plan)?;
    let job = Job {
        sim: &sim,
        plan: &plan,
        push: prepared.push,
        appid: &prepared.appid,
        openid: prepared.openid.as_deref(),
        to_user_name: &prepared.to_user_name,
        msg_id: prepared.msg_id,
        plain: &prepared.plain,
        first: prepared.first.clone(),
        client,
    };
    let deliveries = deliver_all(&job).await;
    let (outcome, verdict) = conclude(&deliveries);
    let mut reply = json!({
        "push": prepared.push,
        "openid": prepared.openid,
        "create_time": prepared.create_time,
        "deliveries": deliveries,
        "outcome": outcome,
    });
    if let Some(id) = prepared.msg_id {
        reply["msg_id"] = json!(id);
    }
    let saw = match &verdict {
        Some(Verdict::TextReply(content)) => {
            reply["reply_content"] = json!(content);
            Some(("text_reply", content.clone()))
        }
        Some(Verdict::Abnormal(why)) => {
            reply["reason"] = json!(why);
            Some(("system_notice", FAILURE_NOTICE.to_string()))
        }
        Some(_) => None,
        None => {
            reply["reason"] = json!(failure_reason(&deliveries));
            Some(("system_notice", FAILURE_NOTICE.to_string()))
        }
    };
    if let Some((kind, text)) = saw {
        if kind == "system_notice" {
            reply["user_saw"] = json!(text);
        }
        let event = UserEvent { push: prepared.push, openid: prepared.openid.clone(), kind, saw: text, at: sim.clock.now() };
        sim.lock().push_log.user_saw(event);
    }
    Ok(Json(reply))
}

/// What the lock-held part of a push decided.
struct Prepared {
    push: u64,
    appid: String,
    openid: Option<String>,
    to_user_name: String,
    msg_id: Option<u64>,
    create_time: u64,
    plain: String,
    first: Params,
}

/// Creates the user if new and opens the send window *before* delivering (WeChat opens it when
/// the user acts, whatever the webhook does), then builds the plaintext body.
fn prepare(sim: &Sim, plan: &Plan) -> Result<Prepared, CtlError> {
    let now = sim.clock.now();
    let create_time = u64::try_from(now).unwrap_or(0);
    let mut guard = sim.lock();
    let appid = match plan.action.oa() {
        Some(_) => crate::oa::resolve_oa_appid(&guard, plan.appid.as_deref())?,
        None => resolve_appid(&guard, plan.appid.as_deref())?,
    };
    let State { apps, rng, limits, push_log, oa_tickets, .. } = &mut *guard;
    let app = apps.get_mut(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let to_user_name = plan.to_user_name.clone().unwrap_or_else(|| compose::default_to_user_name(&appid));
    let (openid, msg_id, message) = if let Action::Raw { .. } = plan.action {
        (None, None, None)
    } else if let Some((action, unionid)) = plan.action.oa() {
        let actor =
            crate::oa::scan::Actor { openid: plan.action.openid(), unionid, to_user_name: &to_user_name, create_time, now };
        let (openid, message) = crate::oa::scan::event(app, rng, oa_tickets, action, &actor)?;
        (Some(openid), None, Some(message))
    } else {
        let openid = plan.action.openid().map_or_else(|| ids::openid(rng), str::to_string);
        let user = app.users.entry(openid.clone()).or_insert_with(|| {
            let unionid = app.unionid_bound.then(|| ids::openid(rng));
            User::new(openid.clone(), unionid)
        });
        match plan.action {
            Action::EnterSession { .. } => open_window(user, UserAction::EnterSession, now, limits),
            _ if plan.action.is_message() => open_window(user, UserAction::Message, now, limits),
            _ => {}
        }
        let msg_id = plan.action.is_message().then(|| compose::msg_id(rng));
        let sender = Sender { appid: &appid, to_user_name: &to_user_name, openid: &openid, create_time, msg_id };
        let message = compose::message(&plan.action, &sender, rng);
        (Some(openid), msg_id, Some(message))
    };
    let plain = compose::plain_body(plan, message.as_ref());
    let first = Params::fresh(rng, plan.timestamp.unwrap_or(create_time));
    Ok(Prepared { push: push_log.next_push(), appid, openid, to_user_name, msg_id, create_time, plain, first })
}

/// The answer WeChat acts on is the last 2xx one (earlier ones were "lost" when redelivering);
/// without any, the push failed.
fn conclude(deliveries: &[Delivery]) -> (&'static str, Option<Verdict>) {
    let Some(last) = deliveries.iter().rev().find(|d| d.is_answered()) else {
        return ("failed", None);
    };
    let verdict = match last.reply {
        Some("success") => Verdict::Success,
        Some("transfer") => Verdict::Transfer,
        Some("text_reply") => Verdict::TextReply(last.reply_content.clone().unwrap_or_default()),
        _ => Verdict::Abnormal(last.reason.clone().unwrap_or_default()),
    };
    (verdict.name(), Some(verdict))
}

fn failure_reason(deliveries: &[Delivery]) -> String {
    let last = deliveries.last().map_or("nothing", |d| d.outcome.as_str());
    format!("no 2xx answer after {} deliveries (last: {last})", deliveries.len())
}

/// One client per push, without a connection pool (every delivery opens its own connection,
/// so a timed-out one is never reused) and without proxies (the webhook is local).
fn client() -> Result<reqwest::Client, CtlError> {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| CtlError::bad(format!("cannot build an HTTP client: {e}")))
}

/// `GET /_sim/push/log?push=` → `{"deliveries":[..],"user_events":[..]}`, oldest first.
pub async fn log(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let push = match query(raw).get("push") {
        Some(n) => Some(n.parse::<u64>().map_err(|_| CtlError::bad("push must be a number"))?),
        None => None,
    };
    let state = sim.lock();
    Ok(Json(json!({
        "deliveries": state.push_log.deliveries(push),
        "user_events": state.push_log.user_events(push),
    })))
}

/// `POST /_sim/push/log/clear` → `{"ok"}`.
pub async fn log_clear(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    sim.lock().push_log.clear();
    Json(json!({"ok": true}))
}
