//! The merchant's configuration (wechat-pay.md §1.1), read through the same `lookup(name)` as
//! the rest of the configuration so it is built and tested without the Workers runtime.
//!
//! Vars: `WECHATPAY_MCHID`, `WECHATPAY_CERT_SERIAL`, `WECHATPAY_API_BASE`,
//! `WECHATPAY_PUBLIC_KEY_ID`, `WECHATPAY_TIMESTAMP_WINDOW_SECONDS`. Secrets:
//! `WECHATPAY_PRIVATE_KEY` (PKCS#8 PEM), `WECHATPAY_APIV3_KEY` (32 characters),
//! `WECHATPAY_PUBLIC_KEY` (SPKI PEM). A further app's values carry `_<APPID>` at the end, as
//! its other variables do. Every error is a 500 naming the variable ([`ApiError::config`]),
//! returned only to the pay routes that need it.

use super::der::{check_pkcs8_rsa, check_spki_rsa, pem_to_der};
use crate::shared::error::{ApiError, ApiResult};
use std::fmt;

pub const DEFAULT_PAY_API_BASE: &str = "https://api.mch.weixin.qq.com";
/// `|now − Wechatpay-Timestamp|` must be below this (the SDKs' five minutes, §2.3).
pub const DEFAULT_PAY_WINDOW: u64 = 300;
/// What a WeChat Pay public key id starts with (§1.1); anything else in `Wechatpay-Serial` is
/// a platform certificate serial.
pub const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

/// Key bytes that are never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretBytes(Vec<u8>);

impl SecretBytes {
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SecretBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretBytes({} bytes)", self.0.len())
    }
}

/// The WeChat Pay public key (public-key mode, 微信支付公钥): its id and SPKI DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    pub id: String,
    pub spki: Vec<u8>,
}

/// One merchant (商户号) as configured for an app.
#[derive(Debug, Clone)]
pub struct PayConfig {
    pub mchid: String,
    /// The merchant API certificate's serial (`serial_no` in `Authorization`), upper-case hex.
    pub cert_serial: String,
    /// Without a trailing slash.
    pub api_base: String,
    /// PKCS#8 DER of the merchant API private key, for `importKey("pkcs8")`.
    pub private_key: SecretBytes,
    /// The APIv3 key: its 32 ASCII bytes are the AES-256-GCM key, as they are (§1.1).
    pub apiv3_key: SecretBytes,
    /// Public-key mode; `None` means platform certificates only. Both may be in use at once
    /// during a migration (§1.2): see [`super::verify::KeyRing`].
    pub public_key: Option<PublicKey>,
    /// Seconds; 0 turns the check off (replaying a captured notify).
    pub timestamp_window: u64,
}

impl PayConfig {
    /// Reads the merchant of the app whose variables end in `suffix` (`""` for the default
    /// app, `_<APPID>` for a further one). The first problem found is the error.
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>, suffix: &str) -> ApiResult<PayConfig> {
        let name = |base: &str| format!("{base}{suffix}");
        let get = |base: &str| lookup(&name(base)).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let required = |base: &str| get(base).ok_or_else(|| ApiError::config(&name(base), "is not set"));

        let mchid = required("WECHATPAY_MCHID")?;
        if mchid.len() > 32 || !mchid.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ApiError::config(&name("WECHATPAY_MCHID"), "must be the merchant number (商户号): digits only"));
        }
        let cert_serial = required("WECHATPAY_CERT_SERIAL")?.to_ascii_uppercase();
        if cert_serial.len() > 64 || !cert_serial.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ApiError::config(
                &name("WECHATPAY_CERT_SERIAL"),
                "must be the merchant API certificate's serial in hex (openssl x509 -noout -serial -in apiclient_cert.pem)",
            ));
        }
        let api_base = match get("WECHATPAY_API_BASE") {
            None => DEFAULT_PAY_API_BASE.to_owned(),
            Some(url) if url.starts_with("https://") || url.starts_with("http://") => url.trim_end_matches('/').to_owned(),
            Some(_) => return Err(ApiError::config(&name("WECHATPAY_API_BASE"), "must be an http(s) URL")),
        };
        let private_key = pem_to_der(&required("WECHATPAY_PRIVATE_KEY")?, "PRIVATE KEY")
            .and_then(|der| check_pkcs8_rsa(&der).map(|()| der))
            .map_err(|e| {
                let hint = " (apiclient_key.pem; a BEGIN RSA PRIVATE KEY file converts with openssl pkcs8 -topk8 -nocrypt)";
                ApiError::config(&name("WECHATPAY_PRIVATE_KEY"), &format!("{e}{hint}"))
            })?;
        let apiv3_key = required("WECHATPAY_APIV3_KEY")?;
        if apiv3_key.len() != 32 || !apiv3_key.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::config(
                &name("WECHATPAY_APIV3_KEY"),
                &format!("must be exactly 32 ASCII characters, used as they are (found {} bytes)", apiv3_key.len()),
            ));
        }
        let public_key = match (get("WECHATPAY_PUBLIC_KEY_ID"), get("WECHATPAY_PUBLIC_KEY")) {
            (None, None) => None,
            (Some(_), None) => {
                return Err(ApiError::config(&name("WECHATPAY_PUBLIC_KEY"), "is not set, but WECHATPAY_PUBLIC_KEY_ID is"))
            }
            (None, Some(_)) => {
                return Err(ApiError::config(&name("WECHATPAY_PUBLIC_KEY_ID"), "is not set, but WECHATPAY_PUBLIC_KEY is"))
            }
            (Some(id), Some(pem)) => {
                let rest = id.strip_prefix(PUBLIC_KEY_ID_PREFIX).unwrap_or("");
                if rest.is_empty() || rest.len() > 64 || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    return Err(ApiError::config(&name("WECHATPAY_PUBLIC_KEY_ID"), "must be PUB_KEY_ID_ followed by digits"));
                }
                let spki = pem_to_der(&pem, "PUBLIC KEY").and_then(|der| check_spki_rsa(&der).map(|()| der)).map_err(|e| {
                    ApiError::config(&name("WECHATPAY_PUBLIC_KEY"), &format!("{e} (pub_key.pem from the merchant platform)"))
                })?;
                Some(PublicKey { id, spki })
            }
        };
        let timestamp_window = match get("WECHATPAY_TIMESTAMP_WINDOW_SECONDS") {
            None => DEFAULT_PAY_WINDOW,
            Some(v) => v.parse::<u64>().map_err(|_| {
                ApiError::config(&name("WECHATPAY_TIMESTAMP_WINDOW_SECONDS"), "must be a whole number of seconds")
            })?,
        };
        Ok(PayConfig {
            mchid,
            cert_serial,
            api_base,
            private_key: SecretBytes(private_key),
            apiv3_key: SecretBytes(apiv3_key.into_bytes()),
            public_key,
            timestamp_window,
        })
    }

    /// The APIv3 key as the fixed-size AES-256 key.
    pub fn aes_key(&self) -> [u8; 32] {
        let mut key = [0u8; 32];
        // from_lookup guarantees 32 bytes; were it not, the key would be wrong, never a panic.
        if let Some(bytes) = self.apiv3_key.expose().get(..32) {
            key.copy_from_slice(bytes);
        }
        key
    }
}

#[cfg(test)]
mod tests;
