//! End to end: WeChat Pay refunds (wechat-pay.md §6), shipping information (§7) and certificate
//! mode (§1.2) against the simulator's WeChat Pay: refunds idempotent on `out_refund_no` and
//! never beyond what was paid (refused before WeChat Pay sees them), refund notifies applied,
//! refunds queried, shipping uploaded for a paid order only (validated first), the
//! `trade_manage_*` push recorded against its order once, and an order paid and notified with
//! keys fetched from `/v3/certificates`.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const REFUNDS: &str = "/v3/refund/domestic/refunds";
const SHIPPING: &str = "/wxa/sec/order/upload_shipping_info";

/// An order of `amount` fen, paid by the simulator's user, whose notify made it paid here.
async fn paid_order(app: &TestApp, out_trade_no: &str, amount: u64) -> (String, String) {
    let (_, openid) = app.login_code(APPID, None).await;
    app.pay_order(out_trade_no, &openid, amount).await;
    let paid = app.sim_post("/_sim/pay/pay", &json!({ "out_trade_no": out_trade_no })).await;
    assert_eq!(paid["ok"], true, "{paid}");
    let transaction_id = paid["transaction_id"].as_str().expect("transaction_id").to_owned();
    wait_for(app, out_trade_no, |o| o["state"] == "paid").await;
    (openid, transaction_id)
}

