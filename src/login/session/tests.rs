//! Unit tests of `login/session.rs`.

use super::*;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

fn token() -> SessionToken {
    SessionToken::from_random([7u8; 32])
}

#[test]
fn a_token_round_trips_through_the_authorization_header() {
    let t = token();
    assert_eq!(t.reveal().len(), TOKEN_LEN);
    let parsed = SessionToken::from_authorization(Some(&format!("Bearer {}", t.reveal()))).unwrap();
    assert_eq!(parsed, t);
}

#[test]
fn malformed_headers_are_401s_with_a_code_to_act_on() {
    assert_eq!(SessionToken::from_authorization(None).unwrap_err().code, "missing_token");
    for bad in ["Basic abc", "Bearer ", "Bearer short", &format!("Bearer {}!", &token().reveal()[1..])] {
        let e = SessionToken::from_authorization(Some(bad)).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (401, "malformed_token"), "{bad}");
    }
}

#[test]
fn the_storage_key_does_not_contain_the_token() {
    let t = token();
    let key = t.storage_key();
    assert!(key.starts_with(KV_PREFIX) && !key.contains(t.reveal()));
    assert_eq!(key.len(), KV_PREFIX.len() + 64);
}

#[test]
fn a_sealed_session_key_opens_only_with_its_token_and_its_user() {
    let t = token();
    let aad = SessionRecord::seal_aad("wx1", "openid-a");
    let sealed = t.seal("tiihtNczf5v6AKRyjwEUhQ==", &aad, [1u8; NONCE_LEN]).unwrap();
    assert!(!sealed.contains("tiihtNczf5v6AKRyjwEUhQ=="));
    assert_eq!(t.open(&sealed, &aad).as_deref(), Some("tiihtNczf5v6AKRyjwEUhQ=="));
    let other = SessionToken::from_random([8u8; 32]);
    assert_eq!(other.open(&sealed, &aad), None);
    assert_eq!(t.open(&sealed, &SessionRecord::seal_aad("wx1", "openid-b")), None);
}

#[test]
fn a_tampered_seal_is_detected_not_decrypted_to_garbage() {
    let t = token();
    let aad = SessionRecord::seal_aad("wx1", "o");
    let sealed = t.seal("tiihtNczf5v6AKRyjwEUhQ==", &aad, [2u8; NONCE_LEN]).unwrap();
    let raw = STANDARD.decode(&sealed[3..]).unwrap();
    for i in 0..raw.len() {
        let mut bad = raw.clone();
        bad[i] ^= 0x01;
        assert_eq!(t.open(&format!("v2:{}", STANDARD.encode(&bad)), &aad), None, "flipped byte {i}");
    }
    assert_eq!(t.open("v2:", &aad), None);
    assert_eq!(t.open("not base64", &aad), None);
}

#[test]
fn a_record_in_the_old_keystream_format_does_not_open() {
    // The pre-AEAD format: base64 of the session_key XOR a SHA-256 keystream, no prefix.
    assert_eq!(token().open("3q2+7w==", &SessionRecord::seal_aad("wx1", "o")), None);
}

#[test]
fn login_codes_are_checked_before_wechat_sees_them() {
    assert!(WxCode::parse(Some(&json!("0a3Xyz"))).is_ok());
    assert_eq!(WxCode::parse(None).unwrap_err().message, "`code` is required");
    assert_eq!(WxCode::parse(Some(&json!(12))).unwrap_err().message, "`code` must be a string");
    assert!(WxCode::parse(Some(&json!(""))).is_err());
    assert!(WxCode::parse(Some(&json!("a".repeat(129)))).is_err());
    assert!(WxCode::parse(Some(&json!("a b"))).is_err());
}
