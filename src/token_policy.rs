//! When an access_token may be handed out, when it is due for an active refresh, and how
//! failed refreshes back off. Pure: times are unix seconds passed in.
//!
//! Two margins, because WeChat's tokens are not all two hours long: `stable_token` can answer
//! with `expires_in` as low as 300. A token is *servable* until `expires_at - safety`, and
//! *due* for refresh at `expires_at - refresh_margin`, but never before half its life, so a
//! token shorter than the margin is refreshed once per half-life, not on every read.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Refresh this long before expiry. 300 s matches stable_token's renewal window, so a
    /// normal-mode call at that moment returns a new token rather than the same one.
    pub refresh_margin: u64,
    /// Never hand out a token with less than this left (callers need time to use it).
    pub safety_margin: u64,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy { refresh_margin: 300, safety_margin: 60 }
    }
}

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
mod tests {
    use super::*;

    const P: TokenPolicy = TokenPolicy { refresh_margin: 300, safety_margin: 60 };

    #[test]
    fn a_two_hour_token_is_fresh_then_due_then_unusable() {
        let t = StoredToken::new("t".into(), 1000, 7200);
        assert_eq!(t.freshness(1000, &P), Freshness::Fresh);
        assert_eq!(t.freshness(1000 + 7200 - 301, &P), Freshness::Fresh);
        assert_eq!(t.freshness(1000 + 7200 - 300, &P), Freshness::Due);
        assert_eq!(t.freshness(1000 + 7200 - 61, &P), Freshness::Due);
        assert_eq!(t.freshness(1000 + 7200 - 60, &P), Freshness::Unusable);
        assert_eq!(t.expires_in(1000, &P), 7140);
    }

    #[test]
    fn a_token_shorter_than_the_margin_is_served_until_near_its_end() {
        // stable_token may answer expires_in 300; with a 600 s margin it must not be refetched
        // on every read.
        let policy = TokenPolicy { refresh_margin: 600, safety_margin: 60 };
        let t = StoredToken::new("t".into(), 0, 300);
        assert_eq!(t.freshness(0, &policy), Freshness::Fresh);
        assert_eq!(t.freshness(149, &policy), Freshness::Fresh);
        assert_eq!(t.freshness(150, &policy), Freshness::Due);
        assert_eq!(t.freshness(239, &policy), Freshness::Due);
        assert_eq!(t.freshness(240, &policy), Freshness::Unusable);
    }

    #[test]
    fn a_very_short_token_keeps_a_proportional_safety_margin() {
        let t = StoredToken::new("t".into(), 0, 20);
        assert_eq!(t.servable_until(&P), 15);
        assert_eq!(t.refresh_at(&P), 10);
    }

    #[test]
    fn an_expired_or_zero_life_token_is_never_served() {
        let t = StoredToken::new("t".into(), 100, 0);
        assert_eq!(t.freshness(100, &P), Freshness::Unusable);
        assert_eq!(t.expires_in(100, &P), 0);
    }

    #[test]
    fn retry_delays_grow_and_stay_bounded() {
        assert_eq!(retry_delay_ms(0, 0.0), 200);
        assert_eq!(retry_delay_ms(1, 0.0), 400);
        assert_eq!(retry_delay_ms(1, 1.0), 600);
        assert_eq!(retry_delay_ms(30, 1.0), 3000);
    }

    #[test]
    fn cooldowns_grow_with_failures_and_respect_the_quota() {
        assert_eq!(cooldown_secs(1, Some(-1)), 5);
        assert_eq!(cooldown_secs(2, None), 10);
        assert_eq!(cooldown_secs(1, Some(40125)), 60);
        assert_eq!(cooldown_secs(1, Some(45009)), 300);
        assert_eq!(cooldown_secs(50, None), 300);
    }

    #[test]
    fn debug_output_hides_the_token() {
        let t = StoredToken::new("SECRET_TOKEN_VALUE".into(), 0, 7200);
        assert!(!format!("{t:?}").contains("SECRET_TOKEN_VALUE"));
    }
}
