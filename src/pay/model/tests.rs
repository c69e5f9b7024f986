use super::*;

#[test]
fn a_paid_transaction_reads_with_unknown_fields_ignored() {
    let tx = Transaction::parse(r#"{"appid":"wx1","mchid":"19","out_trade_no":"order_1","transaction_id":"4200001","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"CMC","attach":"","success_time":"2018-06-08T10:34:56+08:00","payer":{"openid":"o1"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"},"promotion_detail":[],"new_field":1}"#.as_bytes()).unwrap();
    assert_eq!(tx.trade_state, TradeState::Success);
    assert_eq!(tx.total(), Some(100));
    assert!(tx.trade_state.is_paid());
}

#[test]
fn an_unpaid_transaction_has_no_payment_fields() {
    let tx = Transaction::parse(
        br#"{"appid":"wx1","mchid":"19","out_trade_no":"order_1","trade_state":"NOTPAY","amount":{"total":100}}"#,
    )
    .unwrap();
    assert_eq!(tx.trade_state, TradeState::NotPay);
    assert_eq!(tx.transaction_id, None);
    assert!(!tx.trade_state.is_paid());
}

#[test]
fn states_round_trip_and_keep_new_values() {
    for s in ["NOTPAY", "SUCCESS", "REFUND", "CLOSED", "REVOKED", "USERPAYING", "PAYERROR", "ACCEPT", "NEW_STATE"] {
        assert_eq!(TradeState::parse(s).as_str(), s);
    }
    for s in ["SUCCESS", "CLOSED", "PROCESSING", "ABNORMAL", "OTHER"] {
        assert_eq!(RefundStatus::parse(s).as_str(), s);
    }
    assert!(RefundStatus::Closed.released());
    assert!(!RefundStatus::Abnormal.released());
}

#[test]
fn refund_answers_and_notices_use_their_own_status_field_names() {
    let refund = Refund::parse(br#"{"refund_id":"50","out_refund_no":"r1","transaction_id":"42","out_trade_no":"o1","channel":"ORIGINAL","status":"PROCESSING","create_time":"2018-06-08T10:34:56+08:00","amount":{"total":100,"refund":50,"payer_total":100,"payer_refund":50,"currency":"CNY"}}"#).unwrap();
    assert_eq!(refund.status, RefundStatus::Processing);
    let notice = RefundNotice::parse(r#"{"mchid":"1900000100","transaction_id":"1008450740201411110005820873","out_trade_no":"20150806125346","refund_id":"50200207182018070300011301001","out_refund_no":"7752501201407033233368018","refund_status":"SUCCESS","success_time":"2018-06-08T10:34:56+08:00","user_received_account":"招商银行信用卡0403","amount":{"total":999,"refund":999,"payer_total":999,"payer_refund":999}}"#.as_bytes()).unwrap();
    assert_eq!(notice.refund_status, RefundStatus::Success);
    assert_eq!(notice.amount.and_then(|a| a.refund), Some(999));
    assert!(RefundNotice::parse(br#"{"mchid":"1","out_trade_no":"o","out_refund_no":"r","status":"SUCCESS"}"#).is_err());
}

#[test]
fn parse_errors_do_not_echo_the_input() {
    let e = Transaction::parse(br#"{"appid":"wx1","payer":{"openid":"o-secret"}}"#).unwrap_err();
    assert!(!e.contains("o-secret"));
    assert_eq!(PayErrorBody::parse(r#"{"code":"PARAM_ERROR","message":"参数错误"}"#.as_bytes()).unwrap().code, "PARAM_ERROR");
    assert_eq!(PayErrorBody::parse(b"<html>400</html>"), None);
}
