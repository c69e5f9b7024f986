//! V7–V10: the AEAD_AES_256_GCM resource, opened from the envelope's text exactly as sent.

use super::keys::{V10_ANSWER, V10_APIV3_KEY};
use super::rsa_vectors::V7_BODY;
use crate::pay::certs::{certificate_from_plaintext, parse_answer, CertificateError};
use crate::pay::der::{certificate_key, pem_to_der};
use crate::pay::fields::parse_rfc3339;
use crate::pay::notify::{open, Event, Notify, NotifyError, Resource};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes128Gcm, Aes256Gcm, Nonce};
use sha2::{Digest, Sha256};

fn resource(ciphertext: &str, aad: &str, nonce: &str) -> Resource {
    Resource {
        algorithm: "AEAD_AES_256_GCM".into(),
        ciphertext: ciphertext.into(),
        associated_data: aad.into(),
        nonce: nonce.into(),
        original_type: String::new(),
    }
}

/// V7 and V8 use 16-byte keys (AES-128-GCM): they check how the envelope's text becomes the
/// cipher's bytes, which is the same for both key sizes.
fn open_128(key: &[u8], resource: &Resource) -> Option<Vec<u8>> {
    let sealed = resource.sealed().ok()?;
    let cipher = Aes128Gcm::new_from_slice(key).ok()?;
    cipher.decrypt(Nonce::from_slice(&sealed.nonce), Payload { msg: &sealed.ciphertext, aad: &sealed.aad }).ok()
}

#[test]
fn v7_the_notify_envelope_parses_and_its_resource_opens() {
    let notify = Notify::parse(V7_BODY.as_bytes()).unwrap();
    assert_eq!(notify.id, "3119dfba-e649-5eec-ab1e-3412bc4d2e17");
    assert_eq!(notify.event(), Event::Other("PAYSCORE.USER_OPEN_SERVICE".into()));
    assert_eq!(notify.resource.original_type, "payscore");
    let plain = open_128(b"testMchAPIv3Key0", &notify.resource).expect("decrypts");
    assert_eq!(
        plain,
        br#"{"mchid":"1234567890","appid":"054aa7d7a2a54ab5898df65bd96f001c","create_time":"2020-06-30T12:12:00+08:00","out_contract_code":"21640bdbd08e473e828f3206a2741c6e"}"#
    );
    // The 256-bit path refuses a 16-byte key: the APIv3 key is always 32 bytes.
    assert_eq!(open(b"testMchAPIv3Key0", &notify.resource.sealed().unwrap()), Err(NotifyError::Decrypt));
}

#[test]
fn v8_a_wrong_or_malformed_key_is_refused() {
    let r = resource("FsdXzxryWfKwvLJKf8LG/ToRPTRh8RN9wROC", "Dl56FrqWQJF1t9LtC3vEUsniZKvbqdR8", "wCq51qZv4Yfg");
    assert_eq!(open_128(b"testAPIv3Key0000", &r).as_deref(), Some(&b"Hello World"[..]));
    assert_eq!(open_128(b"testAPIv3Key1111", &r), None);
    assert_eq!(open(b"testAPIv3Key0", &r.sealed().unwrap()), Err(NotifyError::Decrypt), "a 13-byte key");
}

#[test]
fn v9_aes_256_gcm_with_a_32_byte_apiv3_key_round_trips() {
    let key = b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";
    let r = resource("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=", "associatedData", "uluk4a9R25RW");
    let sealed = r.sealed().unwrap();
    assert_eq!(sealed.ciphertext.len(), 23, "7 bytes and the 16-byte tag");
    assert_eq!(open(key, &sealed).unwrap(), b"message");

    let cipher = Aes256Gcm::new_from_slice(key).unwrap();
    let again = cipher.encrypt(Nonce::from_slice(b"uluk4a9R25RW"), Payload { msg: b"message", aad: b"associatedData" }).unwrap();
    assert_eq!(again, sealed.ciphertext);

    let bad_aad = resource("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=", "bad-associatedData", "uluk4a9R25RW");
    assert_eq!(open(key, &bad_aad.sealed().unwrap()), Err(NotifyError::Decrypt));
    let bad_nonce = resource("ulwSiIajGClcvcOYvOQ7+l+0PAbzzwI=", "associatedData", "bad-4a9R25RW");
    assert_eq!(open(key, &bad_nonce.sealed().unwrap()), Err(NotifyError::Decrypt));
}

#[test]
fn v10_the_certificates_answer_opens_to_a_certificate_with_its_listed_serial_and_key() {
    let listed = parse_answer(V10_ANSWER.as_bytes()).unwrap();
    assert_eq!(listed.len(), 1);
    let cert = &listed[0];
    assert_eq!(cert.serial_no, "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC");
    assert_eq!(cert.sealed.aad, b"certificate");
    assert_eq!(cert.sealed.nonce, b"14b16c03dc1b");
    assert_eq!(cert.effective_at, parse_rfc3339("2023-09-19T23:15:58+08:00"));

    let pem = open(V10_APIV3_KEY.as_bytes(), &cert.sealed).unwrap();
    assert_eq!(pem.len(), 1475);
    assert_eq!(hex::encode(Sha256::digest(&pem)), "8693813ac0735cb54b6e67f25086a5924c103712255b8857049b8e502d564eb4");
    let der = pem_to_der(std::str::from_utf8(&pem).unwrap(), "CERTIFICATE").unwrap();
    assert!(der.windows(15).any(|w| w == b"Tenpay.com sign"), "subject CN");

    let now = parse_rfc3339("2025-01-01T00:00:00+08:00").unwrap();
    let key = certificate_from_plaintext(cert, &pem, now).unwrap();
    assert_eq!(key.serial, "5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC");
    assert_eq!(key, certificate_key(&der).unwrap());
    // The SPKI taken out of the certificate is a key the RSA code (and WebCrypto) imports.
    use rsa::pkcs8::DecodePublicKey;
    let public = rsa::RsaPublicKey::from_public_key_der(&key.spki).unwrap();
    assert_eq!(rsa::traits::PublicKeyParts::size(&public), 256);

    let expired = parse_rfc3339("2028-09-18T00:00:00+08:00").unwrap();
    assert_eq!(certificate_from_plaintext(cert, &pem, expired), Err(CertificateError::NotValidNow));
    let mut relisted = cert.clone();
    relisted.serial_no = "440024045C4A427599D09BB4E3DE0279F2E813FD".into();
    assert_eq!(certificate_from_plaintext(&relisted, &pem, now), Err(CertificateError::SerialMismatch));
    let wrong_key = open(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gc", &cert.sealed);
    assert_eq!(wrong_key, Err(NotifyError::Decrypt));
}
