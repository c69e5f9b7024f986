//! V1–V7 and V11: the signed strings, byte for byte, under the published keys.

use super::keys::{K_GO_PUBLIC, K_JAVA_MERCHANT, K_OFFICIAL, K_WXPUB};
use super::{rsa_sign, rsa_verify, spki_of};
use crate::pay::config::{PayConfig, PublicKey};
use crate::pay::der::{check_pkcs8_rsa, check_spki_rsa, pem_to_der};
use crate::pay::sign::{pay_sign_message, request_message, Authorization, PaymentParams};
use crate::pay::verify::{KeyKind, KeyRing, SignedHeaders, VerifyError};
use std::collections::HashMap;

const V1_PAY_SIGN: &str = "mI35pfNEQV6777ke/1T+LJLQDNTm7yeoUJH+j/adPGhmCCi0PbgkvYQTRcXH0uibcLVtvFLdGLpmoYO9FV6lBBsTAjuhh5YOvQi0e2g3e0yytitiNET9FEuqM0pjnKfRW4K6LIZDdbWJv9KhZUx3DrJa5TL7OJ7VdADVivxVySIlPVKjGwuCXzuXSJes0UcILgWQUMyha5/3nYofuHtS7r+KYyMuxD+oJ9VM1Qdxk4UIG59CP5Y3wtYIFybyF3bdu1caHTRRX+DLyMXyYA/IrTmiW01c4RPjpHBX5Dk1sZyY1zVsWNsvMHr2e1NTWtBxKJ+qk5N61J7caYoepHFaxw==";

