//! Login sessions: our own opaque bearer token, and what is stored for it.
//!
//! The token is 256 random bits. KV holds the session under a SHA-256 of the token, and the
//! session_key sealed with a keystream derived from the token, so a copy of KV yields neither
//! a usable token nor a usable session_key.

use crate::error::{ApiError, ApiResult};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const TOKEN_BYTES: usize = 32;
/// base64url of 32 bytes without padding.
pub const TOKEN_LEN: usize = 43;
pub const KV_PREFIX: &str = "session:";
const SEAL_DOMAIN: &[u8] = b"wechat-edge/session-key/v1\0";

/// A session token as the client holds it. Its `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct SessionToken(String);

impl std::fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

impl SessionToken {
    pub fn from_random(random: [u8; TOKEN_BYTES]) -> SessionToken {
        SessionToken(URL_SAFE_NO_PAD.encode(random))
    }

    /// Parses `Authorization: Bearer <token>`; any other shape is a 401 the client can act on.
    pub fn from_authorization(header: Option<&str>) -> ApiResult<SessionToken> {
        let header = header.ok_or_else(|| {
            ApiError::unauthorized("missing_token", "send the session token as `Authorization: Bearer <token>` (POST /api/login gives one)")
        })?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .unwrap_or("");
        let well_formed = token.len() == TOKEN_LEN
            && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && URL_SAFE_NO_PAD.decode(token).map(|b| b.len() == TOKEN_BYTES).unwrap_or(false);
        if !well_formed {
            return Err(ApiError::unauthorized("malformed_token", "the session token is malformed: log in again"));
        }
        Ok(SessionToken(token.to_owned()))
    }

    /// The value to give the client, once, at login.
    pub fn reveal(&self) -> &str {
        &self.0
    }

    /// The KV key: a hash of the token, never the token.
    pub fn storage_key(&self) -> String {
        format!("{KV_PREFIX}{}", hex::encode(Sha256::digest(self.0.as_bytes())))
    }

    fn keystream(&self, len: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(len + 32);
        let mut counter: u32 = 0;
        while out.len() < len {
            let mut h = Sha256::new();
            h.update(SEAL_DOMAIN);
            h.update(self.0.as_bytes());
            h.update(counter.to_be_bytes());
            out.extend_from_slice(&h.finalize());
            counter = counter.wrapping_add(1);
        }
        out.truncate(len);
        out
    }

    /// Seals the session_key so only the token's holder can recover it. Each token seals one
    /// value, so the keystream is never reused.
    pub fn seal(&self, session_key: &str) -> String {
        let ks = self.keystream(session_key.len());
        let sealed: Vec<u8> = session_key.bytes().zip(ks).map(|(a, b)| a ^ b).collect();
        STANDARD.encode(sealed)
    }

    pub fn open(&self, sealed: &str) -> ApiResult<String> {
        let bytes = STANDARD.decode(sealed).map_err(|_| ApiError::internal("a stored session is corrupt"))?;
        let ks = self.keystream(bytes.len());
        let plain: Vec<u8> = bytes.iter().zip(ks).map(|(a, b)| a ^ b).collect();
        String::from_utf8(plain).map_err(|_| ApiError::internal("a stored session is corrupt"))
    }
}

/// What KV holds for a session (under [`SessionToken::storage_key`]).
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub appid: String,
    pub openid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    /// The session_key sealed by [`SessionToken::seal`].
    pub sealed_session_key: String,
    pub created_at: u64,
    pub expires_at: u64,
}

/// The `code` from `wx.login` (or a phone-number button), checked before WeChat sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WxCode(String);

impl WxCode {
    pub const MAX_LEN: usize = 128;

    pub fn parse(value: Option<&serde_json::Value>) -> ApiResult<WxCode> {
        let code = match value {
            None | Some(serde_json::Value::Null) => return Err(ApiError::invalid_field("code", "is required")),
            Some(serde_json::Value::String(s)) => s,
            Some(_) => return Err(ApiError::invalid_field("code", "must be a string")),
        };
        if code.is_empty() {
            return Err(ApiError::invalid_field("code", "must not be empty"));
        }
        if code.len() > Self::MAX_LEN {
            return Err(ApiError::invalid_field("code", "is too long (128 characters at most)"));
        }
        if !code.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::invalid_field("code", "must be printable ASCII without spaces"));
        }
        Ok(WxCode(code.clone()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token() -> SessionToken {
        SessionToken::from_random([7u8; 32])
    }

    #[test]
    fn a_token_round_trips_through_the_authorization_header() {
        let t = token();
        assert_eq!(t.reveal().len(), TOKEN_LEN);
        let parsed = SessionToken::from_authorization(Some(&format!("Bearer {}", t.reveal()))).unwrap();
        assert_eq!(parsed, t);
    }

    #[test]
    fn malformed_headers_are_401s_with_a_code_to_act_on() {
        assert_eq!(SessionToken::from_authorization(None).unwrap_err().code, "missing_token");
        for bad in ["Basic abc", "Bearer ", "Bearer short", &format!("Bearer {}!", &token().reveal()[1..])] {
            let e = SessionToken::from_authorization(Some(bad)).unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (401, "malformed_token"), "{bad}");
        }
    }

    #[test]
    fn the_storage_key_does_not_contain_the_token() {
        let t = token();
        let key = t.storage_key();
        assert!(key.starts_with(KV_PREFIX) && !key.contains(t.reveal()));
        assert_eq!(key.len(), KV_PREFIX.len() + 64);
    }

    #[test]
    fn a_sealed_session_key_opens_only_with_its_token() {
        let t = token();
        let sealed = t.seal("tiihtNczf5v6AKRyjwEUhQ==");
        assert!(!sealed.contains("tiihtNczf5v6AKRyjwEUhQ=="));
        assert_eq!(t.open(&sealed).unwrap(), "tiihtNczf5v6AKRyjwEUhQ==");
        let other = SessionToken::from_random([8u8; 32]);
        assert_ne!(other.open(&sealed).ok().as_deref(), Some("tiihtNczf5v6AKRyjwEUhQ=="));
    }

    #[test]
    fn login_codes_are_checked_before_wechat_sees_them() {
        assert!(WxCode::parse(Some(&json!("0a3Xyz"))).is_ok());
        assert_eq!(WxCode::parse(None).unwrap_err().message, "`code` is required");
        assert_eq!(WxCode::parse(Some(&json!(12))).unwrap_err().message, "`code` must be a string");
        assert!(WxCode::parse(Some(&json!(""))).is_err());
        assert!(WxCode::parse(Some(&json!("a".repeat(129)))).is_err());
        assert!(WxCode::parse(Some(&json!("a b"))).is_err());
    }
}
