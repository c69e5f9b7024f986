use super::*;

#[test]
fn a_new_merchants_refusal_is_not_a_certificate_list() {
    let answer = r#"{"code":"RESOURCE_NOT_EXISTS","message":"无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥"}"#;
    assert!(matches!(parse_answer(answer.as_bytes()), Err(NotifyError::Malformed(_))));
}

#[test]
fn an_empty_list_is_no_certificates() {
    assert_eq!(parse_answer(br#"{"data":[]}"#).unwrap(), vec![]);
}

#[test]
fn a_plaintext_that_is_no_certificate_is_refused() {
    let listed = SealedCertificate {
        serial_no: "01".into(),
        effective_at: None,
        expires_at: None,
        sealed: Sealed { nonce: vec![], aad: vec![], ciphertext: vec![] },
    };
    assert_eq!(certificate_from_plaintext(&listed, &[0xFF], 0), Err(CertificateError::NotUtf8));
    assert!(matches!(certificate_from_plaintext(&listed, b"hello", 0), Err(CertificateError::Der(_))));
}
