//! The sessions of one user, in strongly consistent storage (issue 20, items 3 and 7): KV
//! serves the session records, but KV takes up to a minute to forget a deleted one in other
//! locations, so whether a session is still live is asked of the user's sessions object (one
//! per app and openid). Logging out, or revoking every session of a user, takes effect at once
//! everywhere; the object also counts a session's failed open-data decryptions.

use crate::shared::objects::ObjectCall;
use serde::{Deserialize, Serialize};

/// The Durable Object binding of the users' sessions objects.
pub const BINDING: &str = "SESSIONS_DO";
/// Failed decryptions a session may cause before it is refused outright: honest clients fail
/// once when the session_key rotated; a padding-oracle attack needs thousands.
pub const DECRYPT_FAILURE_LIMIT: u32 = 5;

/// The sessions object of a user.
pub fn object_name(appid: &str, openid: &str) -> String {
    format!("{appid}:{openid}")
}

/// A new session (its storage key, never the token) until `expires_at`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Register {
    pub session: String,
    pub expires_at: u64,
}

/// Whether a session is live, and its failed decryptions so far.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub session: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub live: bool,
    pub decrypt_failures: u32,
}

/// Ends one session (logout).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Revoke {
    pub session: String,
}

/// Ends every session of the user; answers how many were live.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevokeAll {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Revoked {
    pub revoked: u32,
}

/// Counts a failed decryption; answers the new count.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DecryptFailed {
    pub session: String,
}

impl ObjectCall for Register {
    type Answer = SessionState;
    const NAME: &'static str = "register";
}

impl ObjectCall for Check {
    type Answer = SessionState;
    const NAME: &'static str = "check";
}

impl ObjectCall for Revoke {
    type Answer = Revoked;
    const NAME: &'static str = "revoke";
}

impl ObjectCall for RevokeAll {
    type Answer = Revoked;
    const NAME: &'static str = "revoke_all";
}

impl ObjectCall for DecryptFailed {
    type Answer = SessionState;
    const NAME: &'static str = "decrypt_failed";
}

impl SessionState {
    /// Whether a decryption may still be tried with this session.
    pub fn may_decrypt(&self) -> bool {
        self.live && self.decrypt_failures < DECRYPT_FAILURE_LIMIT
    }
}

#[cfg(test)]
mod tests;
