use super::*;

fn input() -> RefundInput<'static> {
    RefundInput {
        order: OrderRef::OutTradeNo("order_123"),
        out_refund_no: "refund_1",
        refund: 50,
        total: 100,
        reason: Some("商品已售完"),
        notify_url: None,
    }
}

#[test]
fn a_refund_body_names_one_order_number() {
    let r = RefundRequest::new(input()).unwrap();
    assert_eq!(
        r.body(),
        r#"{"out_trade_no":"order_123","out_refund_no":"refund_1","reason":"商品已售完","amount":{"refund":50,"total":100,"currency":"CNY"}}"#
    );
    let by_id =
        RefundRequest::new(RefundInput { order: OrderRef::TransactionId("4200000001"), reason: None, ..input() }).unwrap();
    assert_eq!(
        by_id.body(),
        r#"{"transaction_id":"4200000001","out_refund_no":"refund_1","amount":{"refund":50,"total":100,"currency":"CNY"}}"#
    );
}

#[test]
fn bad_refunds_name_the_field() {
    let bad = |i: RefundInput<'static>| RefundRequest::new(i).unwrap_err().message;
    assert!(bad(RefundInput { refund: 101, ..input() }).starts_with("`amount.refund` must not be more"));
    assert!(bad(RefundInput { refund: 0, ..input() }).starts_with("`amount.refund`"));
    assert!(bad(RefundInput { total: 0, ..input() }).starts_with("`amount.total`"));
    assert!(bad(RefundInput { out_refund_no: "r 1", ..input() }).starts_with("`out_refund_no`"));
    assert!(bad(RefundInput { order: OrderRef::OutTradeNo("1"), ..input() }).starts_with("`out_trade_no`"));
    assert!(bad(RefundInput { order: OrderRef::TransactionId("x"), ..input() }).starts_with("`transaction_id`"));
    assert!(bad(RefundInput { notify_url: Some("https://e.com/r?x"), ..input() }).starts_with("`notify_url`"));
    let long: &'static str = Box::leak("理".repeat(81).into_boxed_str());
    assert!(bad(RefundInput { reason: Some(long), ..input() }).starts_with("`reason`"));
}

#[test]
fn the_query_path_escapes_nothing_but_the_bar() {
    assert_eq!(query_path("r@1|2").unwrap(), "/v3/refund/domestic/refunds/r@1%7C2");
    assert!(query_path("r/1").is_err());
}

#[test]
fn only_a_refusal_gives_the_claimed_amount_back() {
    use crate::shared::error::{ApiError, Retry};
    assert!(create_error_released(&ApiError::new(409, "refund_not_enough", "x")));
    assert!(create_error_released(&ApiError::new(400, "wechatpay_rejected", "x")));
    assert!(create_error_released(&ApiError::new(404, "wechatpay_not_found", "x")));
    assert!(create_error_released(&ApiError::new(502, "wechatpay_credentials_rejected", "x")));
    // It may exist at WeChat Pay: keep the claim, re-send under the same number.
    assert!(!create_error_released(&ApiError::unavailable("timeout").with_retry(Retry::Uncertain)));
    assert!(!create_error_released(&ApiError::unavailable("busy").with_retry(Retry::Safe)));
    assert!(!create_error_released(&ApiError::new(502, "wechatpay_signature_invalid", "x")));
    assert!(!create_error_released(&ApiError::upstream("unreadable")));
    assert!(!create_error_released(&ApiError::rate_limited("slow down", 5)));
}
