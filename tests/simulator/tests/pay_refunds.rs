//! WeChat Pay refunds, shipping information and certificate mode (wechat-pay.md §1.2, §6, §7).

mod common;
mod pay_common;

use common::APPID;
use pay_common::*;
use serde_json::json;
use wechat_sim::pay::keys::{self, TEST_MCHID, TEST_MERCHANT_PUBLIC_KEY_PEM};

const REFUNDS: &str = "/v3/refund/domestic/refunds";

async fn paid_order(sim: &common::TestSim, no: &str, total: u64, openid: &str, url: &str) -> String {
    sim.order(no, total, openid, url).await;
    let paid = sim.control("/_sim/pay/pay", json!({"out_trade_no": no, "lose": true})).await;
    paid["transaction_id"].as_str().unwrap().to_string()
}

fn refund(no: &str, out_refund_no: &str, amount: u64, url: &str) -> serde_json::Value {
    json!({"out_trade_no": no, "out_refund_no": out_refund_no, "reason": "不想要了", "notify_url": url,
           "amount": {"refund": amount, "total": 100, "currency": "CNY"}})
}

#[tokio::test]
async fn refunds_are_idempotent_and_never_exceed_what_was_paid() {
    let sim = spawn_pay_sim().await;
    let endpoint = NotifyUrl::start(&[], 204).await;
    paid_order(&sim, "order_r001", 100, "o_user_1", &endpoint.url).await;

    let first = sim.pay_post(REFUNDS, &refund("order_r001", "refund_1", 60, &endpoint.url)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert!(first.verified());
    assert_eq!(first.json()["status"], "PROCESSING", "the answer means accepted, not refunded");
    let again = sim.pay_post(REFUNDS, &refund("order_r001", "refund_1", 60, &endpoint.url)).await;
    assert_eq!(again.json()["refund_id"], first.json()["refund_id"]);
    let reused = sim.pay_post(REFUNDS, &refund("order_r001", "refund_1", 30, &endpoint.url)).await;
    assert_eq!((reused.status, reused.json()["code"].as_str()), (400, Some("INVALID_REQUEST")));
    let beyond = sim.pay_post(REFUNDS, &refund("order_r001", "refund_2", 41, &endpoint.url)).await;
    assert_eq!((beyond.status, beyond.json()["code"].as_str()), (403, Some("NOT_ENOUGH")));
    let rest = sim.pay_post(REFUNDS, &refund("order_r001", "refund_3", 40, &endpoint.url)).await;
    assert_eq!(rest.status, 200, "{}", rest.body);

    // Both end in SUCCESS (the default outcome) and are notified.
    let seen = endpoint.wait_for(2).await;
    for notify in &seen {
        assert!(notify.signature_ok);
        let envelope = notify.envelope.as_ref().unwrap();
        assert_eq!(envelope["event_type"], "REFUND.SUCCESS");
        assert_eq!(envelope["resource"]["original_type"], "refund");
        let plain = notify.resource.as_ref().unwrap();
        assert_eq!(plain["refund_status"], "SUCCESS");
        assert_eq!(plain["mchid"], TEST_MCHID);
    }
    let queried = sim.pay_get("/v3/refund/domestic/refunds/refund_1").await;
    assert_eq!(queried.json()["status"], "SUCCESS");
    assert_eq!(queried.json()["amount"]["refund"], 60);
    let order = sim.pay_get("/v3/pay/transactions/out-trade-no/order_r001?mchid=1900007291").await.json();
    assert_eq!(order["trade_state"], "REFUND");
    assert_eq!(sim.pay_get("/v3/refund/domestic/refunds/refund_9").await.status, 404);
}

#[tokio::test]
async fn an_unpaid_order_cannot_be_refunded_and_a_closed_refund_frees_its_amount() {
    let sim = spawn_pay_sim().await;
    sim.control("/_sim/pay/settings", json!({"refund_outcome": "none"})).await;
    let endpoint = NotifyUrl::start(&[], 204).await;
    sim.order("order_r002", 100, "o_user_1", &endpoint.url).await;
    let unpaid = sim.pay_post(REFUNDS, &refund("order_r002", "refund_1", 10, &endpoint.url)).await;
    assert_eq!(unpaid.json()["code"], "TRADE_ERROR");
    sim.control("/_sim/pay/pay", json!({"out_trade_no": "order_r002", "lose": true})).await;
    assert_eq!(sim.pay_post(REFUNDS, &refund("order_r002", "refund_1", 100, &endpoint.url)).await.status, 200);
    assert_eq!(sim.pay_post(REFUNDS, &refund("order_r002", "refund_2", 1, &endpoint.url)).await.json()["code"], "NOT_ENOUGH");
    let closed = sim.control("/_sim/pay/refunds/settle", json!({"out_refund_no": "refund_1", "status": "CLOSED"})).await;
    assert_eq!(closed["refund"]["status"], "CLOSED");
    assert_eq!(endpoint.wait_for(1).await[0].envelope.as_ref().unwrap()["event_type"], "REFUND.CLOSED");
    assert_eq!(sim.pay_post(REFUNDS, &refund("order_r002", "refund_2", 100, &endpoint.url)).await.status, 200);
}

fn shipping(no: &str, openid: &str, logistics_type: u8) -> serde_json::Value {
    json!({
        "order_key": {"order_number_type": 1, "mchid": TEST_MCHID, "out_trade_no": no},
        "logistics_type": logistics_type,
        "delivery_mode": 1,
        "shipping_list": [{"tracking_no": "YT1234567890", "express_company": "YTO", "item_desc": "微信红包抱枕*1个"}],
        "upload_time": "2022-12-15T13:29:35.120+08:00",
        "payer": {"openid": openid},
    })
}

#[tokio::test]
async fn shipping_info_needs_a_paid_order_and_allows_one_update() {
    let sim = spawn_pay_sim().await;
    let token = sim.token().await;
    let (openid, _) = sim.logged_in_user().await;
    let upload = |body: serde_json::Value| {
        let token = token.clone();
        let sim = &sim;
        async move { sim.post("/wxa/sec/order/upload_shipping_info", &[("access_token", &token)], &body).await.errcode() }
    };
    sim.order("order_s001", 100, &openid, "https://merchant.example/notify").await;
    assert_eq!(upload(shipping("order_s001", &openid, 1)).await, 10060001, "not paid: no such payment yet");
    sim.control("/_sim/pay/pay", json!({"out_trade_no": "order_s001", "lose": true})).await;
    assert_eq!(upload(shipping("order_s001", &openid, 5)).await, 47001);
    let mut no_tracking = shipping("order_s001", &openid, 1);
    no_tracking["shipping_list"][0].as_object_mut().unwrap().remove("tracking_no");
    assert_eq!(upload(no_tracking).await, 47001);
    assert_eq!(upload(shipping("order_s001", "o_someone_else", 1)).await, 40003);
    assert_eq!(upload(shipping("order_s001", &openid, 1)).await, 0);
    assert_eq!(upload(shipping("order_s001", &openid, 1)).await, 0, "one update is allowed");
    assert_eq!(upload(shipping("order_s001", &openid, 1)).await, 10060003);
    let bad_token = sim
        .post("/wxa/sec/order/upload_shipping_info", &[("access_token", "92_nope")], &shipping("order_s001", &openid, 1))
        .await;
    assert_ne!(bad_token.errcode(), 0);

    let orders = sim.control_get("/_sim/pay/orders", &[("out_trade_no", "order_s001")]).await;
    assert_eq!(orders["orders"][0]["shipping"]["order_state"], 2);
    let tx = orders["orders"][0]["transaction_id"].as_str().unwrap().to_string();
    let settled = sim.control("/_sim/pay/shipping/confirm", json!({"transaction_id": tx})).await;
    assert_eq!(settled["event"]["Event"], "trade_manage_order_settlement");
    assert!(settled["event_xml"].as_str().unwrap().contains(&format!("<transaction_id><![CDATA[{tx}]]></transaction_id>")));
}

#[tokio::test]
async fn shipping_waits_for_the_order_to_reach_the_shipping_system_and_refunds_stop_it() {
    let sim = spawn_pay_sim().await;
    sim.control("/_sim/pay/settings", json!({"shipping_lag_seconds": 30, "refund_outcome": "none"})).await;
    let token = sim.token().await;
    sim.order("order_s002", 100, "o_user_2", "https://merchant.example/notify").await;
    sim.control("/_sim/pay/pay", json!({"out_trade_no": "order_s002", "lose": true})).await;
    let body = shipping("order_s002", "o_user_2", 1);
    let query = [("access_token", token.as_str())];
    let upload = || sim.post("/wxa/sec/order/upload_shipping_info", &query, &body);
    assert_eq!(upload().await.errcode(), 10060001, "订单还没入库");
    sim.advance(30).await;
    sim.pay_post(REFUNDS, &refund("order_s002", "refund_1", 100, "https://merchant.example/refund")).await;
    assert_eq!(upload().await.errcode(), 10060004);
}

async fn certificate_merchant(sim: &common::TestSim, mode: &str) -> Signing {
    sim.control(
        "/_sim/pay/merchants",
        json!({"mchid": "1900000109", "apiv3_key": "certAPIv3Key0123456789abcdefABCD", "serial": "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB",
               "public_key_pem": TEST_MERCHANT_PUBLIC_KEY_PEM, "appids": [APPID], "mode": mode}),
    )
    .await;
    Signing { mchid: "1900000109".into(), ..Signing::default() }
}

#[tokio::test]
async fn certificate_mode_serves_the_platform_certificate_sealed_with_the_apiv3_key() {
    let sim = spawn_pay_sim().await;
    let none = sim.pay_get("/v3/certificates").await;
    assert_eq!((none.status, none.json()["code"].as_str()), (404, Some("RESOURCE_NOT_EXISTS")), "public-key mode has none");

    let signing = certificate_merchant(&sim, "certificate").await;
    let answer = sim.pay_call("GET", "/v3/certificates", None, &signing).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.header("wechatpay-serial"), Some(keys::CERTIFICATE_SERIAL));
    assert!(answer.verified());
    let entry = &answer.json()["data"][0];
    assert_eq!(entry["serial_no"], keys::CERTIFICATE_SERIAL);
    let sealed = &entry["encrypt_certificate"];
    assert_eq!(sealed["associated_data"], "certificate");
    let pem = keys::open(
        "certAPIv3Key0123456789abcdefABCD",
        sealed["nonce"].as_str().unwrap(),
        "certificate",
        sealed["ciphertext"].as_str().unwrap(),
    )
    .unwrap();
    assert_eq!(pem, keys::CERTIFICATE_PEM.as_bytes());
}

