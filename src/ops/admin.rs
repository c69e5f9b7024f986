//! The status page's session (pure): `POST /admin/login` trades the internal key for a cookie
//! that carries only an expiry and an HMAC under a key derived from the internal key (HKDF), so
//! the key itself never travels again, never appears in a URL, and a changed key ends every
//! page session.

use crate::shared::crypto::hex_eq;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const COOKIE: &str = "wechat_edge_admin";
/// A page session lasts an hour.
pub const SESSION_SECS: u64 = 3600;
const KEY_INFO: &[u8] = b"wechat-edge/admin-session/hmac-sha256/v1";

fn mac(internal_key: &str, expires_at: u64) -> String {
    let mut key = [0u8; 32];
    let _ = Hkdf::<Sha256>::new(None, internal_key.as_bytes()).expand(KEY_INFO, &mut key);
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).expect("HMAC takes keys of any length");
    mac.update(expires_at.to_string().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// The cookie's value for a session ending at `expires_at`.
pub fn session_value(internal_key: &str, expires_at: u64) -> String {
    format!("{expires_at}.{}", mac(internal_key, expires_at))
}

/// Whether a cookie value is a live session (MAC compared in constant time).
pub fn session_valid(internal_key: &str, value: &str, now: u64) -> bool {
    let Some((expiry, given)) = value.split_once('.') else { return false };
    let Ok(expires_at) = expiry.parse::<u64>() else { return false };
    now < expires_at && expires_at <= now + SESSION_SECS && hex_eq(&mac(internal_key, expires_at), given)
}

/// A cookie's value from a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests;
