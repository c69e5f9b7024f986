//! The push ledger's pure part: the claim call (one request type, one answer type, shared by
//! the handler and the ledger object), which shard holds a key, and how the outbox retries.

use crate::push::rules::Action;
use crate::shared::objects::ObjectCall;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The ledger's Durable Object binding.
pub const BINDING: &str = "PUSH_DO";
/// Ledger objects per app: a burst of pushes spreads over them instead of queueing on one.
pub const SHARDS: u8 = 8;
/// Claims are kept a day: far beyond WeChat's three deliveries within seconds.
pub const CLAIM_TTL_SECS: i64 = 24 * 3600;
/// Attempts per action before it is dropped (and logged).
pub const MAX_ATTEMPTS: i64 = 5;

/// Claims a push's dedupe key and, for the first claim only, queues its actions in the
/// durable outbox, in one synchronous step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claim {
    pub appid: String,
    pub key: String,
    #[serde(default)]
    pub actions: Vec<Action>,
}

/// Whether this delivery was the first: a redelivery gets the same reply and no side effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claimed {
    pub first: bool,
}

impl ObjectCall for Claim {
    type Answer = Claimed;
    const NAME: &'static str = "claim";
}

/// The ledger object that holds `key` for `appid`: the same key always lands on the same one.
pub fn shard_name(appid: &str, key: &str) -> String {
    let shard = Sha256::digest(key.as_bytes()).first().copied().unwrap_or(0) % SHARDS;
    format!("{appid}:{shard}")
}

/// Seconds before the next attempt of an action that failed `attempts` times (10 s, 20 s,
/// 40 s … capped at about 21 minutes).
pub fn retry_delay_secs(attempts: i64) -> i64 {
    5i64 << attempts.clamp(1, 8)
}

#[cfg(test)]
mod tests;
