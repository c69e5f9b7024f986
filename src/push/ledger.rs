//! The push ledger's pure part: the claim call (one request type, one answer type, shared by
//! the handler and the ledger object), which shard holds a key, and the outbox's policy: an
//! attempt is recorded before it runs, so a completed action is never re-run in a loop, and an
//! action that may have run is retried only when running it twice is harmless.

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

/// Every ledger object of `appid`.
pub fn shard_names(appid: &str) -> impl Iterator<Item = String> + '_ {
    (0..SHARDS).map(move |shard| format!("{appid}:{shard}"))
}

/// Seconds before the next attempt of an action that failed `attempts` times (10 s, 20 s,
/// 40 s … capped at about 21 minutes).
pub fn retry_delay_secs(attempts: i64) -> i64 {
    5i64 << attempts.clamp(1, 8)
}

/// How an outbox action's attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Done,
    /// Nothing happened at the other end (WeChat busy, 5xx, the webhook unreachable).
    Retry(String),
    /// The other end may have acted (no answer in time).
    Unknown(String),
    /// Not worth retrying (outside the service window, quota used, a bad openid).
    Failed(String),
}

/// What the outbox does with a row next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Run it (again).
    Run,
    /// Delete it: done.
    Delete,
    /// Leave it pending for a later attempt.
    RetryLater,
    /// Keep it as `uncertain`: it may have run, and running it again could do it twice.
    Uncertain(String),
    /// Keep it as `failed`, for the operator.
    Fail(String),
}

/// Whether running `action` twice does no harm at the other end: a forward carries its dedupe
/// key and receivers dedupe by it; a customer-service message would reach the user twice.
pub fn is_idempotent(action: &Action) -> bool {
    // A directory update and a scan's completion land the same way twice (the scan object
    // ignores a second scan); a shipping event is appended to its order only if the order does
    // not hold that event (CreateTime and Event) already.
    matches!(action, Action::Forward { .. } | Action::Follow { .. } | Action::ScanLogin { .. } | Action::TradeManage { .. })
}

/// Before an attempt: a row whose last attempt started but recorded no outcome (the isolate
/// died mid-send, or the outcome could not be written) may have run already.
pub fn before_attempt(started_earlier: bool, idempotent: bool) -> Next {
    match (started_earlier, idempotent) {
        (true, false) => Next::Uncertain("an earlier attempt started and recorded no outcome".into()),
        _ => Next::Run,
    }
}

/// After an attempt (the `attempts`-th): what becomes of the row.
pub fn after_attempt(outcome: Outcome, attempts: i64, idempotent: bool) -> Next {
    match outcome {
        Outcome::Done => Next::Delete,
        Outcome::Retry(_) if attempts < MAX_ATTEMPTS => Next::RetryLater,
        Outcome::Unknown(_) if idempotent && attempts < MAX_ATTEMPTS => Next::RetryLater,
        Outcome::Unknown(reason) if !idempotent => Next::Uncertain(reason),
        Outcome::Retry(reason) | Outcome::Unknown(reason) => Next::Fail(format!("gave up after {attempts} attempts: {reason}")),
        Outcome::Failed(reason) => Next::Fail(reason),
    }
}

/// How many of a ledger's outbox actions are in each state, for `/internal/token/status`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxCounts {
    pub pending: u64,
    pub uncertain: u64,
    pub failed: u64,
}

impl OutboxCounts {
    pub fn add(&mut self, other: OutboxCounts) {
        self.pending += other.pending;
        self.uncertain += other.uncertain;
        self.failed += other.failed;
    }
}

/// The outbox counts of one ledger shard.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GetOutbox {}

impl ObjectCall for GetOutbox {
    type Answer = OutboxCounts;
    const NAME: &'static str = "outbox";
}

#[cfg(test)]
mod tests;
