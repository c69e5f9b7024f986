//! The two push signatures (wechat-api.md §8.2, §8.3, §8.5): `signature` over the token,
//! timestamp and nonce, and `msg_signature` over those and `Encrypt` — each the lowercase hex
//! sha1 of the parts sorted byte-wise and joined without a separator.

use sha1::{Digest, Sha1};

/// hex(sha1(concat(sorted(parts)))).
pub fn sha1_sorted(parts: &[&str]) -> String {
    let mut sorted = parts.to_vec();
    // WeChat sorts the strings themselves (Python's `sort()` in the official sample), which for
    // UTF-8 is byte order.
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// `signature` of every push and of the URL check.
pub fn push_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sha1_sorted(&[token, timestamp, nonce])
}

/// `msg_signature` of an encrypted push, and `MsgSignature` of an encrypted reply.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sha1_sorted(&[token, timestamp, nonce, encrypt])
}

/// Compares two hex signatures without stopping at the first difference (a receiver that
/// compares early-out leaks how much of a forgery was right), case-insensitively.
pub fn same_hex(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase()));
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_of_the_parts_does_not_matter() {
        assert_eq!(sha1_sorted(&["b", "a", "c"]), sha1_sorted(&["c", "b", "a"]));
        // sha1("abc"), a well-known digest.
        assert_eq!(sha1_sorted(&["c", "a", "b"]), "a9993e364706816aba3e25717850c26c9cd0d89d");
    }

    #[test]
    fn same_hex_ignores_case_and_refuses_other_lengths() {
        assert!(same_hex("ab01", "AB01"));
        assert!(!same_hex("ab01", "ab02"));
        assert!(!same_hex("ab01", "ab0"));
    }
}
