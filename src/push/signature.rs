//! The two push signatures (§8.2, §8.5): `signature` over token, timestamp and nonce, and
//! `msg_signature`, which also covers the `Encrypt` value.

use crate::shared::crypto::sha1_hex_sorted;

/// The `signature` query parameter of every push and of the URL check.
pub fn push_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sha1_hex_sorted(&[token, timestamp, nonce])
}

/// The `msg_signature` of an encrypted push or reply; it covers the `Encrypt` value.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sha1_hex_sorted(&[token, timestamp, nonce, encrypt])
}
