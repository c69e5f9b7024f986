//! Every signature WeChat uses, as lowercase hex, and the constant-time comparison to check them.

use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// `hex(sha1(concat(sort(parts))))`: the shape of both push signatures (§8.2, §8.5).
///
/// The sort is by bytes, which equals WeChat's lexicographic order for the ASCII values it signs.
pub fn sha1_hex_sorted(parts: &[&str]) -> String {
    // Both push signatures sort 3 or 4 parts: sort them on the stack.
    let mut buf = [""; 4];
    let mut heap;
    let sorted: &mut [&str] = match buf.get_mut(..parts.len()) {
        Some(slots) => {
            slots.copy_from_slice(parts);
            slots
        }
        None => {
            heap = parts.to_vec();
            &mut heap
        }
    };
    sorted.sort_unstable();
    let mut hasher = Sha1::new();
    for part in sorted.iter() {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// The `signature` query parameter of every push and of the URL check.
pub fn push_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sha1_hex_sorted(&[token, timestamp, nonce])
}

/// The `msg_signature` of an encrypted push or reply; it covers the `Encrypt` value.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sha1_hex_sorted(&[token, timestamp, nonce, encrypt])
}

/// `hex(sha1(rawData + session_key))`, with the session_key as its base64 text (§6).
pub fn raw_data_signature(raw_data: &str, session_key: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(raw_data.as_bytes());
    hasher.update(session_key.as_bytes());
    hex::encode(hasher.finalize())
}

/// `hex(HMAC-SHA256(key = session_key text, message))`: the user-state signature of
/// `checksession` / `resetusersessionkey` (which sign the empty message).
pub fn session_signature(session_key: &str, message: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(session_key.as_bytes()) else {
        // HMAC takes keys of any length (long ones are hashed), so this cannot happen; an empty
        // result never verifies because `hex_eq` refuses an empty expected value.
        return String::new();
    };
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares a computed hex signature with one from a request in constant time.
///
/// `given` may use either case (some SDKs send uppercase hex). Lengths are public, so a length
/// mismatch returns early; an empty `expected` never matches, so a failed computation cannot
/// turn into "any empty signature is valid".
pub fn hex_eq(expected: &str, given: &str) -> bool {
    if expected.is_empty() || expected.len() != given.len() {
        return false;
    }
    // Fold the differences into one byte (no branch on the data), then one constant-time test.
    let diff = expected
        .bytes()
        .zip(given.bytes())
        .fold(0u8, |acc, (a, b)| acc | (a.to_ascii_lowercase() ^ b.to_ascii_lowercase()));
    diff.ct_eq(&0).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorting_makes_the_signature_independent_of_argument_order() {
        assert_eq!(
            sha1_hex_sorted(&["b", "a", "c"]),
            sha1_hex_sorted(&["c", "b", "a"])
        );
        assert_eq!(
            sha1_hex_sorted(&["abc"]),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
    }

    #[test]
    fn an_uppercase_signature_is_accepted() {
        let sig = push_signature("spamtest", "1409735669", "1320562132");
        assert!(hex_eq(&sig, &sig.to_ascii_uppercase()));
    }

    #[test]
    fn a_signature_of_another_length_or_value_is_rejected() {
        let sig = push_signature("spamtest", "1409735669", "1320562132");
        assert!(!hex_eq(&sig, &sig[..39]));
        assert!(!hex_eq(&sig, ""));
        assert!(!hex_eq(
            &sig,
            &push_signature("spamtest", "1409735669", "1")
        ));
    }

    #[test]
    fn an_empty_expected_signature_never_matches() {
        assert!(!hex_eq("", ""));
    }
}
