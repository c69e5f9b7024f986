use super::*;
use crate::pay::model::TradeState;

const KEY: &[u8; 32] = b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb";

fn seal(plaintext: &str, aad: &str, nonce: &str) -> String {
    let cipher = Aes256Gcm::new_from_slice(KEY).unwrap();
    STANDARD.encode(
        cipher.encrypt(Nonce::from_slice(nonce.as_bytes()), Payload { msg: plaintext.as_bytes(), aad: aad.as_bytes() }).unwrap(),
    )
}

fn payment(total: u64, mchid: &str) -> String {
    format!(
        r#"{{"mchid":"{mchid}","appid":"wx1","out_trade_no":"order_1","transaction_id":"4200000001","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"OTHERS","attach":"","success_time":"2024-01-01T10:00:00+08:00","payer":{{"openid":"o1"}},"amount":{{"total":{total},"payer_total":{total},"currency":"CNY","payer_currency":"CNY"}}}}"#
    )
}

fn envelope(ciphertext: &str, event: &str, algorithm: &str) -> String {
    format!(
        r#"{{"id":"e1f1","create_time":"2024-01-01T10:00:01+08:00","resource_type":"encrypt-resource","event_type":"{event}","summary":"支付成功","resource":{{"original_type":"transaction","algorithm":"{algorithm}","ciphertext":"{ciphertext}","associated_data":"transaction","nonce":"JiRoi3NoMIPo"}}}}"#
    )
}

const EXPECTED: Expected<'static> = Expected { mchid: "1900007291", appid: "wx1", out_trade_no: "order_1", total: 100 };

#[test]
fn a_payment_notify_opens_and_matches_our_order() {
    let body =
        envelope(&seal(&payment(100, "1900007291"), "transaction", "JiRoi3NoMIPo"), "TRANSACTION.SUCCESS", AEAD_AES_256_GCM);
    let notify = Notify::parse(body.as_bytes()).unwrap();
    assert_eq!(notify.event(), Event::TransactionSuccess);
    let plain = open(KEY, &notify.resource.sealed().unwrap()).unwrap();
    let tx = check_payment(&plain, EXPECTED).unwrap();
    assert_eq!(tx.trade_state, TradeState::Success);
    assert_eq!(tx.transaction_id.as_deref(), Some("4200000001"));
}

#[test]
fn a_notify_that_is_not_about_our_order_changes_nothing() {
    let check = |plain: String| check_payment(plain.as_bytes(), EXPECTED).unwrap_err();
    assert_eq!(check(payment(1, "1900007291")), NotifyError::Mismatch("amount.total"));
    assert_eq!(check(payment(100, "1900000000")), NotifyError::Mismatch("mchid"));
    assert_eq!(check(payment(100, "1900007291").replace("\"wx1\"", "\"wx2\"")), NotifyError::Mismatch("appid"));
    assert_eq!(check(payment(100, "1900007291").replace("order_1", "order_2")), NotifyError::Mismatch("out_trade_no"));
    assert_eq!(check(payment(100, "1900007291").replace("\"SUCCESS\"", "\"NOTPAY\"")), NotifyError::Mismatch("trade_state"));
    assert!(matches!(check("{}".into()), NotifyError::Plaintext(_)));
}

#[test]
fn the_envelope_is_refused_before_decryption_when_it_is_not_aes_gcm() {
    let body = envelope("AAAA", "TRANSACTION.SUCCESS", "AEAD_AES_128_GCM");
    assert_eq!(Notify::parse(body.as_bytes()).unwrap().resource.sealed(), Err(NotifyError::Algorithm));
    let short = envelope("AAAA", "TRANSACTION.SUCCESS", AEAD_AES_256_GCM);
    assert!(matches!(Notify::parse(short.as_bytes()).unwrap().resource.sealed(), Err(NotifyError::Malformed(_))));
    assert!(matches!(Notify::parse(b"{\"id\":1}"), Err(NotifyError::Malformed(_))));
    assert!(matches!(Notify::parse(&vec![b' '; MAX_NOTIFY_BODY + 1]), Err(NotifyError::Malformed("too large"))));
}

#[test]
fn a_tampered_ciphertext_or_wrong_key_does_not_decrypt() {
    let good = seal(&payment(100, "1900007291"), "transaction", "JiRoi3NoMIPo");
    let mut bytes = STANDARD.decode(&good).unwrap();
    bytes[3] ^= 1;
    let body = envelope(&STANDARD.encode(&bytes), "TRANSACTION.SUCCESS", AEAD_AES_256_GCM);
    let sealed = Notify::parse(body.as_bytes()).unwrap().resource.sealed().unwrap();
    assert_eq!(open(KEY, &sealed), Err(NotifyError::Decrypt));
    let body = envelope(&good, "TRANSACTION.SUCCESS", AEAD_AES_256_GCM);
    let sealed = Notify::parse(body.as_bytes()).unwrap().resource.sealed().unwrap();
    assert_eq!(open(b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8GX", &sealed), Err(NotifyError::Decrypt));
}

#[test]
fn a_refund_notice_is_checked_against_our_refund() {
    let plain = r#"{"mchid":"1900007291","transaction_id":"42","out_trade_no":"order_1","refund_id":"50","out_refund_no":"r1","refund_status":"SUCCESS","success_time":"2024-01-01T10:00:00+08:00","user_received_account":"支付用户零钱","amount":{"total":100,"refund":40,"payer_total":100,"payer_refund":40}}"#.as_bytes();
    assert!(check_refund_notice(plain, "1900007291", "order_1", "r1", 40).is_ok());
    assert_eq!(
        check_refund_notice(plain, "1900007291", "order_1", "r1", 41).unwrap_err(),
        NotifyError::Mismatch("amount.refund")
    );
    assert_eq!(
        check_refund_notice(plain, "1900007291", "order_1", "r2", 40).unwrap_err(),
        NotifyError::Mismatch("out_refund_no")
    );
    assert_eq!(check_refund_notice(plain, "1", "order_1", "r1", 40).unwrap_err(), NotifyError::Mismatch("mchid"));
}

#[test]
fn success_is_a_bare_204_and_only_retries_carry_fail() {
    assert_eq!((NotifyReply::Ack.status(), NotifyReply::Ack.body()), (204, None));
    let refused = NotifyReply::refuse(&NotifyError::Verify(VerifyError::Probe));
    assert_eq!(refused.status(), 401);
    let body: serde_json::Value = serde_json::from_str(&refused.body().unwrap()).unwrap();
    assert_eq!(body["code"], "FAIL");
    assert!(body["message"].as_str().unwrap().contains("probe"));
    assert_eq!(NotifyReply::refuse(&NotifyError::Decrypt).status(), 500);
    assert_eq!(NotifyReply::refuse(&NotifyError::UnknownOrder).status(), 503);
    assert_eq!(NotifyReply::refuse(&NotifyError::Mismatch("amount.total")).status(), 400);
    assert_eq!(NotifyReply::busy().status(), 503);
}

#[test]
fn refund_events_are_told_apart() {
    for (name, event) in [
        ("REFUND.SUCCESS", Event::RefundSuccess),
        ("REFUND.ABNORMAL", Event::RefundAbnormal),
        ("REFUND.CLOSED", Event::RefundClosed),
    ] {
        let body = envelope("AAAA", name, AEAD_AES_256_GCM);
        assert_eq!(Notify::parse(body.as_bytes()).unwrap().event(), event);
    }
}