/// Polls `GET /internal/pay/orders/{no}` until `done(order)` (10 s at most); answers the order.
async fn wait_for(app: &TestApp, out_trade_no: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..100 {
        last = app.pay_order_view(out_trade_no).await["order"].clone();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("order {out_trade_no} never got there: {last}");
}

async fn refund(app: &TestApp, out_trade_no: &str, out_refund_no: &str, amount: u64) -> (u16, Value) {
    app.internal_post(
        "/internal/pay/refunds",
        &json!({ "out_trade_no": out_trade_no, "out_refund_no": out_refund_no, "amount": amount, "reason": "商品已售完" }),
    )
    .await
}

/// The refund requests WeChat Pay received for `out_refund_no`.
async fn refund_calls(app: &TestApp, out_refund_no: &str) -> usize {
    app.sim_calls(REFUNDS).await.iter().filter(|c| c["method"] == "POST" && c["body"]["out_refund_no"] == out_refund_no).count()
}

#[tokio::test]
async fn refunds_are_made_once_within_the_paid_amount_and_settled_by_their_notify() {
    let app = spawn_app_with(Options::default().pay()).await;
    let (_, openid) = app.login_code(APPID, None).await;
    paid_order(&app, "E2E-RFD-0001", 1000).await;

    // An unpaid order cannot be refunded; WeChat Pay never hears of it.
    app.pay_order("E2E-RFD-0002", &openid, 500).await;
    let (status, v) = refund(&app, "E2E-RFD-0002", "RFD-UNPAID-1", 100).await;
    assert_eq!((status, error_code(&v).as_str()), (409, "order_not_paid"), "{v}");
    // More than was paid: a 400 naming the field, before WeChat Pay sees it.
    let (status, v) = refund(&app, "E2E-RFD-0001", "RFD-TOO-MUCH", 1001).await;
    assert_eq!((status, error_code(&v).as_str()), (400, "invalid_field"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("amount"), "{v}");
    let (status, v) = refund(&app, "E2E-RFD-0001", "RFD-BAD-AMOUNT", 0).await;
    assert_eq!(status, 400, "{v}");
    let (status, v) = refund(&app, "E2E-RFD-0404", "RFD-NO-ORDER", 1).await;
    assert_eq!((status, error_code(&v).as_str()), (404, "order_not_found"), "{v}");
    assert_eq!(app.sim_calls(REFUNDS).await.len(), 0, "nothing reached WeChat Pay");

    // A refund within the amount: accepted, then settled by WeChat Pay's REFUND.SUCCESS notify.
    let (status, first) = refund(&app, "E2E-RFD-0001", "RFD-0001-A", 600).await;
    assert_eq!(status, 200, "{first}");
    let refund_id = first["refund"]["refund_id"].as_str().expect("refund_id").to_owned();
    assert!(["PROCESSING", "SUCCESS"].contains(&first["refund"]["status"].as_str().unwrap()), "{first}");
    let settled = wait_for(&app, "E2E-RFD-0001", |o| o["refunded"] == 600).await;
    assert_eq!(settled["state"], "paid", "partly refunded: {settled}");
    let notifies = app.sim_get("/_sim/pay/notifies?event_type=REFUND.SUCCESS").await;
    let notifies = notifies["notifies"].as_array().cloned().unwrap_or_default();
    assert!(notifies.iter().any(|n| n["out_refund_no"] == "RFD-0001-A" && n["status"] == 204), "{notifies:?}");
    // The notify URL we gave WeChat Pay is the notify route of the app.
    let sent = app.sim_calls(REFUNDS).await;
    assert!(sent[0]["body"]["notify_url"].as_str().unwrap().ends_with(&format!("/wechat/pay/notify/{APPID}")), "{sent:?}");

    // The same number and amount again: the same refund, no second request to WeChat Pay.
    let (status, again) = refund(&app, "E2E-RFD-0001", "RFD-0001-A", 600).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["refund"]["refund_id"], refund_id.as_str());
    assert_eq!(again["refund"]["status"], "SUCCESS");
    assert_eq!(refund_calls(&app, "RFD-0001-A").await, 1, "one refund at WeChat Pay");
    // The same number for another amount: refused.
    let (status, v) = refund(&app, "E2E-RFD-0001", "RFD-0001-A", 500).await;
    assert_eq!((status, error_code(&v).as_str()), (409, "refund_number_reused"), "{v}");
    // A second refund that would pass what was paid (600 + 500 > 1000): refused before WeChat.
    let (status, v) = refund(&app, "E2E-RFD-0001", "RFD-0001-B", 500).await;
    assert_eq!((status, error_code(&v).as_str()), (400, "invalid_field"), "{v}");
    assert_eq!(refund_calls(&app, "RFD-0001-B").await, 0);

    // The rest: the order is refunded in full.
    let (status, v) = refund(&app, "E2E-RFD-0001", "RFD-0001-C", 400).await;
    assert_eq!(status, 200, "{v}");
    let done = wait_for(&app, "E2E-RFD-0001", |o| o["state"] == "refunded").await;
    assert_eq!(done["refunded"], 1000, "{done}");
    let (status, v) = refund(&app, "E2E-RFD-0001", "RFD-0001-D", 1).await;
    assert_eq!(status, 400, "nothing left to refund: {v}");

    // The query: our row and WeChat Pay's.
    let (status, q) = app.internal_get("/internal/pay/refunds/RFD-0001-C").await;
    assert_eq!(status, 200, "{q}");
    assert_eq!(q["refund"]["status"], "SUCCESS", "{q}");
    assert_eq!(q["refund"]["amount"], 400);
    assert_eq!(q["wechat"]["status"], "SUCCESS", "{q}");
    assert_eq!(q["wechat"]["amount"], 400);
    let (status, v) = app.internal_get("/internal/pay/refunds/RFD-NOPE").await;
    assert_eq!((status, error_code(&v).as_str()), (404, "refund_not_found"), "{v}");
    let (status, _) = app.get("/internal/pay/refunds/RFD-0001-C").await;
    assert_eq!(status, 401, "the internal key is required");
}

#[tokio::test]
async fn a_refund_still_processing_is_settled_by_the_query_and_a_closed_one_releases_its_amount() {
    let app = spawn_app_with(Options::default().pay()).await;
    // Refunds stay PROCESSING until the test ends them.
    app.sim_post("/_sim/pay/settings", &json!({ "refund_outcome": "none" })).await;
    paid_order(&app, "E2E-RFD-0010", 300).await;
    let (status, v) = refund(&app, "E2E-RFD-0010", "RFD-0010-A", 300).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["refund"]["status"], "PROCESSING");
    // All 300 fen are held while it is processing.
    let (status, v) = refund(&app, "E2E-RFD-0010", "RFD-0010-B", 1).await;
    assert_eq!(status, 400, "{v}");

    // WeChat Pay closes it; the notify reaches us and the amount is released.
    let s = app.sim_post("/_sim/pay/refunds/settle", &json!({ "out_refund_no": "RFD-0010-A", "status": "CLOSED" })).await;
    assert_eq!(s["notify"]["status"], 204, "{s}");
    let (_, q) = app.internal_get("/internal/pay/refunds/RFD-0010-A").await;
    assert_eq!(q["refund"]["status"], "CLOSED", "{q}");
    // A tampered refund notify (another amount) is refused and changes nothing.
    let (status, v) = refund(&app, "E2E-RFD-0010", "RFD-0010-B", 100).await;
    assert_eq!(status, 200, "after a closed refund the amount is free again: {v}");
    let t = app
        .sim_post("/_sim/pay/refunds/settle", &json!({ "out_refund_no": "RFD-0010-B", "status": "SUCCESS", "tamper": "amount" }))
        .await;
    assert_ne!(t["notify"]["status"], 204, "{t}");
    // The query sees WeChat Pay's SUCCESS and applies it (the notify was refused).
    let (_, q) = app.internal_get("/internal/pay/refunds/RFD-0010-B").await;
    assert_eq!(q["refund"]["status"], "SUCCESS", "{q}");
    assert_eq!(q["order"]["refunded"], 100, "{q}");
}

