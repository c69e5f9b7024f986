use super::*;
use serde_json::json;

#[test]
fn the_authorize_url_matches_wechatpys_vector() {
    // wechatpy tests/test_oauth.py (wechat-oa.md §1.2): appid 123456, redirect http://localhost, no state.
    assert_eq!(
        authorize_url("https://open.weixin.qq.com", "123456", "http://localhost", Scope::SnsapiBase, ""),
        "https://open.weixin.qq.com/connect/oauth2/authorize?appid=123456&redirect_uri=http%3A%2F%2Flocalhost&response_type=code&scope=snsapi_base#wechat_redirect"
    );
}

#[test]
fn the_state_comes_last_before_the_fragment() {
    let url = authorize_url("https://o", "wx1", "https://a.com/cb?x=1&y=2", Scope::SnsapiUserinfo, "abc123");
    assert_eq!(
        url,
        "https://o/connect/oauth2/authorize?appid=wx1&redirect_uri=https%3A%2F%2Fa.com%2Fcb%3Fx%3D1%26y%3D2&response_type=code&scope=snsapi_userinfo&state=abc123#wechat_redirect"
    );
}

#[test]
fn states_are_short_plain_signed_and_expire() {
    let key = state_key("internal-key");
    let state = mint_state(&key, [7u8; 16], 2_000_000_000);
    assert!(state.len() <= 128 && state.bytes().all(|b| b.is_ascii_alphanumeric()), "WeChat's state rule: {state}");
    assert_eq!(verify_state(&key, Some(&state), 1_999_999_999), Ok(hex::encode([7u8; 16])));
    assert_eq!(verify_state(&key, Some(&state), 2_000_000_000), Err(StateError::Expired));
    assert_eq!(verify_state(&state_key("other-key"), Some(&state), 1), Err(StateError::Forged));
    // Moving the expiry breaks the MAC.
    let later = state.replacen("2000000000", "2100000000", 1);
    assert_eq!(verify_state(&key, Some(&later), 1), Err(StateError::Forged));
    let mut flipped = state.clone().into_bytes();
    flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
    assert_eq!(verify_state(&key, Some(std::str::from_utf8(&flipped).unwrap()), 1), Err(StateError::Forged));
    assert_eq!(verify_state(&key, None, 1), Err(StateError::Missing));
    assert_eq!(verify_state(&key, Some("short"), 1), Err(StateError::Forged));
}

#[test]
fn redirects_only_to_listed_origins() {
    let allowed = vec!["https://shop.example.com".to_owned()];
    assert_eq!(check_redirect(&allowed, Some("https://shop.example.com/done")).unwrap(), "https://shop.example.com/done");
    assert_eq!(check_redirect(&allowed, Some("https://evil.com/")).unwrap_err().code, "redirect_not_allowed");
    assert_eq!(check_redirect(&allowed, Some("https://shop.example.com@evil.com/")).unwrap_err().code, "invalid_field");
    assert_eq!(check_redirect(&allowed, Some("/relative")).unwrap_err().code, "invalid_field");
    assert_eq!(check_redirect(&allowed, None).unwrap_err().code, "invalid_field");
}

#[test]
fn grants_parse_the_documented_answer() {
    // wechat-oa.md §1.4's sample.
    let body = json!({"access_token":"ACCESS_TOKEN","expires_in":7200,"refresh_token":"REFRESH_TOKEN","openid":"OPENID",
        "scope":"SCOPE","is_snapshotuser":1,"unionid":"UNIONID"});
    let grant = parse_grant(&body).unwrap();
    assert_eq!(grant.openid, "OPENID");
    assert_eq!(grant.unionid.as_deref(), Some("UNIONID"));
    assert!(grant.snapshot);
    let plain = parse_grant(&json!({"access_token":"t","openid":"o","scope":"snsapi_base"})).unwrap();
    assert!(!plain.snapshot && plain.unionid.is_none());
    assert_eq!(parse_grant(&json!({"openid":"o"})).unwrap_err().status, 502);
    assert_eq!(Scope::parse(Some("snsapi_login")).unwrap_err().code, "invalid_field");
}
