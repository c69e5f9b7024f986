//! Typed calls to Durable Objects. Each call is one request type with one answer type
//! ([`ObjectCall`]), serialized on both sides from the same Rust type; its wire name lives in
//! the type, so no route string is written twice. Errors travel in the contract's shape.

use crate::shared::error::{ApiError, Retry};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// A request to a Durable Object and the answer it gets.
pub trait ObjectCall: Serialize + DeserializeOwned {
    type Answer: Serialize + DeserializeOwned;
    /// The call's name on the wire (the request path); written only here.
    const NAME: &'static str;
}

/// Rebuilds an [`ApiError`] from the contract's JSON shape (the objects speak it too). A 503
/// from an object means nothing was done yet, so trying again later is safe.
pub fn error_from_body(status: u16, value: &Value) -> ApiError {
    let e = &value["error"];
    let code = e["code"].as_str().unwrap_or("internal_error").to_owned();
    let message = e["message"].as_str().unwrap_or("a Durable Object failed").to_owned();
    let mut err = ApiError::new(status, code, message);
    if let Some(c) = e["wechat_errcode"].as_i64() {
        err = err.with_errcode(c);
    }
    if status == 503 {
        err = err.with_retry(Retry::Safe);
    }
    err
}

#[cfg(target_arch = "wasm32")]
pub use wire::{call, call_name, call_raw, get_json, put_json, serve};

#[cfg(target_arch = "wasm32")]
mod wire {
    use super::{error_from_body, ObjectCall};
    use crate::shared::error::{ApiError, ApiResult};
    use crate::shared::http::{error_response, json};
    use serde::Serialize;
    use worker::{Env, Method, Request, RequestInit, Response};

    fn unavailable(binding: &str, what: &str) -> ApiError {
        ApiError::unavailable(format!("the {binding} object is unavailable ({what}); retry shortly"))
    }

    async fn send<B: Serialize>(env: &Env, binding: &str, name: &str, call_name: &str, call: &B) -> ApiResult<Response> {
        let namespace = env.durable_object(binding).map_err(|_| ApiError::config(binding, "is not bound (a Durable Object)"))?;
        let stub = namespace.id_from_name(name).and_then(|id| id.get_stub()).map_err(|_| unavailable(binding, "stub"))?;
        let body = serde_json::to_string(call).map_err(|_| ApiError::internal("could not encode an object call"))?;
        let mut init = RequestInit::new();
        init.with_method(Method::Post).with_body(Some(body.into()));
        let req =
            Request::new_with_init(&format!("https://object/{call_name}"), &init).map_err(|_| unavailable(binding, "request"))?;
        stub.fetch_with_request(req).await.map_err(|_| unavailable(binding, "fetch"))
    }

    /// Sends a call whose answer is not JSON (a stream): the object's response as it is when
    /// it is a 200, else its error.
    pub async fn call_raw<B: Serialize>(env: &Env, binding: &str, name: &str, call_name: &str, call: &B) -> ApiResult<Response> {
        let mut resp = send(env, binding, name, call_name, call).await?;
        if resp.status_code() == 200 {
            return Ok(resp);
        }
        let status = resp.status_code();
        let text = resp.text().await.map_err(|_| unavailable(binding, "body"))?;
        Err(error_from_body(status, &serde_json::from_str(&text).unwrap_or_default()))
    }

    /// Sends `call` to the object named `name` in the namespace `binding`.
    pub async fn call<C: ObjectCall>(env: &Env, binding: &str, name: &str, call: &C) -> ApiResult<C::Answer> {
        let unavailable = |what: &str| unavailable(binding, what);
        let mut resp = send(env, binding, name, C::NAME, call).await?;
        let status = resp.status_code();
        let text = resp.text().await.map_err(|_| unavailable("body"))?;
        if status == 200 {
            return serde_json::from_str(&text)
                .map_err(|_| ApiError::internal(format!("the {binding} object answered in an unexpected shape")));
        }
        let value = serde_json::from_str(&text).unwrap_or_default();
        Err(error_from_body(status, &value))
    }

    /// In an object: reads a `C` from the request, runs `f` on it and answers in JSON (or
    /// with the error in the contract's shape). Dispatch on `C::NAME` first.
    pub async fn serve<C, F, Fut>(req: &mut Request, f: F) -> Response
    where
        C: ObjectCall,
        F: FnOnce(C) -> Fut,
        Fut: std::future::Future<Output = ApiResult<C::Answer>>,
    {
        let answer = match req.json::<C>().await {
            Ok(call) => f(call).await,
            Err(_) => Err(ApiError::bad_request("invalid_object_call", format!("a malformed {} call", C::NAME))),
        };
        respond::<C>(answer)
    }

    /// A value kept in an object's storage as JSON text: serde_json's code is in the Worker
    /// anyway, while a struct stored through serde-wasm-bindgen costs kilobytes of wasm each.
    pub async fn get_json<T: serde::de::DeserializeOwned>(storage: &worker::Storage, key: &str) -> worker::Result<Option<T>> {
        let text: Option<String> = storage.get(key).await?;
        match text {
            None => Ok(None),
            Some(t) => serde_json::from_str(&t).map(Some).map_err(|e| worker::Error::RustError(format!("stored {key}: {e}"))),
        }
    }

    pub async fn put_json<T: Serialize>(storage: &worker::Storage, key: &str, value: &T) -> worker::Result<()> {
        let text = serde_json::to_string(value).map_err(|e| worker::Error::RustError(e.to_string()))?;
        storage.put(key, text).await
    }

    /// The call name of a request to an object.
    pub fn call_name(req: &Request) -> String {
        req.path().trim_start_matches('/').to_owned()
    }

    /// In an object: the answer to a `C`, or the error in the contract's shape.
    fn respond<C: ObjectCall>(answer: ApiResult<C::Answer>) -> Response {
        match answer.and_then(|a| json(200, &a)) {
            Ok(resp) => resp,
            Err(e) => error_response(&e),
        }
    }
}
