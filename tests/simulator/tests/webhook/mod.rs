//! A tiny webhook that behaves like the worker for the push tests: it checks every push the
//! way a receiver must (signatures, decryption, the app id; `wechat_sim::wire::inbound`),
//! records what arrived, and answers as scripted — `success`, a (possibly encrypted) transfer,
//! a sleep past the time limit, a status.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wechat_sim::wire::inbound::{echo as verify_echo, open, query_pairs, Inbound, Refusal};
use wechat_sim::wire::reply::{encrypt as encrypt_reply, transfer as transfer_reply};
use wechat_sim::wire::{Mode, PushCipher};

pub const TOKEN: &str = "pushToken123";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// How the webhook answers one request.
#[derive(Clone, Debug)]
pub enum Behaviour {
    Success,
    /// `transfer_customer_service` in the push's format, encrypted when the push was.
    Transfer,
    /// Sleeps, then answers `success` (too late when the sleep passes the time limit).
    Sleep(Duration),
    Status(u16),
    Body(&'static str),
}

/// One request as the webhook saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub query: Vec<(String, String)>,
    pub content_type: String,
    pub body: String,
    /// What a receiver makes of it.
    pub opened: Result<Inbound, Refusal>,
    pub at: Instant,
}

impl Seen {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

struct Inner {
    cipher: PushCipher,
    script: Mutex<VecDeque<Behaviour>>,
    default: Behaviour,
    seen: Mutex<Vec<Seen>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

pub struct Webhook {
    pub url: String,
    inner: Arc<Inner>,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for Webhook {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Webhook {
    /// A webhook for `appid` with [`TOKEN`] and [`AES_KEY`], answering `default` unless scripted.
    pub async fn start(appid: &str, default: Behaviour) -> Webhook {
        let inner = Arc::new(Inner {
            cipher: PushCipher::new(AES_KEY, appid).expect("the test key is valid"),
            script: Mutex::new(VecDeque::new()),
            default,
            seen: Mutex::new(Vec::new()),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        });
        let app = Router::new().route("/wechat/push", post(receive).get(echo)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("webhook binds");
        let addr = listener.local_addr().expect("webhook address");
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Webhook { url: format!("http://{addr}/wechat/push"), inner, handle }
    }

    /// Answers the next request this way (then the next scripted one, then the default).
    pub fn then(&self, behaviour: Behaviour) {
        self.inner.script.lock().unwrap().push_back(behaviour);
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().unwrap().clone()
    }

    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn cipher(&self) -> &PushCipher {
        &self.inner.cipher
    }
}

/// Counts a request as running until its handler finishes or is dropped.
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(&inner.in_flight);
    let query = query_pairs(raw.as_deref().unwrap_or_default());
    // No timestamp window: the simulator's clock is frozen, the webhook's is not.
    let opened = open(TOKEN, Some(&inner.cipher), &query, &body);
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    inner.seen.lock().unwrap().push(Seen {
        query: query.clone(),
        content_type,
        body: String::from_utf8_lossy(&body).into_owned(),
        opened: opened.clone(),
        at: Instant::now(),
    });
    let incoming = match opened {
        Ok(incoming) => incoming,
        Err(e) => return (StatusCode::from_u16(e.status()).unwrap(), e.code().into()),
    };
    let behaviour = inner.script.lock().unwrap().pop_front();
    match behaviour.unwrap_or_else(|| inner.default.clone()) {
        Behaviour::Success => (StatusCode::OK, "success".into()),
        Behaviour::Sleep(duration) => {
            tokio::time::sleep(duration).await;
            (StatusCode::OK, "success".into())
        }
        Behaviour::Status(status) => (StatusCode::from_u16(status).unwrap(), "oops".into()),
        Behaviour::Body(body) => (StatusCode::OK, body.into()),
        Behaviour::Transfer => {
            let create_time = incoming.number("CreateTime").unwrap_or(0);
            let plain = transfer_reply(
                incoming.format,
                &incoming.text("FromUserName").unwrap_or_default(),
                &incoming.text("ToUserName").unwrap_or_default(),
                create_time,
            );
            let reply = match incoming.mode {
                Mode::Plain => plain,
                _ => encrypt_reply(incoming.format, &inner.cipher, TOKEN, &plain, create_time, "4242", [9; 16]),
            };
            (StatusCode::OK, reply)
        }
    }
}

/// The URL check, answered like the worker: the echostr, byte for byte.
async fn echo(State(inner): State<Arc<Inner>>, RawQuery(raw): RawQuery) -> (StatusCode, String) {
    let query = query_pairs(raw.as_deref().unwrap_or_default());
    if let Behaviour::Body(body) = inner.default {
        return (StatusCode::OK, body.into());
    }
    match verify_echo(TOKEN, &query) {
        Ok(echostr) => (StatusCode::OK, echostr),
        Err(e) => (StatusCode::from_u16(e.status()).unwrap(), e.code().into()),
    }
}

/// The `/_sim/push` requests and readings of its answer that the push tests share.
pub mod requests {
    use super::{Webhook, AES_KEY, TOKEN};
    use crate::common::TestSim;
    use serde_json::{json, Value};

    pub const FAILURE_NOTICE: &str = "该小程序客服暂时无法提供服务，请稍后再试";

    pub fn text_push(hook: &Webhook, content: &str) -> Value {
        json!({"url": hook.url, "token": TOKEN, "action": {"type": "text", "content": content}})
    }

    pub fn encrypted(mut request: Value, format: &str, mode: &str) -> Value {
        request["format"] = json!(format);
        request["mode"] = json!(mode);
        request["aes_key"] = json!(AES_KEY);
        request
    }

    pub async fn push(sim: &TestSim, request: Value) -> Value {
        sim.control("/_sim/push", request).await
    }

    pub fn outcomes(answer: &Value) -> Vec<String> {
        answer["deliveries"]
            .as_array()
            .expect("deliveries")
            .iter()
            .map(|d| d["outcome"].as_str().unwrap_or_default().to_string())
            .collect()
    }
}
