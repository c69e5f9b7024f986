//! The two push signatures (§8.2, §8.5): `signature` over token, timestamp and nonce, and
//! `msg_signature`, which also covers the `Encrypt` value.

use crate::push::engine::{now_or_never, sorted_sha1_hex, Software};

/// The `signature` query parameter of every push and of the URL check.
pub fn push_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    software(&[token, timestamp, nonce])
}

/// The `msg_signature` of an encrypted push or reply; it covers the `Encrypt` value.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    software(&[token, timestamp, nonce, encrypt])
}

/// Software SHA-1 cannot fail or wait; the fallback only keeps these functions total.
fn software(parts: &[&str]) -> String {
    now_or_never(sorted_sha1_hex(&Software, parts)).and_then(Result::ok).unwrap_or_default()
}
