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

mod user_data {
    use super::super::*;

    const KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
    const NOW: u64 = 1_700_000_000;

    fn sealed(json: &str) -> String {
        encrypt_open_data(KEY, [9u8; 16], json).unwrap()
    }

    fn iv() -> String {
        STANDARD.encode([9u8; 16])
    }

    #[test]
    fn good_data_opens_and_its_age_is_checked() {
        let data = sealed(&format!(r#"{{"nickName":"a","watermark":{{"appid":"wx1","timestamp":{}}}}}"#, NOW - 60));
        assert_eq!(open_user_data(KEY, &iv(), &data, "wx1", NOW, 86_400).unwrap()["nickName"], "a");
        assert_eq!(open_user_data(KEY, &iv(), &data, "wx1", NOW + 86_400, 86_400), Err(OpenDataError::Failed));
        assert!(open_user_data(KEY, &iv(), &data, "wx1", NOW + 86_400, 0).is_ok(), "0 turns the age check off");
        assert_eq!(open_user_data(KEY, &iv(), &data, "wx1", NOW - 3_600, 86_400), Err(OpenDataError::Failed), "from the future");
    }

    #[test]
    fn every_failure_after_the_shape_is_the_same_failure() {
        // A padding error, a non-UTF-8 text, a non-JSON text, no watermark, another app: one answer.
        let wrong_key = "AAAAAAAAAAAAAAAAAAAAAA==";
        let good = sealed(r#"{"watermark":{"appid":"wx1","timestamp":1700000000}}"#);
        let cases = [
            open_user_data(wrong_key, &iv(), &good, "wx1", NOW, 0),
            open_user_data(KEY, &iv(), &encrypt_open_data(KEY, [9u8; 16], "\u{0}not json").unwrap(), "wx1", NOW, 0),
            open_user_data(KEY, &iv(), &sealed(r#"{"nickName":"a"}"#), "wx1", NOW, 0),
            open_user_data(KEY, &iv(), &good, "wx2", NOW, 0),
            open_user_data(KEY, &STANDARD.encode([1u8; 16]), &good, "wx1", NOW, 0),
        ];
        for (i, case) in cases.iter().enumerate() {
            assert_eq!(*case, Err(OpenDataError::Failed), "case {i}");
        }
    }

    #[test]
    fn a_malformed_shape_is_named_before_anything_is_decrypted() {
        let good = sealed(r#"{"watermark":{"appid":"wx1","timestamp":1700000000}}"#);
        assert_eq!(
            open_user_data(KEY, "short", &good, "wx1", NOW, 0),
            Err(OpenDataError::Field("iv", "must be base64 of 16 bytes"))
        );
        assert!(matches!(open_user_data(KEY, &iv(), "AAAA", "wx1", NOW, 0), Err(OpenDataError::Field("encryptedData", _))));
        assert!(matches!(open_user_data(KEY, &iv(), "", "wx1", NOW, 0), Err(OpenDataError::Field("encryptedData", _))));
    }
}
