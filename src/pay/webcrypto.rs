//! The Worker's crypto for WeChat Pay, through the runtime's WebCrypto (`crypto.subtle`):
//! RSASSA-PKCS1-v1_5/SHA-256 signing with the merchant key (PKCS#8), verification with a
//! WeChat Pay key (SPKI), and AES-256-GCM decryption with the APIv3 key. Keys are imported
//! non-extractable; inputs and outputs are plain bytes from the pure modules.
//!
//! Imported keys can be cached per isolate by the caller (a `CryptoKey` is reusable); importing
//! costs a fraction of a millisecond, so nothing here caches on its own.

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

type Result<T> = std::result::Result<T, CryptoFailure>;

/// `globalThis.crypto.subtle`, found the way it exists in Workers (no `window`).
fn subtle() -> Result<SubtleCrypto> {
    let global = js_sys::global();
    let crypto = Reflect::get(&global, &JsValue::from_str("crypto")).map_err(|_| CryptoFailure("no crypto global"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle")).map_err(|_| CryptoFailure("no crypto.subtle"))?;
    subtle.dyn_into::<SubtleCrypto>().map_err(|_| CryptoFailure("crypto.subtle is not SubtleCrypto"))
}

/// A plain object from `(key, value)` pairs.
fn object(pairs: &[(&str, JsValue)]) -> Result<Object> {
    let obj = Object::new();
    for (key, value) in pairs {
        Reflect::set(&obj, &JsValue::from_str(key), value).map_err(|_| CryptoFailure("cannot build an algorithm object"))?;
    }
    Ok(obj)
}

fn usages(list: &[&str]) -> JsValue {
    list.iter().map(|u| JsValue::from_str(u)).collect::<Array>().into()
}

fn rsa_algorithm() -> Result<Object> {
    object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", "SHA-256".into())])
}

async fn settle(promise: std::result::Result<js_sys::Promise, JsValue>, step: &'static str) -> Result<JsValue> {
    let promise = promise.map_err(|_| CryptoFailure(step))?;
    JsFuture::from(promise).await.map_err(|_| CryptoFailure(step))
}

async fn import(format: &str, der: &[u8], algorithm: &Object, key_usages: &[&str], step: &'static str) -> Result<CryptoKey> {
    let data: Object = Uint8Array::from(der).into();
    let key = settle(subtle()?.import_key_with_object(format, &data, algorithm, false, &usages(key_usages)), step).await?;
    key.dyn_into::<CryptoKey>().map_err(|_| CryptoFailure(step))
}

/// The merchant API private key (PKCS#8 DER, [`super::PayConfig::private_key`]), for signing.
pub async fn import_signing_key(pkcs8: &[u8]) -> Result<CryptoKey> {
    import("pkcs8", pkcs8, &rsa_algorithm()?, &["sign"], "the merchant private key does not import (PKCS#8 RSA expected)").await
}

/// A WeChat Pay public key or a platform certificate's key (SPKI DER), for verifying.
pub async fn import_verifying_key(spki: &[u8]) -> Result<CryptoKey> {
    import("spki", spki, &rsa_algorithm()?, &["verify"], "the WeChat Pay public key does not import (SPKI RSA expected)").await
}

/// The APIv3 key (its 32 raw bytes), for AES-256-GCM decryption.
pub async fn import_aes_key(raw: &[u8]) -> Result<CryptoKey> {
    let algorithm = object(&[("name", "AES-GCM".into())])?;
    import("raw", raw, &algorithm, &["decrypt"], "the APIv3 key does not import (32 bytes expected)").await
}

/// RSASSA-PKCS1-v1_5/SHA-256 over `message`: the 256 signature bytes (base64 them for the
/// `Authorization` header and `paySign`).
pub async fn sign(key: &CryptoKey, message: &[u8]) -> Result<Vec<u8>> {
    let signed = settle(subtle()?.sign_with_object_and_u8_array(&rsa_algorithm()?, key, message), "signing failed").await?;
    Ok(Uint8Array::new(&signed).to_vec())
}

/// Whether `signature` is a valid RSASSA-PKCS1-v1_5/SHA-256 signature of `message`.
pub async fn verify(key: &CryptoKey, signature: &[u8], message: &[u8]) -> Result<bool> {
    let verified = settle(
        subtle()?.verify_with_object_and_u8_array_and_u8_array(&rsa_algorithm()?, key, signature, message),
        "verification could not run",
    )
    .await?;
    Ok(verified.as_bool() == Some(true))
}

/// AES-256-GCM: `ciphertext` is `ciphertext ‖ 16-byte tag` as WeChat sends it, `nonce` the 12
/// bytes of `resource.nonce`, `aad` those of `associated_data` (possibly empty). An error is
/// a failed authentication: wrong key, nonce, AAD or a corrupted ciphertext.
pub async fn decrypt(key: &CryptoKey, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Result<Vec<u8>> {
    let algorithm = object(&[
        ("name", "AES-GCM".into()),
        ("iv", Uint8Array::from(nonce).into()),
        ("additionalData", Uint8Array::from(aad).into()),
        ("tagLength", JsValue::from_f64(128.0)),
    ])?;
    let plain = settle(
        subtle()?.decrypt_with_object_and_u8_array(&algorithm, key, ciphertext),
        "AES-GCM decryption failed (wrong APIv3 key?)",
    )
    .await?;
    Ok(Uint8Array::new(&plain).to_vec())
}
