//! The simulator's crypto and signatures against the official vectors in
//! `shared/test-vectors.json` (wechat-api.md §14), read from the file itself so that a bug in
//! the simulator cannot hide behind a copy of its own output.

use serde_json::Value;
use wechat_sim::wire::inbound::{open, query_pairs};
use wechat_sim::wire::{msg_signature, push_signature, CipherError, Format, Mode, PushCipher};
use wechat_sim::{decrypt_open_data, encrypt_open_data, raw_data_signature, session_signature};

fn vectors() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/test-vectors.json");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("the official vectors are needed at {path}: {e}"));
    serde_json::from_str(&text).expect("test-vectors.json is JSON")
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("{key} in the vectors"))
}

fn b64_16(text: &str) -> [u8; 16] {
    use base64::Engine;
    let bytes = base64::engine::general_purpose::STANDARD.decode(text).expect("base64");
    bytes.try_into().expect("16 bytes")
}

#[test]
fn the_wxbizmsgcrypt_sample_signs_and_decrypts_as_published() {
    let v = vectors();
    let d = &v["push_crypto_official_sample"];
    let (token, ts, nonce) = (s(d, "token"), s(d, "timestamp"), s(d, "nonce"));
    assert_eq!(push_signature(token, ts, nonce), s(d, "signature"));
    assert_eq!(msg_signature(token, ts, nonce, s(d, "encrypt")), s(d, "msg_signature"));

    let cipher = PushCipher::new(s(d, "encoding_aes_key"), s(d, "appid")).unwrap();
    let (random, message) = cipher.open(s(d, "encrypt")).unwrap();
    assert_eq!(message, s(d, "decrypted_msg"));
    assert_eq!(&random, s(d, "decrypted_random16_ascii").as_bytes());
    // Re-encrypting with the recovered prefix gives the published ciphertext byte for byte,
    // which pins the 32-byte padding (this sample's pad is 2, not 2 + 16).
    let again = cipher.encrypt(&message, random);
    assert_eq!(again, s(d, "encrypt"));

    let other = PushCipher::new(s(d, "encoding_aes_key"), "wx0000000000000000").unwrap();
    assert_eq!(other.decrypt(s(d, "encrypt")), Err(CipherError::AppidMismatch));
}

#[test]
fn the_sample_push_opens_as_a_compatible_mode_xml_text_with_an_exact_msg_id() {
    let v = vectors();
    let d = &v["push_crypto_official_sample"];
    let query = query_pairs(&format!(
        "signature={}&timestamp={}&nonce={}&encrypt_type=aes&msg_signature={}",
        s(d, "signature"),
        s(d, "timestamp"),
        s(d, "nonce"),
        s(d, "msg_signature")
    ));
    let cipher = PushCipher::new(s(d, "encoding_aes_key"), s(d, "appid")).unwrap();

    let inbound = open(s(d, "token"), Some(&cipher), &query, s(d, "post_body_xml").as_bytes()).unwrap();

    assert_eq!((inbound.format, inbound.mode), (Format::Xml, Mode::Compatible));
    assert_eq!(inbound.text("Content").as_deref(), Some("abcdteT"));
    assert_eq!(inbound.number("MsgId"), Some(6_054_768_590_064_713_728));
    assert_eq!(inbound.text("ToUserName").as_deref(), Some("gh_10f6c3c3ac5a"));
}

#[test]
fn the_deterministic_vector_encrypts_to_the_published_ciphertext() {
    let v = vectors();
    let e = &v["push_crypto_deterministic_encrypt"];
    let cipher = PushCipher::new(s(e, "encoding_aes_key"), s(e, "appid")).unwrap();
    let random: [u8; 16] = s(e, "random16_ascii").as_bytes().try_into().unwrap();

    assert_eq!(cipher.encrypt(s(e, "msg"), random), s(e, "encrypt"));
    assert_eq!(cipher.decrypt(s(e, "encrypt")).unwrap(), s(e, "msg"));
}

#[test]
fn the_wxbizdatacrypt_demo_decrypts_and_re_encrypts() {
    let v = vectors();
    let a = &v["open_data_decrypt"];
    let iv = b64_16(s(a, "iv"));

    let plain = decrypt_open_data(s(a, "session_key"), iv, s(a, "encrypted_data")).unwrap();
    assert_eq!(String::from_utf8(plain).unwrap(), s(a, "expected_plaintext"));
    let again = encrypt_open_data(s(a, "session_key"), iv, s(a, "expected_plaintext")).unwrap();
    assert_eq!(again, s(a, "encrypted_data"));
    let watermark: Value = serde_json::from_str(s(a, "expected_plaintext")).unwrap();
    assert_eq!(watermark["watermark"]["appid"], s(a, "appid"));

    // The vector's negative case: a mangled ciphertext is an error, not garbage or a panic.
    let mangled = format!("aaaa{}", s(a, "encrypted_data"));
    assert!(decrypt_open_data(s(a, "session_key"), iv, &mangled).is_err());
}

#[test]
fn the_raw_data_and_session_signatures_match_the_examples() {
    let v = vectors();
    let b = &v["raw_data_signature"];
    assert_eq!(raw_data_signature(s(b, "raw_data"), s(b, "session_key")), s(b, "signature"));
    let cases = v["session_signature"]["cases"].as_array().expect("cases");
    assert!(!cases.is_empty());
    for case in cases {
        assert_eq!(session_signature(s(case, "session_key"), s(case, "message")), s(case, "signature"));
    }
}
