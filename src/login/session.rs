//! Login sessions: our own opaque bearer token, and what is stored for it.
//!
//! The token is 256 random bits. KV holds the session under a SHA-256 of the token, and the
//! session_key sealed with AES-256-GCM under a key derived from the token by HKDF-SHA256
//! (`shared::seal`), so a
//! copy of KV yields neither a usable token nor a usable session_key, and a record that was
//! tampered with (or moved to another user) fails to open instead of decrypting to garbage.

use crate::shared::error::{ApiError, ApiResult};
use crate::shared::seal;
pub use crate::shared::seal::NONCE_LEN;
use crate::users::directory::Source;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub const TOKEN_BYTES: usize = 32;
/// base64url of 32 bytes without padding.
pub const TOKEN_LEN: usize = 43;
pub const KV_PREFIX: &str = "session:";
/// HKDF's `info`: the purpose of the derived key, so no other use of the token collides.
const SEAL_INFO: &[u8] = b"wechat-edge/session-key/aes-256-gcm/v2";
/// Marks an AEAD-sealed value; the old keystream format had none and is not opened.
const SEAL_PREFIX: &str = "v2:";

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
            ApiError::unauthorized(
                "missing_token",
                "send the session token as `Authorization: Bearer <token>` (POST /api/login gives one)",
            )
        })?;
        let token = header.strip_prefix("Bearer ").or_else(|| header.strip_prefix("bearer ")).map(str::trim).unwrap_or("");
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

    /// Seals the session_key so only the token's holder can recover it, bound to the user it
    /// belongs to (`aad`: see [`SessionRecord::seal_aad`]). `nonce` is fresh random bytes.
    pub fn seal(&self, session_key: &str, aad: &[u8], nonce: [u8; NONCE_LEN]) -> ApiResult<String> {
        let sealed = seal::seal(self.0.as_bytes(), SEAL_INFO, session_key.as_bytes(), aad, nonce)
            .ok_or_else(|| ApiError::internal("could not seal the session"))?;
        Ok(format!("{SEAL_PREFIX}{}", STANDARD.encode(sealed)))
    }

    /// Opens a sealed session_key. `None` for a record sealed by another token, tampered with,
    /// or in the old (pre-AEAD) format: the caller treats the session as ended.
    pub fn open(&self, sealed: &str, aad: &[u8]) -> Option<String> {
        let bytes = STANDARD.decode(sealed.strip_prefix(SEAL_PREFIX)?).ok()?;
        String::from_utf8(seal::open(self.0.as_bytes(), SEAL_INFO, &bytes, aad)?).ok()
    }
}

/// What KV holds for a session (under [`SessionToken::storage_key`]).
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionRecord {
    pub appid: String,
    pub openid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    /// The session_key sealed by [`SessionToken::seal`]; empty for a web session, which has
    /// none (an official account's web login or scan-to-login).
    #[serde(default)]
    pub sealed_session_key: String,
    pub created_at: u64,
    pub expires_at: u64,
    /// How the session was made (records from before the field are mini-program logins).
    #[serde(default)]
    pub source: Source,
}

impl SessionRecord {
    /// What the seal is bound to: the app and the user, so a sealed key copied into another
    /// user's record does not open.
    pub fn seal_aad(appid: &str, openid: &str) -> Vec<u8> {
        format!("{appid}\n{openid}").into_bytes()
    }

    pub fn source(&self) -> Source {
        self.source
    }
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
mod tests;
