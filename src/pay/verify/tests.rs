use super::*;

fn signed(timestamp: &str, signature: &str) -> SignedHeaders {
    SignedHeaders { timestamp: timestamp.into(), nonce: "n".into(), signature: signature.into(), serial: "PUB_KEY_ID_1".into() }
}

#[test]
fn every_header_is_required() {
    let all = |name: &str| Some(format!("{name}-value"));
    assert!(SignedHeaders::read(&all).is_ok());
    for missing in ["Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature", "Wechatpay-Serial"] {
        let without = |name: &str| (name != missing).then(|| "x".to_owned());
        assert_eq!(SignedHeaders::read(&without), Err(VerifyError::MissingHeader(missing)));
        let blank = |name: &str| Some(if name == missing { " ".to_owned() } else { "x".to_owned() });
        assert_eq!(SignedHeaders::read(&blank), Err(VerifyError::MissingHeader(missing)));
    }
}

#[test]
fn the_window_is_absolute_and_excludes_its_edge() {
    let h = signed("1000", "");
    assert_eq!(h.check_fresh(1299, 300), Ok(1000));
    assert_eq!(h.check_fresh(701, 300), Ok(1000));
    assert_eq!(h.check_fresh(1300, 300), Err(VerifyError::Stale { skew: 300 }));
    assert_eq!(h.check_fresh(700, 300), Err(VerifyError::Stale { skew: 300 }));
    assert_eq!(h.check_fresh(99_999, 0), Ok(1000));
    for bad in ["1000000000000", "-1", "+1000", "1e3", "１０００"] {
        let r = signed(bad, "").check_fresh(1000, 300);
        assert!(matches!(r, Err(VerifyError::BadTimestamp) | Err(VerifyError::Stale { .. })), "{bad}: {r:?}");
    }
    assert_eq!(signed("abc", "").check_fresh(0, 0), Err(VerifyError::BadTimestamp));
}

#[test]
fn probes_and_undecodable_signatures_are_refused_before_any_key() {
    assert_eq!(signed("1", "WECHATPAY/SIGNTEST/abcdefg==").signature_bytes(), Err(VerifyError::Probe));
    assert_eq!(signed("1", "not base64!").signature_bytes(), Err(VerifyError::BadSignatureEncoding));
    assert_eq!(signed("1", "c2ln").signature_bytes(), Err(VerifyError::BadSignatureEncoding), "3 bytes is no RSA-2048 signature");
    let good = base64::engine::general_purpose::STANDARD.encode([7u8; 256]);
    assert_eq!(signed("1", &good).signature_bytes(), Ok(vec![7u8; 256]));
}

#[test]
fn the_message_is_over_raw_bytes_with_an_empty_line_for_no_body() {
    assert_eq!(verification_message("1", "n", b""), b"1\nn\n\n");
    assert_eq!(verification_message("1", "n", &[0xFF, b'{']), b"1\nn\n\xFF{\n");
}

#[test]
fn the_key_ring_holds_both_modes_and_picks_by_serial_only() {
    let mut ring = KeyRing::default();
    assert_eq!(ring.request_serial(), None);
    ring.add("PUB_KEY_ID_01", KeyKind::PublicKey, vec![1]);
    ring.add("abcdef", KeyKind::Certificate, vec![2]);
    ring.add("ABCDEF", KeyKind::Certificate, vec![3]);
    assert_eq!(ring.names().len(), 2, "a certificate re-added replaces the old one");
    assert_eq!(ring.select("PUB_KEY_ID_01"), Ok((KeyKind::PublicKey, &[1u8][..])));
    assert_eq!(ring.select("abcdef"), Ok((KeyKind::Certificate, &[3u8][..])));
    assert_eq!(ring.select("PUB_KEY_ID_02"), Err(VerifyError::UnknownSerial("PUBKEYID02".into())));
    assert_eq!(ring.request_serial(), Some("PUB_KEY_ID_01"));
    // A certificate listed under a PUB_KEY_ID name is never used as the public key.
    let mut odd = KeyRing::default();
    odd.add("PUB_KEY_ID_02", KeyKind::Certificate, vec![4]);
    assert!(odd.select("PUB_KEY_ID_02").is_err());
}
