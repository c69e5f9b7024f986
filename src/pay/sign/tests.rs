use super::*;

#[test]
fn the_request_message_ends_every_line_including_the_last() {
    assert_eq!(request_message("get", "/v3/certificates?x=1", 1, "n", ""), "GET\n/v3/certificates?x=1\n1\nn\n\n");
    assert_eq!(request_message("POST", "/p", 2, "n", "{}"), "POST\n/p\n2\nn\n{}\n");
}

#[test]
fn the_authorization_header_quotes_five_pairs_without_spaces() {
    let header =
        Authorization { mchid: "1900007291", nonce: "abc", timestamp: 1554208460, serial_no: "408B", signature: "c2ln" }.header();
    assert_eq!(
        header,
        r#"WECHATPAY2-SHA256-RSA2048 mchid="1900007291",nonce_str="abc",signature="c2ln",timestamp="1554208460",serial_no="408B""#
    );
}

#[test]
fn nonces_are_32_alphanumerics() {
    let a = nonce_from(&[0u8; 24]);
    let b = nonce_from(&[0xFFu8; 24]);
    let c = nonce_from(&core::array::from_fn(|i| (i as u8).wrapping_mul(37)));
    for n in [&a, &b, &c] {
        assert_eq!(n.len(), 32);
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
    assert_ne!(a, c);
}

#[test]
fn pay_sign_message_signs_the_package() {
    assert_eq!(pay_sign_message("wx1", 5, "n", "wx2"), "wx1\n5\nn\nprepay_id=wx2\n");
    let p = PaymentParams::new(5, "n", "wx2", "sig".into());
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"timeStamp":"5","nonceStr":"n","package":"prepay_id=wx2","signType":"RSA","paySign":"sig"}"#
    );
}
