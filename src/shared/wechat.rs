//! The WeChat HTTP client: one bounded HTTP exchange ([`send`]), what it can answer
//! ([`Reply`]) or fail with ([`Failure`]), and the retried call that needs no access_token.
//! Calls that carry an access_token go through `token::call`, which adds the stale-token retry.

use crate::shared::errcode::{self, Api};
use crate::shared::error::{ApiError, ApiResult, Retry};
use crate::shared::http::scrub;
use crate::shared::image::sniff_image;
use futures_util::future::{select, Either};
use serde_json::Value;
use std::time::Duration;
use worker::{console_warn, Delay, Fetch, Headers, Method, Request, RequestInit};

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
}

impl Failure {
    pub fn describe(&self) -> String {
        match self {
            Failure::Timeout => format!("WeChat did not answer within {TIMEOUT_MS} ms"),
            Failure::Network(e) => format!("WeChat could not be reached ({})", scrub(e)),
            Failure::Status(s) => format!("WeChat answered HTTP {s}"),
            Failure::Malformed => "WeChat answered with a body that is not JSON".to_owned(),
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
        }
    }
}

/// `path` on `api_base` (the configured `WECHAT_API_BASE`) with `params`.
pub fn url(api_base: &str, path: &str, params: &[(&str, &str)]) -> ApiResult<WeChatUrl> {
    WeChatUrl::build(api_base, "WECHAT_API_BASE", path, params)
}

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
    let mut init = RequestInit::new();
    init.with_method(method);
    if let Some(payload) = payload {
        let headers = Headers::new();
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
        init.with_headers(headers);
        init.with_body(Some(body));
    }
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
            Err(Failure::Status(s)) if s < 500 => return Err(Failure::Status(s).into_error()),
            Err(Failure::Malformed) => return Err(Failure::Malformed.into_error()),
            Err(f) => {
                console_warn!("wechat call {} failed: {}", url.path(), f.describe());
                last = f.into_error();
            }
        }
    }
    Err(last)
}