fn shipping_body(out_trade_no: &str) -> Value {
    json!({
        "out_trade_no": out_trade_no, "logistics_type": 1, "delivery_mode": 1,
        "shipping_list": [{ "tracking_no": "YT1234567890", "express_company": "YTO", "item_desc": "微信红包抱枕*1个" }],
    })
}

#[tokio::test]
async fn shipping_is_uploaded_for_a_paid_order_and_its_settlement_push_is_recorded_once() {
    let app = spawn_app_with(Options::default().pay().var("WECHAT_PUSH_MODE", "plain")).await;
    let (openid, transaction_id) = paid_order(&app, "E2E-SHIP-0001", 880).await;

    // Validated before WeChat sees it.
    let mut no_tracking = shipping_body("E2E-SHIP-0001");
    no_tracking["shipping_list"][0].as_object_mut().unwrap().remove("tracking_no");
    let (status, v) = app.internal_post("/internal/pay/shipping", &no_tracking).await;
    assert_eq!((status, error_code(&v).as_str()), (400, "invalid_field"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("shipping_list[0].tracking_no"), "{v}");
    let mut bad_type = shipping_body("E2E-SHIP-0001");
    bad_type["logistics_type"] = json!(5);
    let (status, v) = app.internal_post("/internal/pay/shipping", &bad_type).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("logistics_type"), "{v}");
    // An unpaid order is refused.
    app.pay_order("E2E-SHIP-0002", &openid, 100).await;
    let (status, v) = app.internal_post("/internal/pay/shipping", &shipping_body("E2E-SHIP-0002")).await;
    assert_eq!((status, error_code(&v).as_str()), (409, "order_not_paid"), "{v}");
    let (status, v) = app.internal_post("/internal/pay/shipping", &shipping_body("E2E-SHIP-0404")).await;
    assert_eq!(status, 404, "{v}");
    assert_eq!(app.sim_calls(SHIPPING).await.len(), 0, "nothing reached WeChat");

    // A paid order: uploaded with our order key and payer, recorded with the order.
    let (status, v) = app.internal_post("/internal/pay/shipping", &shipping_body("E2E-SHIP-0001")).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["shipped_at"].as_u64().is_some(), "{v}");
    let calls = app.sim_calls(SHIPPING).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["body"]["order_key"]["out_trade_no"], "E2E-SHIP-0001");
    assert_eq!(calls[0]["body"]["payer"]["openid"], openid.as_str());
    assert_eq!(calls[0]["errcode"], 0, "{calls:?}");
    let o = app.pay_order_view("E2E-SHIP-0001").await;
    assert!(o["order"]["shipped_at"].as_u64().is_some(), "{o}");
    let at_wechat = app.sim_get("/_sim/pay/orders?out_trade_no=E2E-SHIP-0001").await;
    assert_eq!(at_wechat["orders"][0]["shipping"]["order_state"], 2, "{at_wechat}");

    // The user confirms receipt; WeChat pushes trade_manage_order_settlement (twice).
    let confirmed = app.sim_post("/_sim/pay/shipping/confirm", &json!({ "transaction_id": transaction_id })).await;
    let xml = confirmed["event_xml"].as_str().expect("event_xml");
    let pushed = app
        .sim_post(
            "/_sim/push",
            &json!({ "url": app.url("/wechat/push"), "appid": APPID, "token": PUSH_TOKEN, "format": "xml", "mode": "plain",
                     "action": { "type": "raw", "body": xml }, "force_deliveries": 2 }),
        )
        .await;
    assert_eq!(pushed["deliveries"][0]["status"], 200, "{pushed}");
    wait_for(&app, "E2E-SHIP-0001", |o| o["shipping_events"].as_array().is_some_and(|e| !e.is_empty())).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let recorded = app.pay_order_view("E2E-SHIP-0001").await["order"].clone();
    let events = recorded["shipping_events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "recorded once: {events:?}");
    assert_eq!(events[0]["event"], "trade_manage_order_settlement");
    assert_eq!(events[0]["transaction_id"], transaction_id.as_str());
    assert!(!recorded.to_string().contains(&format!("\"FromUserName\":\"{openid}\"")), "no payer in the record");

    // The order is settled at WeChat now: another upload is WeChat's to refuse (10060004).
    let (status, v) = app.internal_post("/internal/pay/shipping", &shipping_body("E2E-SHIP-0001")).await;
    assert_eq!(status, 409, "{v}");
    assert!(v["error"]["wechat_errcode"].as_i64().is_some(), "{v}");
}

