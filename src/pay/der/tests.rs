use super::*;

const SPKI_PEM: &str = crate::pay::tests::keys::K_GO_PUBLIC;

#[test]
fn pem_survives_crlf_escaped_newlines_and_surrounding_text() {
    let der = pem_to_der(SPKI_PEM, "PUBLIC KEY").unwrap();
    assert_eq!(der.len(), 294);
    assert_eq!(pem_to_der(&SPKI_PEM.replace('\n', "\r\n"), "PUBLIC KEY").unwrap(), der);
    assert_eq!(pem_to_der(&SPKI_PEM.replace('\n', "\\n"), "PUBLIC KEY").unwrap(), der);
    assert_eq!(pem_to_der(&format!("comment\n{SPKI_PEM}\n"), "PUBLIC KEY").unwrap(), der);
    assert_eq!(pem_to_der(&der_to_pem(&der, "PUBLIC KEY"), "PUBLIC KEY").unwrap(), der);
    check_spki_rsa(&der).unwrap();
}

#[test]
fn the_wrong_pem_label_is_named() {
    let err = pem_to_der(SPKI_PEM, "PRIVATE KEY").unwrap_err();
    assert_eq!(err, DerError::NoPemBlock { expected: "PRIVATE KEY", found: Some("PUBLIC KEY".into()) });
    assert!(err.to_string().contains("PUBLIC KEY"));
    let rsa = "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----";
    assert!(pem_to_der(rsa, "PRIVATE KEY").unwrap_err().to_string().contains("RSA PRIVATE KEY"));
    assert!(matches!(pem_to_der("not pem", "PUBLIC KEY"), Err(DerError::NoPemBlock { found: None, .. })));
    assert_eq!(pem_to_der("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----", "PUBLIC KEY"), Err(DerError::Base64));
}

#[test]
fn a_public_key_is_not_a_private_key_and_truncated_der_is_refused() {
    let der = pem_to_der(SPKI_PEM, "PUBLIC KEY").unwrap();
    assert!(check_pkcs8_rsa(&der).is_err());
    for cut in [0, 1, 2, 10, 100, der.len() - 1] {
        assert!(check_spki_rsa(&der[..cut]).is_err(), "cut at {cut}");
    }
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(check_spki_rsa(&trailing).is_err());
    assert!(certificate_key(&der).is_err(), "a key is not a certificate");
}

#[test]
fn the_reader_refuses_indefinite_and_oversized_lengths() {
    assert!(Reader::new(&[0x30, 0x80, 0x00, 0x00]).any().is_err());
    assert!(Reader::new(&[0x30, 0x85, 1, 1, 1, 1, 1]).any().is_err());
    assert!(Reader::new(&[0x1F, 0x01, 0x00]).any().is_err());
    let tlv = Reader::new(&[0x02, 0x81, 0x01, 0x05]).any().unwrap();
    assert_eq!((tlv.tag, tlv.content, tlv.raw.len()), (0x02, &[5u8][..], 4));
}
