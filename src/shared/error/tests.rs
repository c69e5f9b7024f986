//! Unit tests of `shared/error.rs`.

use super::*;

#[test]
fn the_body_has_the_contract_shape() {
    let e = ApiError::bad_request("invalid_login_code", "call wx.login again").with_errcode(40029);
    assert_eq!(
        e.body(),
        json!({"error": {"code": "invalid_login_code", "message": "call wx.login again", "wechat_errcode": 40029}})
    );
}

#[test]
fn wechat_errcode_is_left_out_when_wechat_said_nothing() {
    let e = ApiError::not_found("no route for GET /nope");
    assert!(e.body()["error"].get("wechat_errcode").is_none());
    assert_eq!(e.status, 404);
}

#[test]
fn a_configuration_error_names_the_variable() {
    let e = ApiError::config("WECHAT_APP_SECRET", "is not set");
    assert_eq!(e.status, 500);
    assert!(e.message.starts_with("WECHAT_APP_SECRET is not set"));
}

#[test]
fn a_public_caller_sees_no_configuration_or_token_detail() {
    let config = ApiError::config("WECHAT_APP_SECRET", "is not set").for_public();
    assert_eq!((config.status, config.code.as_ref()), (500, "internal_error"));
    assert!(!config.message.contains("WECHAT_APP_SECRET"));
    let token = ApiError::unavailable("no valid access token: the last refresh failed (40164)").with_errcode(40164);
    let public = token.with_retry(Retry::Safe).for_public();
    assert_eq!((public.status, public.code.as_ref(), public.wechat_errcode), (503, "temporarily_unavailable", None));
    assert_eq!(public.retry, Retry::Safe);
    assert!(!public.message.contains("token"));
    let bad = ApiError::invalid_field("code", "is required");
    assert_eq!(bad.clone().for_public(), bad);
}