#[tokio::test]
async fn certificate_mode_fetches_the_platform_certificates_and_a_payment_still_lands() {
    use wechat_sim::pay::keys;
    let app = spawn_app_with(Options::default().pay().var("WECHATPAY_PUBLIC_KEY", "").var("WECHATPAY_PUBLIC_KEY_ID", "")).await;
    app.sim_post(
        "/_sim/pay/merchants",
        &json!({ "mchid": keys::TEST_MCHID, "apiv3_key": keys::TEST_APIV3_KEY, "serial": keys::TEST_MERCHANT_SERIAL,
                 "public_key_pem": keys::TEST_MERCHANT_PUBLIC_KEY_PEM, "mode": "certificate" }),
    )
    .await;
    paid_order(&app, "E2E-CERT-0001", 1200).await;
    let fetched = app.sim_calls("/v3/certificates").await;
    assert!(!fetched.is_empty(), "the worker fetched /v3/certificates");
    assert!(fetched.iter().all(|c| c["status"] == 200), "{fetched:?}");
    let notifies = app.sim_get("/_sim/pay/notifies?out_trade_no=E2E-CERT-0001").await;
    let first = &notifies["notifies"][0];
    assert_eq!(first["serial"], keys::CERTIFICATE_SERIAL, "signed with the platform certificate: {notifies}");
    assert_eq!(first["status"], 204, "{notifies}");
    // Refunds work the same way.
    let (status, v) = refund(&app, "E2E-CERT-0001", "RFD-CERT-1", 200).await;
    assert_eq!(status, 200, "{v}");
    wait_for(&app, "E2E-CERT-0001", |o| o["refunded"] == 200).await;
}
