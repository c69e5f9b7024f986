//! open_push and verify_echo: every check, in order, with the error a handler maps to a status.

use super::envelope::{build_envelope, build_plain_body, wrap_encrypted};
use super::{crypt, secrets, Signed, APPID, NOW, RANDOM, TOKEN};
use crate::push::msg_crypt::MsgCrypt;
use crate::push::{open_push, verify_echo, Format, Mode, PushError, PushMessage, PushQuery, PushSecrets};
use crate::shared::config::PushMode;
use crate::shared::crypto::CryptoError;

fn text_message() -> PushMessage {
    PushMessage {
        to_user_name: "gh_10f6c3c3ac5a".into(),
        from_user_name: "oyORnuP8q7ou2gfYjqLzSIWZf0rs".into(),
        create_time: NOW,
        msg_type: "text".into(),
        msg_id: Some(6054768590064713728),
        content: Some("你好 <b>".into()),
        ..PushMessage::default()
    }
}

#[test]
fn a_plain_xml_push_opens() {
    let body = build_plain_body(Format::Xml, &text_message());
    let incoming = open_push(&secrets(&crypt()), &Signed::plain(NOW).query(), body.as_bytes(), NOW, 300).unwrap();
    assert_eq!((incoming.format, incoming.mode), (Format::Xml, Mode::Plain));
    assert_eq!(incoming.message, text_message());
}

#[test]
fn a_plain_push_needs_no_aes_key() {
    let body = build_plain_body(Format::Json, &text_message());
    let secrets = PushSecrets { token: TOKEN, crypt: None, mode: PushMode::Plain };
    let incoming = open_push(&secrets, &Signed::plain(NOW).query(), body.as_bytes(), NOW, 300).unwrap();
    assert_eq!((incoming.format, incoming.mode), (Format::Json, Mode::Plain));
}

#[test]
fn a_safe_mode_json_push_opens_end_to_end() {
    let plain = build_plain_body(Format::Json, &text_message());
    let body = build_envelope(Format::Json, Mode::Safe, &plain, "gh_10f6c3c3ac5a", &crypt(), RANDOM);
    assert!(!body.contains("FromUserName"), "safe mode leaks plaintext: {body}");
    let signed = Signed::encrypted(NOW, &crypt().encrypt(&plain, RANDOM));
    let incoming = open_push(&secrets(&crypt()), &signed.query(), body.as_bytes(), NOW, 300).unwrap();
    assert_eq!((incoming.format, incoming.mode), (Format::Json, Mode::Safe));
    assert_eq!(incoming.message, text_message());
}

#[test]
fn every_format_and_encrypted_mode_opens_end_to_end() {
    for format in [Format::Xml, Format::Json] {
        for mode in [Mode::Safe, Mode::Compatible] {
            let plain = build_plain_body(format, &text_message());
            let encrypt = crypt().encrypt(&plain, RANDOM);
            let body = wrap_encrypted(format, mode, &plain, "gh_10f6c3c3ac5a", &encrypt);
            let signed = Signed::encrypted(NOW, &encrypt);
            let incoming = open_push(&secrets(&crypt()), &signed.query(), body.as_bytes(), NOW, 0).unwrap();
            assert_eq!((incoming.format, incoming.mode), (format, mode));
            assert_eq!(incoming.message, text_message());
        }
    }
}

#[test]
fn a_missing_signature_is_a_missing_parameter() {
    let body = build_plain_body(Format::Xml, &text_message());
    let signed = Signed::plain(NOW);
    let mut query = signed.query();
    query.signature = None;
    let err = open_push(&secrets(&crypt()), &query, body.as_bytes(), NOW, 300).unwrap_err();
    assert_eq!(err, PushError::MissingParameter("signature"));
    assert_eq!(err.status(), 400);
}

#[test]
fn a_wrong_signature_is_refused_before_the_body_is_read() {
    let mut signed = Signed::plain(NOW);
    signed.signature = "0".repeat(40);
    let err = open_push(&secrets(&crypt()), &signed.query(), b"garbage", NOW, 300).unwrap_err();
    assert_eq!(err, PushError::BadSignature);
    assert_eq!(err.status(), 401);
    assert!(!err.to_string().contains(TOKEN));
}

