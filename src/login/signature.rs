//! The signatures of login data (§6, §4): rawData's SHA-1 and the session HMAC.

use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;

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
