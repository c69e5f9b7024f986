use super::*;

#[test]
fn sessions_are_signed_short_and_end_with_the_key() {
    let value = session_value("key-1", 1_000 + SESSION_SECS);
    assert!(session_valid("key-1", &value, 1_000));
    assert!(!session_valid("key-1", &value, 1_000 + SESSION_SECS), "expired");
    assert!(!session_valid("key-2", &value, 1_000), "another internal key");
    let forged = value.replacen(&(1_000 + SESSION_SECS).to_string(), &(1_000 + 2 * SESSION_SECS).to_string(), 1);
    assert!(!session_valid("key-1", &forged, 1_000), "the expiry is under the MAC");
    assert!(!session_valid("key-1", "nonsense", 1_000));
    assert!(!value.contains("key-1"));
}

#[test]
fn cookies_are_found_by_name() {
    assert_eq!(cookie_value("a=1; wechat_edge_admin=x.y; b=2", COOKIE), Some("x.y"));
    assert_eq!(cookie_value("a=1", COOKIE), None);
}
