//! The runtime's WebCrypto (`crypto.subtle`) from Rust: finding it, building algorithm objects,
//! importing keys and awaiting its promises. The capabilities' own key types and algorithms
//! live beside them (`pay::webcrypto`, `push::webcrypto`). Worker-only (wasm32).

use js_sys::{Array, Object, Reflect, Uint8Array};
use std::fmt;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

/// A WebCrypto failure; the message names the step, never key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CryptoFailure(pub &'static str);

impl fmt::Display for CryptoFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "WebCrypto: {}", self.0)
    }
}

impl std::error::Error for CryptoFailure {}

pub type Result<T> = std::result::Result<T, CryptoFailure>;

/// `globalThis.crypto.subtle`, found the way it exists in Workers (no `window`).
pub fn subtle() -> Result<SubtleCrypto> {
    let global = js_sys::global();
    let crypto = Reflect::get(&global, &JsValue::from_str("crypto")).map_err(|_| CryptoFailure("no crypto global"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(|_| CryptoFailure("no crypto.subtle"))?;
    subtle.dyn_into::<SubtleCrypto>().map_err(|_| CryptoFailure("crypto.subtle is not SubtleCrypto"))
}

/// A plain object from `(key, value)` pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> Result<Object> {
    let obj = Object::new();
    for (key, value) in pairs {
        Reflect::set(&obj, &JsValue::from_str(key), value).map_err(|_| CryptoFailure("cannot build an algorithm object"))?;
    }
    Ok(obj)
}

/// A key's usages as a JS array.
pub fn usages(list: &[&str]) -> JsValue {
    list.iter().map(|u| JsValue::from_str(u)).collect::<Array>().into()
}

/// Awaits a WebCrypto promise; a throw or a rejection becomes `step`.
pub async fn settle(promise: std::result::Result<js_sys::Promise, JsValue>, step: &'static str) -> Result<JsValue> {
    let promise = promise.map_err(|_| CryptoFailure(step))?;
    JsFuture::from(promise).await.map_err(|_| CryptoFailure(step))
}

/// Imports a non-extractable key.
pub async fn import(format: &str, der: &[u8], algorithm: &Object, key_usages: &[&str], step: &'static str) -> Result<CryptoKey> {
    let data: Object = Uint8Array::from(der).into();
    let key = settle(subtle()?.import_key_with_object(format, &data, algorithm, false, &usages(key_usages)), step).await?;
    key.dyn_into::<CryptoKey>().map_err(|_| CryptoFailure(step))
}
