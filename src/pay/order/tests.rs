use super::*;

fn input() -> OrderInput<'static> {
    OrderInput {
        appid: "wxd678efh567hg6787",
        mchid: "1900007291",
        description: "Image形象店-深圳腾大-QQ公仔",
        out_trade_no: "1217752501201407033233368018",
        notify_url: "https://www.weixin.qq.com/wxpay/pay.php",
        total: 100,
        openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        time_expire: None,
        attach: None,
    }
}

fn refused(change: impl FnOnce(&mut OrderInput<'static>)) -> String {
    let mut i = input();
    change(&mut i);
    let e = JsapiOrder::new(i).expect_err("refused");
    assert_eq!(e.status, 400);
    e.message
}

#[test]
fn an_order_body_is_compact_in_wechats_order_without_absent_fields() {
    let order = JsapiOrder::new(input()).unwrap();
    assert_eq!(
        order.body(),
        r#"{"appid":"wxd678efh567hg6787","mchid":"1900007291","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"},"payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}}"#
    );
    let with =
        JsapiOrder::new(OrderInput { time_expire: Some("2018-06-08T10:34:56+08:00"), attach: Some("p=1"), ..input() }).unwrap();
    assert!(with.body().contains(
        r#""out_trade_no":"1217752501201407033233368018","time_expire":"2018-06-08T10:34:56+08:00","attach":"p=1","notify_url""#
    ));
    assert_eq!(serde_json::from_str::<JsapiOrder>(&with.body()).unwrap(), with, "a stored body reads back as the same order");
}

#[test]
fn the_same_order_is_the_same_only_with_every_parameter_equal() {
    let a = JsapiOrder::new(input()).unwrap();
    assert_eq!(a, JsapiOrder::new(input()).unwrap());
    assert_ne!(a, JsapiOrder::new(OrderInput { total: 101, ..input() }).unwrap());
}

#[test]
fn every_bad_field_is_named() {
    assert!(refused(|i| i.appid = "").starts_with("`appid`"));
    assert!(refused(|i| i.mchid = "abc").starts_with("`mchid`"));
    assert!(refused(|i| i.description = "").starts_with("`description`"));
    assert!(refused(|i| i.description = "🎁 gift").starts_with("`description`"));
    assert!(refused(|i| i.out_trade_no = "12345").starts_with("`out_trade_no`"));
    assert!(refused(|i| i.notify_url = "https://e.com/n?a=1").starts_with("`notify_url`"));
    assert!(refused(|i| i.total = 0).starts_with("`amount.total`"));
    assert!(refused(|i| i.total = 100_000_001).starts_with("`amount.total`"));
    assert!(refused(|i| i.openid = "").starts_with("`payer.openid`"));
    assert!(refused(|i| i.time_expire = Some("tomorrow")).starts_with("`time_expire`"));
    let long: &'static str = Box::leak("a".repeat(129).into_boxed_str());
    assert!(refused(|i| i.attach = Some(long)).starts_with("`attach`"));
}

#[test]
fn query_and_close_paths_are_built_and_checked() {
    assert_eq!(
        query_by_out_trade_no_path("order_1|a*", "1900007291").unwrap(),
        "/v3/pay/transactions/out-trade-no/order_1%7Ca*?mchid=1900007291"
    );
    assert_eq!(
        query_by_transaction_id_path("4200000001", "1900007291").unwrap(),
        "/v3/pay/transactions/id/4200000001?mchid=1900007291"
    );
    assert!(query_by_out_trade_no_path("../x", "1").is_err());
    assert!(query_by_transaction_id_path("42/../1", "1").is_err());
    let (path, body) = close_request("order_123", "1900007291").unwrap();
    assert_eq!(path, "/v3/pay/transactions/out-trade-no/order_123/close");
    assert_eq!(body, r#"{"mchid":"1900007291"}"#);
}

#[test]
fn a_prepay_answer_needs_its_prepay_id() {
    assert_eq!(
        PrepayAnswer::parse(br#"{"prepay_id":"wx201410272009395522657a690389285100"}"#).unwrap().prepay_id,
        "wx201410272009395522657a690389285100"
    );
    assert_eq!(PrepayAnswer::parse(br#"{"prepay_id":""}"#).unwrap_err().status, 502);
    assert!(PrepayAnswer::parse(b"<html>").is_err());
}
