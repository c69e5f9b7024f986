//! Unit tests of `shared/errcode.rs`.

use super::*;
use serde_json::json;

#[test]
fn an_absent_errcode_is_success() {
    assert_eq!(errcode_of(&json!({"access_token": "x", "expires_in": 7200})), 0);
    assert_eq!(errcode_of(&json!({"errcode": 0, "errmsg": "ok"})), 0);
    assert_eq!(errcode_of(&json!({"errcode": 40001})), 40001);
    assert_eq!(errcode_of(&json!({"errcode": "bogus"})), -1);
}

#[test]
fn the_rid_suffix_is_dropped_from_errmsg() {
    let body = json!({"errcode": 40029, "errmsg": "invalid code, rid: 6502a1b2-12345678-0abcdef1"});
    assert_eq!(errmsg_of(&body), "invalid code");
    let body = json!({"errcode": 40029, "errmsg": "invalid code hint: [AbCd]"});
    assert_eq!(errmsg_of(&body), "invalid code");
}

#[test]
fn stale_token_codes_are_exactly_the_three() {
    assert!(is_stale_token(40001) && is_stale_token(42001) && is_stale_token(40014));
    assert!(!is_stale_token(41001) && !is_stale_token(40029));
}

#[test]
fn login_codes_map_to_what_the_client_can_act_on() {
    let used = map(Api::Login, 40163, "code been used");
    assert_eq!((used.status, used.code.as_ref(), used.wechat_errcode), (401, "invalid_login_code", Some(40163)));
    assert_eq!(map(Api::Login, 40226, "").status, 403);
    assert_eq!(map(Api::Login, 45011, "").status, 429);
    assert_eq!(map(Api::Login, -1, "").status, 503);
}

#[test]
fn qr_and_message_codes_map_as_documented() {
    assert_eq!(map(Api::QrCode, 41030, "").code, "invalid_page");
    assert_eq!(map(Api::QrCode, 45029, "").status, 409);
    assert_eq!(map(Api::QrCode, 45009, "").status, 429);
    assert_eq!(map(Api::Messages, 43101, "").code, "user_not_subscribed");
    assert_eq!(map(Api::Messages, 45002, "").status, 413);
}

#[test]
fn check_passes_success_bodies_through() {
    assert!(check(Api::Generic, json!({"dns": []})).is_ok());
    assert_eq!(check(Api::Generic, json!({"errcode": 48001})).unwrap_err().status, 403);
}
