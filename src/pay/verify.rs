//! Checking what WeChat Pay signed (wechat-pay.md §1.2, §2.3): the `Wechatpay-*` headers of an
//! answer or a notify, the timestamp window, signature probes, the message
//! `TIMESTAMP\nNONCE\nBODY\n` over the raw body, and which key `Wechatpay-Serial` names.
//! The RSA check itself is the caller's (WebCrypto `verify` with the SPKI this picks).

use super::config::{PayConfig, PUBLIC_KEY_ID_PREFIX};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt;

/// Probes WeChat sends on purpose, to check merchants verify: always a failed verification (§2.3).
pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

/// Why a signed answer or notify was refused. Every one of them means "do not trust the body";
/// for a notify, [`super::notify::NotifyReply::refuse`] turns it into the retry answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    /// A `Wechatpay-*` header is missing (named) or empty.
    MissingHeader(&'static str),
    /// `Wechatpay-Timestamp` is not Unix seconds.
    BadTimestamp,
    /// Outside the window: `|now − timestamp|` in seconds.
    Stale { skew: u64 },
    /// A `WECHATPAY/SIGNTEST/` probe.
    Probe,
    /// `Wechatpay-Signature` is not base64 of an RSA-2048 signature.
    BadSignatureEncoding,
    /// `Wechatpay-Serial` names no key we hold: not a reason to try every key (§1.2).
    UnknownSerial(String),
    /// The RSA check failed.
    BadSignature,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VerifyError::MissingHeader(name) => write!(f, "the {name} header is missing"),
            VerifyError::BadTimestamp => f.write_str("Wechatpay-Timestamp is not a Unix time in seconds"),
            VerifyError::Stale { skew } => write!(f, "Wechatpay-Timestamp is {skew} s away from now (stale or replayed)"),
            VerifyError::Probe => f.write_str("a signature probe (WECHATPAY/SIGNTEST/): refused as WeChat Pay expects"),
            VerifyError::BadSignatureEncoding => f.write_str("Wechatpay-Signature is not base64 of an RSA-2048 signature"),
            VerifyError::UnknownSerial(serial) => write!(f, "Wechatpay-Serial {serial} names no key we hold"),
            VerifyError::BadSignature => f.write_str("the signature does not verify"),
        }
    }
}

impl std::error::Error for VerifyError {}

/// The four headers, as sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl SignedHeaders {
    /// Reads them through `header(name)` (case-insensitive in the caller, as HTTP is).
    pub fn read(header: &dyn Fn(&str) -> Option<String>) -> Result<SignedHeaders, VerifyError> {
        let get = |name: &'static str| {
            header(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()).ok_or(VerifyError::MissingHeader(name))
        };
        Ok(SignedHeaders {
            timestamp: get("Wechatpay-Timestamp")?,
            nonce: get("Wechatpay-Nonce")?,
            signature: get("Wechatpay-Signature")?,
            serial: get("Wechatpay-Serial")?,
        })
    }

    /// The timestamp, if within `window` seconds of `now` either way (0 turns the check off):
    /// the SDKs refuse `|now − ts| ≥ 300`.
    pub fn check_fresh(&self, now: u64, window: u64) -> Result<u64, VerifyError> {
        let ts = match self.timestamp.parse::<u64>() {
            Ok(ts) if self.timestamp.bytes().all(|b| b.is_ascii_digit()) => ts,
            _ => return Err(VerifyError::BadTimestamp),
        };
        let skew = now.abs_diff(ts);
        if window > 0 && skew >= window {
            return Err(VerifyError::Stale { skew });
        }
        Ok(ts)
    }

    /// The decoded signature: a probe or anything that is not base64 of 256 bytes is refused
    /// here, before any key is touched.
    pub fn signature_bytes(&self) -> Result<Vec<u8>, VerifyError> {
        if self.signature.starts_with(PROBE_PREFIX) {
            return Err(VerifyError::Probe);
        }
        match STANDARD.decode(&self.signature) {
            Ok(bytes) if bytes.len() == 256 => Ok(bytes),
            _ => Err(VerifyError::BadSignatureEncoding),
        }
    }

    /// What was signed: `TIMESTAMP\nNONCE\nBODY\n` over the raw body bytes (§2.3).
    pub fn message(&self, body: &[u8]) -> Vec<u8> {
        verification_message(&self.timestamp, &self.nonce, body)
    }
}

/// `TIMESTAMP\nNONCE\nBODY\n`; an empty body (a 204) gives `TIMESTAMP\nNONCE\n\n`. Bytes, not
/// text: never re-serialise or re-decode the body (§11's most common failure).
pub fn verification_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    for part in [timestamp.as_bytes(), b"\n", nonce.as_bytes(), b"\n", body, b"\n"] {
        message.extend_from_slice(part);
    }
    message
}

/// Which kind of key verified a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// The WeChat Pay public key (`PUB_KEY_ID_…`).
    PublicKey,
    /// A platform certificate (40 hex digits).
    Certificate,
}

/// The keys we trust, by the name `Wechatpay-Serial` gives them: the public key and any
/// number of platform certificates, both at once during a migration (§1.2).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRing {
    keys: Vec<(String, KeyKind, Vec<u8>)>,
}

impl KeyRing {
    /// The public key of the configuration, if public-key mode is configured.
    pub fn from_config(config: &PayConfig) -> KeyRing {
        let mut ring = KeyRing::default();
        if let Some(key) = &config.public_key {
            ring.add(&key.id, KeyKind::PublicKey, key.spki.clone());
        }
        ring
    }

    /// Adds (or replaces) a key. Certificate serials are kept upper-case: hex is case-blind.
    pub fn add(&mut self, name: &str, kind: KeyKind, spki: Vec<u8>) {
        let name = normalise(name);
        self.keys.retain(|(n, _, _)| *n != name);
        self.keys.push((name, kind, spki));
    }

    /// The SPKI DER of the key `serial` names, for `importKey("spki")`. A `PUB_KEY_ID_` name
    /// is only ever the public key; anything else only ever a certificate.
    pub fn select(&self, serial: &str) -> Result<(KeyKind, &[u8]), VerifyError> {
        let name = normalise(serial);
        let wanted = if name.starts_with(PUBLIC_KEY_ID_PREFIX) { KeyKind::PublicKey } else { KeyKind::Certificate };
        self.keys
            .iter()
            .find(|(n, kind, _)| *n == name && *kind == wanted)
            .map(|(_, kind, spki)| (*kind, spki.as_slice()))
            .ok_or_else(|| VerifyError::UnknownSerial(serial.chars().filter(char::is_ascii_alphanumeric).take(64).collect()))
    }

    /// The names held, for a status page.
    pub fn names(&self) -> Vec<(&str, KeyKind)> {
        self.keys.iter().map(|(n, k, _)| (n.as_str(), *k)).collect()
    }

    /// The name to send in our requests' `Wechatpay-Serial`, so answers come signed by a key we
    /// hold: the public key's id when we have it (§1.2, "migration"), else nothing.
    pub fn request_serial(&self) -> Option<&str> {
        self.keys.iter().find(|(_, kind, _)| *kind == KeyKind::PublicKey).map(|(n, _, _)| n.as_str())
    }
}

fn normalise(name: &str) -> String {
    let name = name.trim();
    if name.starts_with(PUBLIC_KEY_ID_PREFIX) {
        name.to_owned()
    } else {
        name.to_ascii_uppercase()
    }
}

#[cfg(test)]
mod tests;
