//! Unit tests of `login/sessions.rs`.

use super::*;

#[test]
fn a_session_may_decrypt_until_its_failures_reach_the_limit() {
    let state = |failures| SessionState { live: true, decrypt_failures: failures };
    assert!(state(0).may_decrypt());
    assert!(state(DECRYPT_FAILURE_LIMIT - 1).may_decrypt());
    assert!(!state(DECRYPT_FAILURE_LIMIT).may_decrypt());
    assert!(!SessionState { live: false, decrypt_failures: 0 }.may_decrypt());
}

#[test]
fn calls_round_trip_and_objects_are_per_app_and_user() {
    let text = serde_json::to_string(&Register { session: "session:ab".into(), expires_at: 9 }).unwrap();
    let back: Register = serde_json::from_str(&text).unwrap();
    assert_eq!((back.session.as_str(), back.expires_at), ("session:ab", 9));
    assert_ne!(object_name("wx1", "o1"), object_name("wx2", "o1"));
}
