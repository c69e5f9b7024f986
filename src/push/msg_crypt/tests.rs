//! Unit tests of `push/msg_crypt.rs`.

use super::*;
use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockDecryptMut, KeyIvInit};

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";

fn crypt() -> MsgCrypt {
    MsgCrypt::new(KEY, APPID).unwrap()
}

fn raw(len_prefix: u32, msg: &[u8], trailer: &[u8]) -> Vec<u8> {
    let mut plain = b"0123456789abcdef".to_vec();
    plain.extend_from_slice(&len_prefix.to_be_bytes());
    plain.extend_from_slice(msg);
    plain.extend_from_slice(trailer);
    plain
}

#[test]
fn every_pad_value_from_1_to_32_round_trips() {
    let mut seen = std::collections::BTreeSet::new();
    for len in 0..64 {
        let msg = "m".repeat(len);
        let decrypted = crypt().decrypt_detailed(&crypt().encrypt(&msg, *b"0123456789abcdef")).unwrap();
        assert_eq!(decrypted.msg, msg);
        assert_eq!(&decrypted.random16, b"0123456789abcdef");
        seen.insert(decrypted.pad);
    }
    assert_eq!(seen, (1..=32).collect());
}

#[test]
fn a_pad_value_above_16_defeats_a_16_byte_unpadder() {
    // 16 + 4 + 6 + 18 = 44 bytes, so the pad is 20.
    let encrypted = crypt().encrypt("abcdef", [7; 16]);
    assert_eq!(crypt().decrypt_detailed(&encrypted).unwrap().pad, 20);
    let mut buf = STANDARD.decode(&encrypted).unwrap();
    let key = LENIENT_KEY_ENGINE.decode(format!("{KEY}=")).unwrap();
    let dec = Aes256CbcDec::new_from_slices(&key, &key[..16]).unwrap();
    assert!(dec.decrypt_padded_mut::<Pkcs7>(&mut buf).is_err());
}

#[test]
fn a_malformed_key_is_refused() {
    assert_eq!(MsgCrypt::new(&KEY[..42], APPID).unwrap_err(), CryptoError::InvalidKey);
    assert_eq!(MsgCrypt::new(&format!("{KEY}A"), APPID).unwrap_err(), CryptoError::InvalidKey);
    let with_plus = format!("+{}", &KEY[1..]);
    assert_eq!(MsgCrypt::new(&with_plus, APPID).unwrap_err(), CryptoError::InvalidKey);
}

#[test]
fn debug_output_does_not_show_the_key() {
    let shown = format!("{:?}", crypt());
    assert!(shown.contains(APPID));
    assert!(!shown.contains("key"), "{shown}");
}

#[test]
fn bad_base64_and_bad_lengths_are_named() {
    assert_eq!(crypt().decrypt("not base64!"), Err(CryptoError::InvalidBase64));
    assert_eq!(crypt().decrypt(""), Err(CryptoError::InvalidLength));
    assert_eq!(crypt().decrypt(&STANDARD.encode([0u8; 17])), Err(CryptoError::InvalidLength));
}

#[test]
fn a_truncated_ciphertext_is_refused() {
    let full = STANDARD.decode(crypt().encrypt("<xml>hello</xml>", *b"89465c840c5f116f")).unwrap();
    for cut in (16..full.len()).step_by(16) {
        let result = crypt().decrypt(&STANDARD.encode(&full[..cut]));
        assert!(result.is_err(), "cut at {cut} decrypted");
    }
}

#[test]
fn a_length_prefix_larger_than_the_buffer_is_refused() {
    for prefix in [100, u32::MAX] {
        let sealed = crypt().seal(raw(prefix, b"hello", APPID.as_bytes()));
        assert_eq!(crypt().decrypt(&sealed), Err(CryptoError::InvalidMessageLength));
    }
    let sealed = crypt().seal(b"short".to_vec());
    assert_eq!(crypt().decrypt(&sealed), Err(CryptoError::InvalidMessageLength));
}

#[test]
fn a_message_for_another_app_is_refused() {
    let other = MsgCrypt::new(KEY, "wx0000000000000000").unwrap();
    assert_eq!(crypt().decrypt(&other.encrypt("hi", [1; 16])), Err(CryptoError::AppIdMismatch));
    let no_trailer = crypt().seal(raw(2, b"hi", b""));
    assert_eq!(crypt().decrypt(&no_trailer), Err(CryptoError::AppIdMismatch));
}

#[test]
fn a_wrong_key_gives_an_error_not_garbage() {
    let other = MsgCrypt::new("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopq", APPID).unwrap();
    let err = other.decrypt(&crypt().encrypt("hello", [3; 16])).unwrap_err();
    assert!(matches!(err, CryptoError::InvalidPadding | CryptoError::InvalidMessageLength | CryptoError::AppIdMismatch));
}

#[test]
fn a_message_that_is_not_utf8_is_refused() {
    let sealed = crypt().seal(raw(2, &[0xff, 0xfe], APPID.as_bytes()));
    assert_eq!(crypt().decrypt(&sealed), Err(CryptoError::NotUtf8));
}
