//! The Worker's crypto for WeChat Pay, through the runtime's WebCrypto (`crypto.subtle`):
//! RSASSA-PKCS1-v1_5/SHA-256 signing with the merchant key (PKCS#8), verification with a
//! WeChat Pay key (SPKI), and AES-256-GCM decryption with the APIv3 key. Keys are imported
//! non-extractable; inputs and outputs are plain bytes from the pure modules.
//!
//! Imported keys can be cached per isolate by the caller (a `CryptoKey` is reusable); importing
//! costs a fraction of a millisecond, so nothing here caches on its own.

pub use crate::shared::webcrypto::CryptoFailure;
use crate::shared::webcrypto::{import, object, settle, subtle, Result};
use js_sys::{Object, Uint8Array};
use wasm_bindgen::JsValue;
use web_sys::CryptoKey;

fn rsa_algorithm() -> Result<Object> {
    object(&[("name", "RSASSA-PKCS1-v1_5".into()), ("hash", "SHA-256".into())])
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
