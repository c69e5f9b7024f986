//! The WeChat HTTP client: one bounded HTTP exchange ([`send`]), what it can answer
//! ([`Reply`]) or fail with ([`Failure`]), and the retried call that needs no access_token.
//! Calls that carry an access_token go through `token::call`, which adds the stale-token retry.

use crate::shared::config::{AppConfig, CallKind};
use crate::shared::errcode::{self, Api};
use crate::shared::error::{ApiError, ApiResult, Retry};
use crate::shared::http::scrub;
use crate::shared::image::sniff_image;
use futures_util::future::{select, Either};
use serde_json::Value;
use std::time::Duration;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

pub use crate::shared::urls::WeChatUrl;

/// How long one WeChat call may take before we give up on it.
pub const TIMEOUT_MS: u64 = 5_000;

/// What WeChat answered with: JSON (success or errcode), or bytes (an image).
#[derive(Debug)]
#[allow(dead_code)] // the image bytes are read by the QR-code routes
pub enum Reply {
    Json(Value),
    Binary { content_type: String, bytes: Vec<u8> },
}

/// Why a call produced no usable answer (as opposed to a WeChat errcode).
#[derive(Debug, Clone)]
pub enum Failure {
    Timeout,
    Network(String),
    Status(u16),
    Malformed,
    /// The app's relay failed the call: unreachable (`status` None) or an HTTP error of its own
    /// (401/403 a wrong key, 404 a path it does not pass, 429 its rate limit, 5xx WeChat
    /// unreachable from it). WeChat itself answers errcodes with HTTP 200.
    Relay {
        base: String,
        status: Option<u16>,
        detail: String,
    },
}

impl Failure {
    pub fn describe(&self) -> String {
        match self {
            Failure::Timeout => format!("WeChat did not answer within {TIMEOUT_MS} ms"),
            Failure::Network(e) => format!("WeChat could not be reached ({})", scrub(e)),
            Failure::Status(s) => format!("WeChat answered HTTP {s}"),
            Failure::Malformed => "WeChat answered with a body that is not JSON".to_owned(),
            Failure::Relay { base, status: None, detail } => format!("the relay {base} could not be reached ({})", scrub(detail)),
            Failure::Relay { base, status: Some(s @ (401 | 403)), .. } => {
                format!("the relay {base} refused the call (HTTP {s}): check WECHAT_RELAY_KEY on both sides")
            }
            Failure::Relay { base, status: Some(404), .. } => {
                format!("the relay {base} does not pass this path (HTTP 404): update its allowed paths")
            }
            Failure::Relay { base, status: Some(s), .. } => format!("the relay {base} answered HTTP {s}"),
        }
    }

    /// Whether another attempt now may succeed (the token object's retry policy).
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::Status(s) => *s >= 500,
            Failure::Relay { status: Some(s), .. } => *s >= 500 || *s == 429,
            Failure::Timeout | Failure::Network(_) | Failure::Malformed | Failure::Relay { status: None, .. } => true,
        }
    }

    pub fn into_error(self) -> ApiError {
        match &self {
            // WeChat's own 5xx is passing: retry later. A 4xx or an unreadable body is not.
            Failure::Status(s) if *s >= 500 => ApiError::unavailable(self.describe()).with_retry(Retry::Safe),
            Failure::Status(_) | Failure::Malformed => ApiError::upstream(self.describe()),
            Failure::Network(_) => ApiError::unavailable(self.describe()).with_retry(Retry::Safe),
            // The request went out and no answer came: WeChat may have acted on it.
            Failure::Timeout => ApiError::unavailable(self.describe()).with_retry(Retry::Uncertain),
            // The relay never passed it on: nothing happened at WeChat.
            Failure::Relay { .. } if self.is_transient() => {
                ApiError::unavailable(self.describe()).with_code("relay_unavailable").with_retry(Retry::Safe)
            }
            Failure::Relay { .. } => ApiError::upstream(self.describe()).with_code("relay_refused"),
        }
    }
}

/// `path` on `api_base` (the configured `WECHAT_API_BASE`) with `params`.
pub fn url(api_base: &str, path: &str, params: &[(&str, &str)]) -> ApiResult<WeChatUrl> {
    WeChatUrl::build(api_base, "WECHAT_API_BASE", path, params)
}

/// `path` for `app`'s call of `kind`: through the app's relay when it takes that kind of
/// call (`WECHAT_RELAY_URL`, `relay` in `WECHAT_APPS`), else on `api_base`.
pub fn app_url(api_base: &str, app: &AppConfig, kind: CallKind, path: &str, params: &[(&str, &str)]) -> ApiResult<WeChatUrl> {
    match app.upstream(api_base, kind)? {
        (base, Some(relay)) => Ok(WeChatUrl::build(&base, "WECHAT_RELAY_URL", path, params)?.via_relay(&relay)),
        (base, None) => url(&base, path, params),
    }
}

