//! A login that survives a retry (issue 16): WeChat answers a `wx.login` code once, so a
//! retried or concurrent `POST /api/login` with the same code would get 40163 and the user a
//! 401. Instead one login object per code (named by a hash of app and code) makes the one
//! `jscode2session` call and keeps its answer for [`REPLAY_SECS`], sealed under a key derived
//! from the code itself: only a caller presenting the same code can read it back, and storage
//! never holds the session token in the clear.

use crate::shared::objects::ObjectCall;
use crate::shared::seal;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// How long an exchanged code answers with its session: WeChat's codes live 5 minutes.
pub const REPLAY_SECS: u64 = 300;
const SEAL_INFO: &[u8] = b"wechat-edge/login-replay/aes-256-gcm/v1";

/// Exchange a `wx.login` code for a session, once.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Exchange {
    pub appid: String,
    pub code: String,
}

/// What `/api/login` answers (besides `expires_in`, computed from `expires_at` when answered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAnswer {
    pub token: String,
    pub openid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unionid: Option<String>,
    pub expires_at: u64,
    /// The app the session is for (answers kept before the field have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
}

impl LoginAnswer {
    /// The answer's JSON: `{"token", "openid", "unionid"?, "appid"?, "expires_in"}`. The
    /// session may have been made (in a Durable Object) a second after the request began, so
    /// its life is counted from `now`, the clock when answered: never longer than the TTL.
    pub fn to_json(&self, now: u64) -> serde_json::Value {
        let mut out = serde_json::json!({
            "token": self.token,
            "openid": self.openid,
            "expires_in": self.expires_at.saturating_sub(now),
        });
        if let Some(u) = &self.unionid {
            out["unionid"] = serde_json::json!(u);
        }
        if let Some(a) = &self.appid {
            out["appid"] = serde_json::json!(a);
        }
        out
    }
}

impl ObjectCall for Exchange {
    type Answer = LoginAnswer;
    const NAME: &'static str = "exchange";
}

/// The login object of a code: a hash, so the code never names storage.
pub fn object_name(appid: &str, code: &str) -> String {
    hex::encode(Sha256::digest(format!("{appid}\n{code}").as_bytes()))
}

/// A sealed answer as the object stores it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredAnswer {
    pub sealed: String,
    pub stored_at: u64,
}

impl StoredAnswer {
    pub fn seal(exchange: &Exchange, answer: &LoginAnswer, now: u64, nonce: [u8; seal::NONCE_LEN]) -> Option<StoredAnswer> {
        let plain = serde_json::to_vec(answer).ok()?;
        let sealed = seal::seal(exchange.code.as_bytes(), SEAL_INFO, &plain, exchange.appid.as_bytes(), nonce)?;
        Some(StoredAnswer { sealed: STANDARD.encode(sealed), stored_at: now })
    }

    /// The answer, while it may still be replayed, for the same app and code.
    pub fn open(&self, exchange: &Exchange, now: u64) -> Option<LoginAnswer> {
        if !self.replayable(now) {
            return None;
        }
        let sealed = STANDARD.decode(&self.sealed).ok()?;
        let plain = seal::open(exchange.code.as_bytes(), SEAL_INFO, &sealed, exchange.appid.as_bytes())?;
        serde_json::from_slice(&plain).ok()
    }

    pub fn replayable(&self, now: u64) -> bool {
        now < self.stored_at.saturating_add(REPLAY_SECS)
    }
}

#[cfg(test)]
mod tests;
