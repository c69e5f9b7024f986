//! Unit tests of `token/policy.rs`.

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
