//! Request and response helpers shared by the handlers: the per-request context, JSON bodies
//! with a size bound, the internal-key check, and turning an [`ApiError`] into a response.

use crate::shared::config::Config;
use crate::shared::crypto::hex_eq;
use crate::shared::error::{ApiError, ApiResult};
use js_sys::{Object, Reflect, Uint8Array};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::ReadableStreamDefaultReader;
use worker::{Date, Env, Request, Response};

/// What every handler needs: the environment, the parsed configuration, the time.
pub struct Ctx {
    pub env: Env,
    pub config: Rc<Config>,
    pub now: u64,
}

impl Ctx {
    pub fn new(env: Env) -> Ctx {
        let config = config_from_env(&env);
        Ctx { env, config, now: now() }
    }
}

/// Unix seconds from the Workers clock (`SystemTime` panics on wasm32).
pub fn now() -> u64 {
    Date::now().as_millis() / 1000
}

thread_local! {
    /// The configuration this isolate parsed, with the environment object it came from.
    static CONFIG: RefCell<Option<(Env, Rc<Config>)>> = const { RefCell::new(None) };
}

/// The configuration, parsed once per isolate: the runtime hands every request the same
/// environment object until the Worker's bindings change (a deploy, a new secret), and a
/// different object is parsed again.
pub fn config_from_env(env: &Env) -> Rc<Config> {
    let cached = CONFIG.with(|c| c.borrow().as_ref().filter(|(seen, _)| Object::is(seen, env)).map(|(_, cfg)| cfg.clone()));
    if let Some(config) = cached {
        return config;
    }
    let config = Rc::new(Config::from_lookup(&|name| {
        env.secret(name).ok().map(|s| s.to_string()).or_else(|| env.var(name).ok().map(|v| v.to_string()))
    }));
    CONFIG.with(|c| *c.borrow_mut() = Some((env.clone(), config.clone())));
    config
}

/// Fills `buf` from the platform's CSPRNG (crypto.getRandomValues).
pub fn random_bytes<const N: usize>() -> ApiResult<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|_| ApiError::internal("no randomness available"))?;
    Ok(buf)
}

pub fn json<T: Serialize>(status: u16, value: &T) -> ApiResult<Response> {
    let resp = Response::from_json(value).map_err(|_| ApiError::internal("could not encode a response"))?;
    let mut resp = resp.with_status(status);
    let _ = resp.headers_mut().set("Cache-Control", "no-store");
    Ok(resp)
}

pub fn no_content() -> ApiResult<Response> {
    Response::empty().map(|r| r.with_status(204)).map_err(|_| ApiError::internal("could not build a response"))
}

/// The contract's error response. Never fails: a response must always go out.
pub fn error_response(err: &ApiError) -> Response {
    let body = err.body().to_string();
    let mut resp = Response::ok(body).unwrap_or_else(|_| Response::empty().expect("empty response")).with_status(err.status);
    let headers = resp.headers_mut();
    let _ = headers.set("Content-Type", "application/json; charset=utf-8");
    let _ = headers.set("Cache-Control", "no-store");
    if err.status == 401 {
        let _ = headers.set("WWW-Authenticate", "Bearer");
    }
    if let Some(seconds) = err.retry_after {
        let _ = headers.set("Retry-After", &seconds.to_string());
    }
    if let Some(allow) = &err.allow {
        let _ = headers.set("Allow", allow);
    }
    resp
}

/// Reads the body as a stream, refusing more than `limit` bytes with 413 as soon as the limit
/// is passed: a body without `Content-Length` (chunked, HTTP/2) is never buffered whole, so a
/// huge one cannot exhaust the isolate's memory before it is measured.
pub async fn body_bytes(req: &mut Request, limit: usize) -> ApiResult<Vec<u8>> {
    let declared = req.headers().get("Content-Length").ok().flatten().and_then(|v| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return Err(ApiError::payload_too_large(limit));
    }
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit));
    // No body at all (a GET, an empty POST): nothing to read.
    let Some(stream) = req.inner().body() else { return Ok(body) };
    let reader: ReadableStreamDefaultReader = stream.get_reader().unchecked_into();
    let outcome = read_capped(&reader, &mut body, limit).await;
    // Released, not cancelled: the rest of an oversized body is left unread and dropped with
    // the request, and the 413 goes out at once (cancelling makes the runtime fail the request).
    reader.release_lock();
    outcome.map(|()| body)
}

/// Appends the reader's chunks to `body` until the stream ends or `limit` would be passed.
async fn read_capped(reader: &ReadableStreamDefaultReader, body: &mut Vec<u8>, limit: usize) -> ApiResult<()> {
    let unreadable = || ApiError::bad_request("unreadable_body", "the request body could not be read");
    loop {
        let chunk = JsFuture::from(reader.read()).await.map_err(|_| unreadable())?;
        if Reflect::get(&chunk, &JsValue::from_str("done")).map(|d| d.is_truthy()).unwrap_or(true) {
            return Ok(());
        }
        let value = Reflect::get(&chunk, &JsValue::from_str("value")).map_err(|_| unreadable())?;
        let bytes: Uint8Array = value.dyn_into().map_err(|_| unreadable())?;
        let len = bytes.length() as usize;
        if body.len().saturating_add(len) > limit {
            return Err(ApiError::payload_too_large(limit));
        }
        let start = body.len();
        body.resize(start + len, 0);
        bytes.copy_to(&mut body[start..]);
    }
}

/// Reads a JSON object body (at most `limit` bytes).
pub async fn json_body(req: &mut Request, limit: usize) -> ApiResult<serde_json::Map<String, Value>> {
    let bytes = body_bytes(req, limit).await?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request("invalid_json", "the request body must be a JSON object; it is empty"));
    }
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad_request("invalid_json", "the request body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request("invalid_json", format!("the request body is not valid JSON: {e}"))),
    }
}

/// The client's IP as Cloudflare reports it (`CF-Connecting-IP`), for per-client limits.
pub fn client_ip(req: &Request) -> String {
    header(req, "CF-Connecting-IP").filter(|ip| !ip.is_empty()).unwrap_or_else(|| "unknown".to_owned())
}

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

pub fn query(req: &Request, name: &str) -> Option<String> {
    crate::shared::urls::query_value(crate::shared::urls::raw_query(&req.inner().url()), name)
}

/// `Authorization: Bearer <INTERNAL_API_KEY>`, compared in constant time (over hashes, so
/// the length of the key does not leak either). Anything else is a bare 401.
pub fn require_internal_key(ctx: &Ctx, req: &Request) -> ApiResult<()> {
    let expected = ctx.config.internal_api_key()?;
    let given = header(req, "Authorization").unwrap_or_default();
    let given = given.strip_prefix("Bearer ").unwrap_or("");
    let a = hex::encode(Sha256::digest(expected.as_bytes()));
    let b = hex::encode(Sha256::digest(given.as_bytes()));
    if given.is_empty() || !hex_eq(&a, &b) {
        return Err(ApiError::unauthorized("unauthorized", "a valid internal API key is required"));
    }
    Ok(())
}

/// Removes anything credential-like from text bound for a log line.
pub fn scrub(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = ["access_token=", "secret=", "js_code="].iter().filter_map(|m| rest.find(m).map(|i| i + m.len())).min() {
        out.push_str(rest.get(..i).unwrap_or(""));
        out.push_str("***");
        let tail = rest.get(i..).unwrap_or("");
        let end = tail.find(['&', ' ', '"', '\'']).unwrap_or(tail.len());
        rest = tail.get(end..).unwrap_or("");
    }
    out.push_str(rest);
    out
}