#[tokio::test]
async fn in_migration_answers_follow_the_requested_serial_and_notifies_use_either_key() {
    let sim = spawn_pay_sim().await;
    let signing = certificate_merchant(&sim, "migration").await;
    let mut body = order_body("order_m001", 100, "o_user_1", "https://merchant.example/notify");
    body["mchid"] = json!("1900000109");
    let plain = sim.pay_call("POST", "/v3/pay/transactions/jsapi", Some(&body), &signing).await;
    assert_eq!(plain.header("wechatpay-serial"), Some(keys::CERTIFICATE_SERIAL));
    let asked = Signing { wechatpay_serial: Some(keys::PUBLIC_KEY_ID.into()), ..signing.clone() };
    let answer = sim.pay_call("POST", "/v3/pay/transactions/jsapi", Some(&body), &asked).await;
    assert_eq!(answer.header("wechatpay-serial"), Some(keys::PUBLIC_KEY_ID));
    assert!(answer.verified() && plain.verified());

    let endpoint = NotifyUrl::start(&[], 204).await;
    body["out_trade_no"] = json!("order_m002");
    body["notify_url"] = json!(endpoint.url);
    assert_eq!(sim.pay_call("POST", "/v3/pay/transactions/jsapi", Some(&body), &signing).await.status, 200);
    sim.control("/_sim/pay/pay", json!({"out_trade_no": "order_m002"})).await;
    sim.control("/_sim/pay/notify", json!({"out_trade_no": "order_m002", "times": 10})).await;
    let seen = endpoint.wait_for(11).await;
    assert!(seen.iter().all(|n| n.signature_ok));
    let by_key = seen.iter().filter(|n| n.serial == keys::PUBLIC_KEY_ID).count();
    assert!(by_key > 0 && by_key < seen.len(), "both keys sign notifies during a migration ({by_key} of {})", seen.len());
}
