//! Checks every public WeChat test vector in `../shared/test-vectors.json` (wechat-api.md §14)
//! against the crypto and push code. A missing vectors file fails the test, never skips it.

use serde_json::Value;
use wechat_edge::login::open_data::{check_watermark, decrypt_open_data, encrypt_open_data};
use wechat_edge::login::signature::{raw_data_signature, session_signature};
use wechat_edge::push::msg_crypt::MsgCrypt;
use wechat_edge::push::signature::{msg_signature, push_signature};
use wechat_edge::push::{open_push, Format, Mode, PushQuery, PushSecrets};
use wechat_edge::shared::config::PushMode;
use wechat_edge::shared::crypto::hex_eq;
use wechat_edge::shared::crypto::CryptoError;

const VECTORS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/test-vectors.json");

fn vectors() -> Value {
    let text = std::fs::read_to_string(VECTORS_PATH)
        .unwrap_or_else(|e| panic!("the test vectors file {VECTORS_PATH} cannot be read: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{VECTORS_PATH} is not valid JSON: {e}"))
}

/// A string field of a vector; a missing field fails loudly so a renamed key is noticed.
fn s<'a>(v: &'a Value, path: &str) -> &'a str {
    path.split('.')
        .try_fold(v, |v, key| v.get(key))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("test vector field `{path}` is missing or not a string"))
}

fn array16(text: &str) -> [u8; 16] {
    text.as_bytes().try_into().expect("a 16-byte random prefix")
}

#[test]
fn the_open_data_demo_decrypts_to_the_expected_plaintext() {
    let all = vectors();
    let v = &all["open_data_decrypt"];
    let plain = decrypt_open_data(s(v, "session_key"), s(v, "iv"), s(v, "encrypted_data")).unwrap();
    assert_eq!(plain, s(v, "expected_plaintext"));
    let parsed = check_watermark(&plain, s(v, "appid")).unwrap();
    assert_eq!(parsed["openId"], "oGZUI0egBJY1zhBYw2KhdUfwVJJE");
}

#[test]
fn re_encrypting_the_open_data_demo_reproduces_the_ciphertext() {
    let all = vectors();
    let v = &all["open_data_decrypt"];
    let iv: [u8; 16] = base64_16(s(v, "iv"));
    let ct = encrypt_open_data(s(v, "session_key"), iv, s(v, "expected_plaintext")).unwrap();
    assert_eq!(ct, s(v, "encrypted_data"));
}

#[test]
fn open_data_with_a_prefix_prepended_gives_a_clear_error() {
    let all = vectors();
    let v = &all["open_data_decrypt"];
    let tampered = format!("aaaa{}", s(v, "encrypted_data"));
    let err = decrypt_open_data(s(v, "session_key"), s(v, "iv"), &tampered).unwrap_err();
    assert_eq!(err, CryptoError::InvalidLength);
    assert!(err.to_string().contains("multiple of the 16-byte"));
}

#[test]
fn the_raw_data_signature_matches() {
    let all = vectors();
    let v = &all["raw_data_signature"];
    let sig = raw_data_signature(s(v, "raw_data"), s(v, "session_key"));
    assert_eq!(sig, s(v, "signature"));
    assert!(hex_eq(&sig, s(v, "signature")));
}

#[test]
fn both_session_signature_cases_match() {
    let all = vectors();
    let cases = all["session_signature"]["cases"].as_array().expect("session_signature.cases");
    assert_eq!(cases.len(), 2);
    for case in cases {
        assert_eq!(session_signature(s(case, "session_key"), s(case, "message")), s(case, "signature"));
    }
}

#[test]
fn the_official_push_sample_signs_decrypts_and_re_encrypts() {
    let all = vectors();
    let v = &all["push_crypto_official_sample"];
    let (token, ts, nonce, encrypt) = (s(v, "token"), s(v, "timestamp"), s(v, "nonce"), s(v, "encrypt"));
    assert_eq!(push_signature(token, ts, nonce), s(v, "signature"));
    assert_eq!(msg_signature(token, ts, nonce, encrypt), s(v, "msg_signature"));

    let crypt = MsgCrypt::new(s(v, "encoding_aes_key"), s(v, "appid")).unwrap();
    let decrypted = crypt.decrypt_detailed(encrypt).unwrap();
    assert_eq!(decrypted.msg, s(v, "decrypted_msg"));
    assert_eq!(&decrypted.random16, s(v, "decrypted_random16_ascii").as_bytes());
    assert_eq!(Some(u64::from(decrypted.pad)), v["decrypted_pad"].as_u64());
    assert_eq!(crypt.encrypt(&decrypted.msg, decrypted.random16), encrypt);
}

#[test]
fn the_official_compatible_mode_push_opens_as_a_text_message() {
    let all = vectors();
    let v = &all["push_crypto_official_sample"];
    let crypt = MsgCrypt::new(s(v, "encoding_aes_key"), s(v, "appid")).unwrap();
    let secrets = PushSecrets { token: s(v, "token"), crypt: Some(&crypt), mode: PushMode::Plain };
    let query = PushQuery {
        signature: Some(s(v, "signature")),
        timestamp: Some(s(v, "timestamp")),
        nonce: Some(s(v, "nonce")),
        msg_signature: Some(s(v, "msg_signature")),
        encrypt_type: Some("aes"),
        ..PushQuery::default()
    };
    let now: u64 = s(v, "timestamp").parse().unwrap();
    for (now, window) in [(0, 0), (now + 10, 300)] {
        let incoming = open_push(&secrets, &query, s(v, "post_body_xml").as_bytes(), now, window).unwrap();
        assert_eq!(incoming.format, Format::Xml);
        assert_eq!(incoming.mode, Mode::Compatible);
        let m = &incoming.message;
        assert_eq!(m.msg_type, "text");
        assert_eq!(m.msg_id, Some(6054768590064713728));
        assert_eq!(m.content.as_deref(), Some("abcdteT"));
        assert_eq!(m.to_user_name, "gh_10f6c3c3ac5a");
        assert_eq!(m.from_user_name, "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
        assert_eq!(m.create_time, 1409735668);
        assert_eq!(m.dedupe_key(), "msg:6054768590064713728");
    }
}

#[test]
fn the_deterministic_encryption_vector_matches_and_decrypts_back() {
    let all = vectors();
    let v = &all["push_crypto_deterministic_encrypt"];
    let crypt = MsgCrypt::new(s(v, "encoding_aes_key"), s(v, "appid")).unwrap();
    let encrypt = crypt.encrypt(s(v, "msg"), array16(s(v, "random16_ascii")));
    assert_eq!(encrypt, s(v, "encrypt"));
    assert_eq!(crypt.decrypt(&encrypt).unwrap(), s(v, "msg"));
}

fn base64_16(text: &str) -> [u8; 16] {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).expect("base64 iv");
    bytes.try_into().expect("a 16-byte iv")
}
