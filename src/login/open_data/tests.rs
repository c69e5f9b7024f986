//! Unit tests of `login/open_data.rs`.

use super::*;

const KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
const IV: [u8; 16] = *b"0123456789abcdef";

fn iv_b64() -> String {
    STANDARD.encode(IV)
}

#[test]
fn open_data_round_trips_for_every_pad_value() {
    for len in 0..40 {
        let text = "x".repeat(len);
        let ct = encrypt_open_data(KEY, IV, &text).unwrap();
        assert_eq!(decrypt_open_data(KEY, &iv_b64(), &ct).unwrap(), text);
    }
}

#[test]
fn a_rotated_session_key_gives_an_error_not_garbage() {
    let ct = encrypt_open_data(KEY, IV, r#"{"watermark":{"appid":"wx1"}}"#).unwrap();
    let err = decrypt_open_data("HyVFkGl5F5OQWJZZaNzBBg==", &iv_b64(), &ct).unwrap_err();
    assert!(matches!(err, CryptoError::InvalidPadding | CryptoError::NotUtf8), "{err}");
}

#[test]
fn a_short_key_or_iv_is_named_in_the_error() {
    assert_eq!(decrypt_open_data("AAAA", &iv_b64(), "AAAA"), Err(CryptoError::InvalidSessionKey));
    assert_eq!(decrypt_open_data(KEY, "AAAA", "AAAA"), Err(CryptoError::InvalidIv));
    assert_eq!(decrypt_open_data(KEY, &iv_b64(), "!!"), Err(CryptoError::InvalidBase64));
    assert_eq!(decrypt_open_data(KEY, &iv_b64(), ""), Err(CryptoError::InvalidLength));
}

#[test]
fn the_watermark_must_name_our_app() {
    let ok = r#"{"a":1,"watermark":{"appid":"wx1","timestamp":1}}"#;
    assert!(check_watermark(ok, "wx1").is_ok());
    assert_eq!(check_watermark(ok, "wx2"), Err(WatermarkError::Mismatch));
    assert_eq!(check_watermark(r#"{"a":1}"#, "wx1"), Err(WatermarkError::Missing));
    assert_eq!(check_watermark("[1]", "wx1"), Err(WatermarkError::NotJson));
    assert_eq!(check_watermark("nope", "wx1"), Err(WatermarkError::NotJson));
}