#[test]
fn v1_the_mini_program_pay_sign_matches_the_official_example() {
    let message = pay_sign_message(
        "wx2421b1c4370ec43b",
        1554208460,
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        "wx201410272009395522657a690389285100",
    );
    assert_eq!(
        message,
        "wx2421b1c4370ec43b\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\nprepay_id=wx201410272009395522657a690389285100\n"
    );
    let pay_sign = rsa_sign(K_OFFICIAL, message.as_bytes());
    assert_eq!(pay_sign, V1_PAY_SIGN);

    let params =
        PaymentParams::new(1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", "wx201410272009395522657a690389285100", pay_sign);
    let json = serde_json::to_value(&params).unwrap();
    assert_eq!(json["timeStamp"], "1554208460");
    assert_eq!(json["nonceStr"], "593BEC0C930BF1AFEB40B4A08C8FB242");
    assert_eq!(json["package"], "prepay_id=wx201410272009395522657a690389285100");
    assert_eq!(json["signType"], "RSA");
    assert_eq!(json["paySign"], V1_PAY_SIGN);
    assert_eq!(json.as_object().unwrap().len(), 5, "the mini-program passes exactly five parameters");
}

#[test]
fn v2_the_app_variant_signs_something_else_and_does_not_verify_as_a_mini_program_sign() {
    let app_message = "wx2421b1c4370ec43b\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\nwx201410272009395522657a690389285100\n";
    let app_sign = rsa_sign(K_OFFICIAL, app_message.as_bytes());
    assert!(app_sign.starts_with("gXx9KhTP") && app_sign.ends_with("LShaCK+lS3Q=="), "V2's published value");
    assert_ne!(app_sign, V1_PAY_SIGN);

    let public = public_spki_of(K_OFFICIAL);
    let mini = pay_sign_message(
        "wx2421b1c4370ec43b",
        1554208460,
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        "wx201410272009395522657a690389285100",
    );
    let app_bytes = base64_decode(&app_sign);
    assert!(!rsa_verify(&public, &app_bytes, mini.as_bytes()), "a paySign verifier given V2 must reject it");
    assert!(rsa_verify(&public, &base64_decode(V1_PAY_SIGN), mini.as_bytes()));
}

#[test]
fn v3_the_request_signature_of_a_jsapi_order_matches() {
    let body = r#"{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}"#;
    let message = request_message("post", "/v3/pay/transactions/jsapi", 1554208460, "593BEC0C930BF1AFEB40B4A08C8FB242", body);
    assert!(message.starts_with("POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{"));
    assert!(message.ends_with("}\n"));
    let signature = rsa_sign(K_OFFICIAL, message.as_bytes());
    assert_eq!(signature, "jnks4dlrPw3ZX+ozVvSK39oa0t7OMBsg83BHAwd8BRdUFiVaQNTLTvci+wURgP1OQBbKYhFGvt7iqYpDSTQkp7Uq1sltaQKyncCyrA1g88m5bsKERQfPyT0ahSwKTYJ1CAn9QiJuSJRq1QsQs07eehbU/k9BCS51jTyc1Jpsi2H77HF9f/BnjXAOP3/sPObg6V5Ee4EzwLox684hhuMuIwHo7D8KFk3LIHOKDcNI4It1aCXydFWNpNK+SG86VUDe5kwoDpw4Ulqfu9z8OFDGbDs9TCxEv8iqQzbpxOlEVoOe2kalSYM5kApQb3nZcxdUtoE0liJGW3RGUNE0t4v01A==");

    // The same body, built by our order code from the same fields, is byte-identical.
    let order = crate::pay::order::JsapiOrder {
        appid: "wxd678efh567hg6787".into(),
        mchid: "1900007291".into(),
        description: "Image形象店-深圳腾大-QQ公仔".into(),
        out_trade_no: "1217752501201407033233368018".into(),
        time_expire: None,
        attach: None,
        notify_url: "https://www.weixin.qq.com/wxpay/pay.php".into(),
        amount: crate::pay::order::OrderAmount { total: 100, currency: "CNY".into() },
        payer: crate::pay::order::Payer { openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into() },
    };
    assert_eq!(order.body(), body);
}

#[test]
fn v4_the_go_sdk_signature_verifies_under_its_public_key_and_not_for_another_message() {
    let signature = base64_decode("BKyAfU4iMCuvXMXS0Wzam3V/cnxZ+JaqigPM5OhljS2iOT95OO6Fsuml2JkFANJU9K6q9bLlDhPXuoVz+pp4hAm6pHU4ld815U4jsKu1RkyaII+1CYBUYC8TK0XtJ8FwUXXz8vZHh58rrAVN1XwNyvD1vfpxrMT4SL536GLwvpUHlCqIMzoZUguLli/K8V29QiOhuH6IEqLNJn8e9b3nwNcQ7be3CzYGpDAKBfDGPCqCv8Rw5zndhlffk2FEA70G4hvMwe51qMN/RAJbknXG23bSlObuTCN7Ndj1aJGH6/L+hdwfLpUtJm4QYVazzW7DFD27EpSQEqA8bX9+8m1rLg==");
    let spki = spki_of(K_GO_PUBLIC);
    assert!(rsa_verify(&spki, &signature, b"source"));
    assert!(!rsa_verify(&spki, &signature, b"wrong source"));
}

#[test]
fn v5_the_java_sdk_merchant_key_signs_message_as_published() {
    let expected = "Rq+5ZpWV6IHTWE1+9gCrYJKguNgbItpMdlIA+PVCPCdUAKNlohZz7CL7Y8xWDIFJjdGnErMj6Z+Q/h9CF5MV+nAVkqDmBR0uP5pp\
                    sUEzco4ijvKHsvI2ro4boSW6vSfQs3W8I4QSI9a0/NFIgvj83Fv27LIYZf7deaFWmEwd1fpAeJRCyoKyBeJPdsjVx0//Lqe6\
                    Wze2zVdliLcBvaHCfpd8+rAVGS+FQDeWgHqJ7n/Zy09LmV1/ghs7pO1mdjdD16SHKlysAD3K5hNGUJX/SHrEXEcu1yO1AOb/\
                    YvOVkjNh8243rcfXNE5L4ph2XS11vS+2aToKYSOcKUagf0LLaw==";
    assert_eq!(rsa_sign(K_JAVA_MERCHANT, b"message"), expected);
}

const V6_SIGNATURE: &str = "mfI1CPqvBrgcXfgXMFjdNIhBf27ACE2YyeWsWV9ZI7T7RU0vHvbQpu9Z32ogzc+k8ZC5n3kz7h70eWKjgqNdKQF0eRp8mVKlmfzMLBVHbssB9jEZEDXThOX1XFqX7s7ymia1hoHQxQagPGzkdWxtlZPZ4ZPvr1RiqkgAu6Is8MZgXXrRoBKqjmSdrP1N7uxzJ/cjfSiis9FiLjuADoqmQ1P7p2N876YPAol7Rn0+GswwAwxldbdLrmVSjfytfSBJFqTMHn4itojgxSWWN1byuckQt8hSTEv/Lg97QoeGniYP17T80pJeQyL3b+295FPHSO2AtvCgyIbKMZ0BALilAA==";
const V6_KEY_ID: &str = "PUB_KEY_ID_0000000000000024101100397200000006";

fn headers(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
    move |name: &str| map.get(&name.to_ascii_lowercase()).cloned()
}

#[test]
fn v6_an_answer_signed_with_the_wechat_pay_public_key_verifies_through_the_key_ring() {
    let get = headers(&[
        ("Wechatpay-Timestamp", "1722850421"),
        ("Wechatpay-Nonce", "d824f2e086d3c1df967785d13fcd22ef"),
        ("Wechatpay-Serial", V6_KEY_ID),
        ("Wechatpay-Signature", V6_SIGNATURE),
    ]);
    let body = br#"{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz1"}"#;
    let signed = SignedHeaders::read(&get).unwrap();
    assert_eq!(signed.check_fresh(1722850421 + 10, 0), Ok(1722850421), "the 5-minute check is skipped with window 0");
    assert_eq!(signed.check_fresh(1722850421 + 300, 300), Err(VerifyError::Stale { skew: 300 }));

    let mut ring = KeyRing::default();
    ring.add(V6_KEY_ID, KeyKind::PublicKey, spki_of(K_WXPUB));
    ring.add("5DEA10EF55877E3CF6C33255C2E7DEFFF7E427EC", KeyKind::Certificate, spki_of(K_GO_PUBLIC));
    let (kind, spki) = ring.select(&signed.serial).unwrap();
    assert_eq!(kind, KeyKind::PublicKey);
    let signature = signed.signature_bytes().unwrap();
    assert!(rsa_verify(spki, &signature, &signed.message(body)));
    assert!(!rsa_verify(spki, &signature, &signed.message(br#"{"code_url":"weixin://wxpay/bizpayurl?pr=JyC91EIz2"}"#)));
    // The certificate in the ring does not verify it: the serial picks the key, nothing else.
    let (_, other) = ring.select("5dea10ef55877e3cf6c33255c2e7defff7e427ec").unwrap();
    assert!(!rsa_verify(other, &signature, &signed.message(body)));
}

pub const V7_BODY: &str = r#"{"id":"3119dfba-e649-5eec-ab1e-3412bc4d2e17","create_time":"2021-06-24T16:37:26+08:00","resource_type":"encrypt-resource","event_type":"PAYSCORE.USER_OPEN_SERVICE","summary":"签约成功","resource":{"original_type":"payscore","algorithm":"AEAD_AES_256_GCM","ciphertext":"YDS3lKPaC4Y52Gf3uhft5qUBlIa8b428AWTtTauHQfQrRw+X1WpiuHIDy0vo1Vd6VEq67aVyqPdDYMkRVSDaZL3iZttevRMOoPKMifozg6XPWjIZumks/GpT48lI4NizyeaqLBokNebthah3o1H76qSlO9NkDjp9bzmKLEYYH9TEklFUpsvPqOTOcgSLgh21YJXYR7dEBXFgRLiNIKRgO5JdXh1hccRUAlyVWxE54PXpnQ==","associated_data":"payscore","nonce":"Kj7QIyUiYx1q"}}"#;

#[test]
fn v7_a_full_notify_verifies_over_its_raw_body_with_the_certificate_its_serial_names() {
    assert_eq!(V7_BODY.len(), 568);
    let get = headers(&[
        ("wechatpay-timestamp", "1624523846"),
        ("WECHATPAY-NONCE", "EcZ9Cmy4Xyx1i6RlJQzLcCyEqDa26NBz"),
        ("Wechatpay-Serial", "D7CE59D1F522D701"),
        ("Wechatpay-Signature", "tJHIiIS9eB2hAYstmAmbbD3ZE5LiIm/Ug5tuL4fC0YOFRWIHV39UFIZXC0e9Wl6lBu6sKvkqDkzpqzBsVHyXFlbYZTOQrVdG4b6LfTnK4mikv9++ixJMd3vTf2yCqvBkh98zs3Ds5zsYQakzbcwhmw4fMJs4nPLws28H0UW9FjDR//rxELLwXvV1VEA1IBLX70xptjL8hrfUjEE8kkry6yNJTHZRU8CAc7qHli2Ng1V1qb9ARbK8A3ThmFmPQvRGrapI/jS2laKKgYUmfdEdkNO6B2Cke5e8VTxY406ArAmQ90GAihDwIcb16TQMnzCMBoutnwZKNiKRACrFmtxw2Q=="),
    ]);
    let signed = SignedHeaders::read(&get).unwrap();
    assert_eq!(signed.check_fresh(1624523846, 300), Ok(1624523846), "the test clock is fixed at the notify's time");
    let mut ring = KeyRing::default();
    ring.add("D7CE59D1F522D701", KeyKind::Certificate, spki_of(K_GO_PUBLIC));
    let (_, spki) = ring.select(&signed.serial).unwrap();
    let signature = signed.signature_bytes().unwrap();
    assert!(rsa_verify(spki, &signature, &signed.message(V7_BODY.as_bytes())));

    // One byte changed in the body, or the body re-serialised, and it no longer verifies.
    let tampered = V7_BODY.replace("签约成功", "签约失败");
    assert!(!rsa_verify(spki, &signature, &signed.message(tampered.as_bytes())));
    let reserialised = serde_json::from_str::<serde_json::Value>(V7_BODY).unwrap().to_string();
    assert_ne!(reserialised, V7_BODY, "serde_json reorders keys: exactly the pitfall");
    assert!(!rsa_verify(spki, &signature, &signed.message(reserialised.as_bytes())));

    // A public key id never selects a certificate, and an unknown serial is an error.
    assert!(matches!(ring.select("PUB_KEY_ID_0000000000000024101100397200000006"), Err(VerifyError::UnknownSerial(_))));
    assert!(matches!(ring.select("0123"), Err(VerifyError::UnknownSerial(_))));
}

#[test]
fn v11_the_authorization_message_and_header_carry_the_five_values() {
    let message = request_message("GET", "/v3/certificates", 1624523846, "A1B2C3D4E5F6G7", "");
    assert_eq!(message, "GET\n/v3/certificates\n1624523846\nA1B2C3D4E5F6G7\n\n");
    let with_body = request_message("POST", "/v3/certificates", 1624523846, "A1B2C3D4E5F6G7", "Hello World!\n");
    assert!(with_body.ends_with("Hello World!\n\n"));

    let mock_signature = format!("Sign:{message}");
    let auth = Authorization {
        mchid: "1234567890",
        nonce: "A1B2C3D4E5F6G7",
        timestamp: 1624523846,
        serial_no: "0123456789ABC",
        signature: &mock_signature,
    };
    let header = auth.header();
    let params = header.strip_prefix("WECHATPAY2-SHA256-RSA2048 ").expect("the scheme, one space");
    // V11's expected pairs (its scheme is the mock signer's); the order of pairs is free.
    let expected = r#"mchid="1234567890",nonce_str="A1B2C3D4E5F6G7",timestamp="1624523846",serial_no="0123456789ABC",signature="Sign:GET
/v3/certificates
1624523846
A1B2C3D4E5F6G7

""#;
    let mut ours = split_pairs(params);
    let mut theirs = split_pairs(expected);
    ours.sort();
    theirs.sort();
    assert_eq!(ours, theirs);
    assert!(!params.contains(", "), "pairs are separated without spaces");
}

fn split_pairs(params: &str) -> Vec<String> {
    // Values here contain no `",` sequence, so this split is exact.
    params.split("\",").map(|p| p.trim_end_matches('"').to_owned()).collect()
}

#[test]
fn the_official_test_key_and_public_keys_pass_the_configuration_checks() {
    check_pkcs8_rsa(&pem_to_der(K_OFFICIAL, "PRIVATE KEY").unwrap()).unwrap();
    check_pkcs8_rsa(&pem_to_der(K_JAVA_MERCHANT, "PRIVATE KEY").unwrap()).unwrap();
    for public in [K_GO_PUBLIC, K_WXPUB] {
        check_spki_rsa(&spki_of(public)).unwrap();
    }
    let lookup = |name: &str| -> Option<String> {
        match name {
            "WECHATPAY_MCHID" => Some("1900007291".into()),
            "WECHATPAY_CERT_SERIAL" => Some("408b07e79b8269fec3d5d3e6ab8ed163a6a380db".into()),
            "WECHATPAY_PRIVATE_KEY" => Some(K_OFFICIAL.replace('\n', "\\n")),
            "WECHATPAY_APIV3_KEY" => Some("a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb".into()),
            "WECHATPAY_PUBLIC_KEY_ID" => Some(V6_KEY_ID.into()),
            "WECHATPAY_PUBLIC_KEY" => Some(K_WXPUB.into()),
            _ => None,
        }
    };
    let config = PayConfig::from_lookup(&lookup, "").unwrap();
    assert_eq!(config.cert_serial, "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB");
    assert_eq!(config.public_key, Some(PublicKey { id: V6_KEY_ID.into(), spki: spki_of(K_WXPUB) }));
    // The DER read from a one-line, `\n`-escaped secret signs exactly as the PEM does.
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let key = rsa::RsaPrivateKey::from_pkcs8_der(config.private_key.expose()).unwrap();
    let signature = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let message = pay_sign_message(
        "wx2421b1c4370ec43b",
        1554208460,
        "593BEC0C930BF1AFEB40B4A08C8FB242",
        "wx201410272009395522657a690389285100",
    );
    assert_eq!(base64_encode(&signature.sign(message.as_bytes()).to_bytes()), V1_PAY_SIGN);
    assert_eq!(KeyRing::from_config(&config).request_serial(), Some(V6_KEY_ID));
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).unwrap()
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The SPKI DER of a PKCS#8 private key's public half.
fn public_spki_of(private_pem: &str) -> Vec<u8> {
    use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
    let key = rsa::RsaPrivateKey::from_pkcs8_der(&pem_to_der(private_pem, "PRIVATE KEY").unwrap()).unwrap();
    key.to_public_key().to_public_key_der().unwrap().as_bytes().to_vec()
}
