//! When an access_token may be handed out, when it is due for an active refresh, and how
//! failed refreshes back off. Pure: times are unix seconds passed in.
//!
//! Two margins, because WeChat's tokens are not all two hours long: `stable_token` can answer
//! with `expires_in` as low as 300. A token is *servable* until `expires_at - safety`, and
//! *due* for refresh at `expires_at - refresh_margin`, but never before half its life, so a
//! token shorter than the margin is refreshed once per half-life, not on every read.

use serde::{Deserialize, Serialize};

pub use crate::shared::config::TokenPolicy;

/// A token as the Durable Object stores it and KV caches it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredToken {
    pub access_token: String,
    pub fetched_at: u64,
    pub expires_at: u64,
}

impl std::fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredToken")
            .field("access_token", &"***")
            .field("fetched_at", &self.fetched_at)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// Serve it; nothing to do.
    Fresh,
    /// Serve it, but an active refresh is due.
    Due,
    /// Do not serve it: refresh first.
    Unusable,
}

impl StoredToken {
    pub fn new(access_token: String, now: u64, expires_in: u64) -> StoredToken {
        StoredToken { access_token, fetched_at: now, expires_at: now.saturating_add(expires_in) }
    }

    fn lifetime(&self) -> u64 {
        self.expires_at.saturating_sub(self.fetched_at)
    }

    /// The safety margin actually applied: a quarter of a short token's life at most, so a
    /// 300 s token is still served for 225 s.
    fn safety(&self, policy: &TokenPolicy) -> u64 {
        policy.safety_margin.min(self.lifetime() / 4)
    }

    /// Until when (exclusive) the token may be handed out.
    pub fn servable_until(&self, policy: &TokenPolicy) -> u64 {
        self.expires_at.saturating_sub(self.safety(policy))
    }

    /// When the active refresh is due: `expires_at - refresh_margin`, not before half-life.
    pub fn refresh_at(&self, policy: &TokenPolicy) -> u64 {
        let by_margin = self.expires_at.saturating_sub(policy.refresh_margin);
        let half_life = self.fetched_at.saturating_add(self.lifetime() / 2);
        by_margin.max(half_life).min(self.servable_until(policy))
    }

    pub fn freshness(&self, now: u64, policy: &TokenPolicy) -> Freshness {
        if now >= self.servable_until(policy) {
            Freshness::Unusable
        } else if now >= self.refresh_at(policy) {
            Freshness::Due
        } else {
            Freshness::Fresh
        }
    }

    pub fn is_servable(&self, now: u64, policy: &TokenPolicy) -> bool {
        self.freshness(now, policy) != Freshness::Unusable
    }

    /// The `expires_in` to tell a caller: how long it may keep using the token.
    pub fn expires_in(&self, now: u64, policy: &TokenPolicy) -> u64 {
        self.servable_until(policy).saturating_sub(now)
    }
}

/// Whether a token-endpoint failure is worth retrying at once (a transient fault) or not
/// (wrong secret, IP whitelist, quota: retrying only burns quota).
pub fn is_transient(errcode: i64) -> bool {
    matches!(errcode, -1 | 45011)
}

/// Delay before retry `attempt` (0-based) inside one refresh: exponential from 200 ms with up
/// to 50 % jitter (`jitter` in 0..1), capped at 2 s so a request never waits long.
pub fn retry_delay_ms(attempt: u32, jitter: f64) -> u64 {
    let base = 200u64.saturating_mul(1u64 << attempt.min(4)).min(2000);
    let jitter = jitter.clamp(0.0, 1.0);
    base + (base as f64 * 0.5 * jitter) as u64
}

/// After a refresh failed, no new upstream call is made for this long (failures in a row
/// lengthen it, up to 5 minutes): callers get the recorded error at once instead of a hot loop.
pub fn cooldown_secs(consecutive_failures: u32, errcode: Option<i64>) -> u64 {
    let base: u64 = match errcode {
        // The daily quota does not come back within minutes.
        Some(45009) => 300,
        Some(code) if !is_transient(code) => 60,
        _ => 5,
    };
    base.saturating_mul(1u64 << consecutive_failures.saturating_sub(1).min(6)).min(300)
}

#[cfg(test)]
mod tests;