#[test]
fn a_stale_timestamp_is_refused_unless_the_window_is_off() {
    let body = build_plain_body(Format::Xml, &text_message());
    let old = Signed::plain(NOW - 301);
    let err = open_push(&secrets(&crypt()), &old.query(), body.as_bytes(), NOW, 300).unwrap_err();
    assert_eq!(err, PushError::StaleTimestamp);
    assert_eq!(err.status(), 401);
    let future = Signed::plain(NOW + 301);
    assert_eq!(open_push(&secrets(&crypt()), &future.query(), body.as_bytes(), NOW, 300), Err(PushError::StaleTimestamp));
    assert!(open_push(&secrets(&crypt()), &old.query(), body.as_bytes(), NOW, 301).is_ok());
    assert!(open_push(&secrets(&crypt()), &old.query(), body.as_bytes(), NOW, 0).is_ok());
}

#[test]
fn a_signed_but_non_numeric_timestamp_is_malformed() {
    let mut signed = Signed::plain(NOW);
    signed.timestamp = "soon".into();
    signed.signature = crate::push::signature::push_signature(TOKEN, "soon", &signed.nonce);
    let err = open_push(&secrets(&crypt()), &signed.query(), b"<xml/>", NOW, 0).unwrap_err();
    assert!(matches!(err, PushError::Malformed(_)), "{err}");
}

#[test]
fn an_encrypted_push_needs_a_valid_msg_signature() {
    let plain = build_plain_body(Format::Xml, &text_message());
    let encrypt = crypt().encrypt(&plain, RANDOM);
    let body = wrap_encrypted(Format::Xml, Mode::Safe, &plain, "gh_1", &encrypt);
    let mut signed = Signed::encrypted(NOW, &encrypt);
    signed.msg_signature = None;
    let err = open_push(&secrets(&crypt()), &signed.query(), body.as_bytes(), NOW, 0).unwrap_err();
    assert_eq!(err, PushError::MissingParameter("msg_signature"));
    signed.msg_signature = Some(Signed::plain(NOW).signature);
    let err = open_push(&secrets(&crypt()), &signed.query(), body.as_bytes(), NOW, 0).unwrap_err();
    assert_eq!(err, PushError::BadSignature);
}

#[test]
fn an_encrypted_push_without_an_aes_key_is_a_configuration_error() {
    let plain = build_plain_body(Format::Json, &text_message());
    let encrypt = crypt().encrypt(&plain, RANDOM);
    let body = wrap_encrypted(Format::Json, Mode::Safe, &plain, "gh_1", &encrypt);
    let secrets = PushSecrets { token: TOKEN, crypt: None, mode: PushMode::Plain };
    let err = open_push(&secrets, &Signed::encrypted(NOW, &encrypt).query(), body.as_bytes(), NOW, 0).unwrap_err();
    assert_eq!(err, PushError::NotConfigured);
    assert_eq!(err.status(), 500);
}

#[test]
fn an_empty_token_never_verifies() {
    let secrets = PushSecrets { token: "", crypt: None, mode: PushMode::Plain };
    let query = PushQuery { signature: Some(""), timestamp: Some(""), nonce: Some(""), ..PushQuery::default() };
    assert_eq!(open_push(&secrets, &query, b"{}", NOW, 0), Err(PushError::NotConfigured));
}

#[test]
fn a_push_encrypted_for_another_app_is_refused() {
    let other = MsgCrypt::new(super::AES_KEY, "wx0000000000000000").unwrap();
    let plain = build_plain_body(Format::Xml, &text_message());
    let encrypt = other.encrypt(&plain, RANDOM);
    let body = wrap_encrypted(Format::Xml, Mode::Safe, &plain, "gh_1", &encrypt);
    let err = open_push(&secrets(&crypt()), &Signed::encrypted(NOW, &encrypt).query(), body.as_bytes(), NOW, 0).unwrap_err();
    assert_eq!(err, PushError::Crypto(CryptoError::AppIdMismatch));
    assert_eq!((err.status(), err.code()), (400, "appid_mismatch"));
    assert!(!err.to_string().contains(APPID));
}

#[test]
fn encrypt_type_aes_without_an_encrypt_field_is_malformed() {
    let body = build_plain_body(Format::Xml, &text_message());
    let mut signed = Signed::plain(NOW);
    signed.encrypt_type = Some("aes");
    let err = open_push(&secrets(&crypt()), &signed.query(), body.as_bytes(), NOW, 0).unwrap_err();
    assert!(matches!(err, PushError::Malformed(_)), "{err}");
}

