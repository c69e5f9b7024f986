//! Unit tests of `outbound/mod.rs`.

use super::*;
use serde_json::{json, Value};

fn body(v: Value) -> Body {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn openids_are_url_safe_and_bounded() {
    assert!(openid(&body(json!({"o": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})), "o").is_ok());
    assert!(openid(&body(json!({"o": "o".repeat(64)})), "o").is_ok());
    assert!(openid(&body(json!({"o": "o".repeat(65)})), "o").is_err());
    assert!(openid(&body(json!({"o": "a b"})), "o").is_err());
    assert!(openid(&body(json!({"o": "微信"})), "o").is_err());
    assert_eq!(openid(&body(json!({})), "touser").unwrap_err().message, "`touser` is required");
}

#[test]
fn wechat_ids_are_printable_ascii() {
    assert!(wechat_id("bDmywsp2oEHjwAadTGKkUHpC0RgBVPvfAEsw1s1nw4Q", "id", 128).is_ok());
    assert!(wechat_id("", "id", 128).is_err());
    assert!(wechat_id("a b", "id", 128).is_err());
    assert!(wechat_id(&"a".repeat(129), "id", 128).is_err());
}