/// The header a relay checks for its shared secret (`deploy/relay/`).
pub const RELAY_KEY_HEADER: &str = "X-Relay-Key";

/// What a call sends: JSON, or raw bytes with their Content-Type (a multipart upload).
#[derive(Clone, Copy)]
pub enum Payload<'a> {
    Json(&'a Value),
    Raw { content_type: &'a str, bytes: &'a [u8] },
}

/// One HTTP exchange with WeChat sending JSON (or nothing); see [`send_payload`].
pub async fn send(method: Method, url: &WeChatUrl, body: Option<&Value>) -> Result<Reply, Failure> {
    send_payload(method, url, body.map(Payload::Json)).await
}

/// One HTTP exchange with WeChat, bounded by [`TIMEOUT_MS`]. JSON is recognised by the body
/// (WeChat's Content-Type is unreliable), images by their magic bytes.
pub async fn send_payload(method: Method, url: &WeChatUrl, payload: Option<Payload<'_>>) -> Result<Reply, Failure> {
    let result = exchange(method, url, payload).await;
    let Some((base, _)) = url.relay() else { return result };
    // Through a relay: an HTTP error or an unreachable host is the relay's, and says so.
    match result {
        Err(Failure::Network(detail)) => Err(Failure::Relay { base: base.to_owned(), status: None, detail }),
        Err(Failure::Status(status)) => {
            Err(Failure::Relay { base: base.to_owned(), status: Some(status), detail: String::new() })
        }
        other => other,
    }
}

async fn exchange(method: Method, url: &WeChatUrl, payload: Option<Payload<'_>>) -> Result<Reply, Failure> {
    let mut init = RequestInit::new();
    init.with_method(method);
    let headers = Headers::new();
    if let Some((_, key)) = url.relay() {
        let _ = headers.set(RELAY_KEY_HEADER, key);
    }
    if let Some(payload) = payload {
        let body = match payload {
            Payload::Json(v) => {
                let _ = headers.set("Content-Type", "application/json");
                // serde_json writes raw UTF-8 and no `\/`, as WeChat requires (40033 / 40159).
                v.to_string().into()
            }
            Payload::Raw { content_type, bytes } => {
                let _ = headers.set("Content-Type", content_type);
                js_sys::Uint8Array::from(bytes).into()
            }
        };
        init.with_body(Some(body));
    }
    init.with_headers(headers);
    let request = Request::new_with_init(url.as_str(), &init).map_err(|e| Failure::Network(e.to_string()))?;
    let exchange = async {
        let mut resp = Fetch::Request(request).send().await.map_err(|e| Failure::Network(e.to_string()))?;
        let status = resp.status_code();
        let content_type = resp.headers().get("Content-Type").ok().flatten().unwrap_or_default();
        let bytes = resp.bytes().await.map_err(|e| Failure::Network(e.to_string()))?;
        Ok::<_, Failure>((status, content_type, bytes))
    };
    let timeout = Delay::from(Duration::from_millis(TIMEOUT_MS));
    let (status, content_type, bytes) = match select(Box::pin(exchange), Box::pin(timeout)).await {
        Either::Left((result, _)) => result?,
        Either::Right(_) => return Err(Failure::Timeout),
    };
    if status >= 500 {
        return Err(Failure::Status(status));
    }
    if sniff_image(&bytes).is_some() {
        return Ok(Reply::Binary { content_type, bytes });
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) if v.is_object() => Ok(Reply::Json(v)),
        _ if status >= 400 => Err(Failure::Status(status)),
        _ => Err(Failure::Malformed),
    }
}

/// A call that needs no access_token (jscode2session), retried once on a transient failure
/// (-1, 5xx, timeout). Returns the JSON body checked against `api`'s errcodes.
pub async fn call_without_token(api: Api, method: Method, url: &WeChatUrl) -> ApiResult<Value> {
    let mut last = ApiError::unavailable("WeChat could not be reached");
    for attempt in 0..2 {
        if attempt > 0 {
            Delay::from(Duration::from_millis(300)).await;
        }
        match send(method.clone(), url, None).await {
            Ok(Reply::Json(v)) if errcode::errcode_of(&v) == -1 => last = errcode::map(api, -1, &errcode::errmsg_of(&v)),
            Ok(Reply::Json(v)) => return errcode::check(api, v),
            Ok(Reply::Binary { .. }) => return Err(ApiError::upstream("WeChat answered with an image where JSON was expected")),
            Err(Failure::Malformed) => return Err(Failure::Malformed.into_error()),
            Err(f) if !f.is_transient() => return Err(f.into_error()),
            Err(f) => {
                crate::log_warn!("wechat call {} failed: {}", url.path(), f.describe());
                last = f.into_error();
            }
        }
    }
    Err(last)
}