#[test]
fn a_doctype_body_is_malformed_even_when_signed() {
    let body = "<!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;\">]><xml><ToUserName>&b;</ToUserName></xml>";
    let err = open_push(&secrets(&crypt()), &Signed::plain(NOW).query(), body.as_bytes(), NOW, 0).unwrap_err();
    assert!(matches!(&err, PushError::Malformed(why) if why.contains("DOCTYPE")), "{err}");
    assert_eq!(err.status(), 400);
}

#[test]
fn a_body_that_is_neither_xml_nor_json_is_malformed() {
    for body in [&b""[..], b"success", b"[1,2]", b"\xff\xfe<"] {
        let err = open_push(&secrets(&crypt()), &Signed::plain(NOW).query(), body, NOW, 0).unwrap_err();
        assert!(matches!(err, PushError::Malformed(_)), "{err}");
    }
}

#[test]
fn the_url_check_returns_the_echostr_only_when_signed() {
    let signed = Signed::plain(NOW);
    let mut query = signed.query();
    query.echostr = Some("4815162342");
    assert_eq!(verify_echo(TOKEN, &query, NOW, 300), Ok("4815162342"));
    assert_eq!(verify_echo("other", &query, NOW, 300), Err(PushError::BadSignature));
    query.echostr = None;
    assert_eq!(verify_echo(TOKEN, &query, NOW, 300), Err(PushError::MissingParameter("echostr")));
}

#[test]
fn an_app_in_safe_or_compatible_mode_refuses_a_plaintext_push() {
    // The plaintext downgrade (issue 20, item 1): `signature` does not cover the body.
    let key = crypt();
    let body = build_plain_body(Format::Xml, &text_message());
    for mode in [PushMode::Safe, PushMode::Compatible] {
        let secrets = PushSecrets { mode, ..secrets(&key) };
        let err = open_push(&secrets, &Signed::plain(NOW).query(), body.as_bytes(), NOW, 300).unwrap_err();
        assert_eq!(err, PushError::EncryptionRequired);
        assert_eq!((err.status(), err.code()), (401, "encryption_required"));
    }
}

#[test]
fn every_mode_accepts_a_validly_encrypted_push_and_plain_mode_a_plaintext_one() {
    let key = crypt();
    let plain = build_plain_body(Format::Xml, &text_message());
    let encrypt = crypt().encrypt(&plain, RANDOM);
    let body = wrap_encrypted(Format::Xml, Mode::Safe, &plain, "gh_10f6c3c3ac5a", &encrypt);
    let signed = Signed::encrypted(NOW, &encrypt);
    for mode in [PushMode::Plain, PushMode::Compatible, PushMode::Safe] {
        let secrets = PushSecrets { mode, ..secrets(&key) };
        // Plain mode too: the console switches modes the moment it is saved.
        assert_eq!(open_push(&secrets, &signed.query(), body.as_bytes(), NOW, 300).unwrap().message, text_message());
    }
    let secrets = PushSecrets { mode: PushMode::Plain, ..secrets(&key) };
    assert!(open_push(&secrets, &Signed::plain(NOW).query(), plain.as_bytes(), NOW, 300).is_ok());
}

#[test]
fn in_compatible_mode_the_plaintext_copy_is_never_trusted() {
    let key = crypt();
    let real = text_message();
    let plain = build_plain_body(Format::Xml, &real);
    let encrypt = crypt().encrypt(&plain, RANDOM);
    let forged = PushMessage { from_user_name: "attacker".into(), content: Some("forged".into()), ..real.clone() };
    let body =
        wrap_encrypted(Format::Xml, Mode::Compatible, &build_plain_body(Format::Xml, &forged), "gh_10f6c3c3ac5a", &encrypt);
    let secrets = PushSecrets { mode: PushMode::Compatible, ..secrets(&key) };
    let incoming = open_push(&secrets, &Signed::encrypted(NOW, &encrypt).query(), body.as_bytes(), NOW, 300).unwrap();
    assert_eq!(incoming.message, real);
}

#[test]
fn the_url_check_has_the_timestamp_window_too() {
    let signed = Signed::plain(NOW - 3_600);
    let mut query = signed.query();
    query.echostr = Some("1");
    assert_eq!(verify_echo(TOKEN, &query, NOW, 300), Err(PushError::StaleTimestamp));
    assert_eq!(verify_echo(TOKEN, &query, NOW, 0), Ok("1"), "0 turns the window off");
}
