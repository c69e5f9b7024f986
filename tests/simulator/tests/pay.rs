//! WeChat Pay (wechat-pay.md §10): the merchant's signature checked as WeChat does, orders and
//! their idempotency, a user paying, notifies delivered, retried, duplicated and tampered.

mod common;
mod pay_common;

use common::{APPID, OTHER_APPID};
use pay_common::*;
use serde_json::{json, Value};
use wechat_sim::pay::keys::{self, TEST_MCHID};

const JSAPI: &str = "/v3/pay/transactions/jsapi";

#[tokio::test]
async fn a_signed_order_gets_a_prepay_id_in_an_answer_signed_with_the_public_key() {
    let sim = spawn_pay_sim().await;
    let answer =
        sim.pay_post(JSAPI, &order_body("order_0001", 100, "o_user_1", "https://merchant.example/wechat/pay/notify")).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let prepay_id = answer.json()["prepay_id"].as_str().unwrap().to_string();
    assert!(prepay_id.starts_with("wx") && prepay_id.len() == 36);
    assert_eq!(answer.header("wechatpay-serial"), Some(keys::PUBLIC_KEY_ID));
    assert_eq!(answer.header("wechatpay-signature-type"), Some("WECHATPAY2-SHA256-RSA2048"));
    assert!(answer.header("request-id").is_some());
    assert!(answer.verified(), "the answer verifies with the WeChat Pay public key");
}

#[tokio::test]
async fn a_request_that_does_not_verify_is_401_sign_error() {
    let sim = spawn_pay_sim().await;
    let body = order_body("order_0002", 100, "o_user_1", "https://merchant.example/notify");
    let now = sim.now().await;
    let cases = [
        ("signature over another body", Signing { signed_body: Some("{}".into()), ..Signing::default() }),
        ("unknown serial", Signing { serial: "0123456789ABCDEF".into(), ..Signing::default() }),
        ("stale timestamp", Signing { timestamp: Some(now - 301), ..Signing::default() }),
        ("future timestamp", Signing { timestamp: Some(now + 301), ..Signing::default() }),
    ];
    for (what, signing) in cases {
        let answer = sim.pay_call("POST", JSAPI, Some(&body), &signing).await;
        assert_eq!(answer.status, 401, "{what}: {}", answer.body);
        assert_eq!(answer.json()["code"], "SIGN_ERROR", "{what}");
        assert!(answer.header("wechatpay-signature").is_none(), "errors are not signed by default");
    }
    // Within the window both ways is fine.
    let edge = sim.pay_call("POST", JSAPI, Some(&body), &Signing { timestamp: Some(now - 300), ..Signing::default() }).await;
    assert_eq!(edge.status, 200, "{}", edge.body);
    assert!(sim.calls(JSAPI).await.iter().all(|c| c["body"]["mchid"] == TEST_MCHID), "WeChat Pay calls are in the call log");
}

#[tokio::test]
async fn the_query_string_is_signed_and_the_mchids_must_agree() {
    let sim = spawn_pay_sim().await;
    sim.order("order_0003", 100, "o_user_1", "https://merchant.example/notify").await;
    let ok = sim.pay_get("/v3/pay/transactions/out-trade-no/order_0003?mchid=1900007291").await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.json()["trade_state"], "NOTPAY");
    assert!(ok.json().get("transaction_id").is_none());
    assert!(ok.verified());

    let other = sim.pay_get("/v3/pay/transactions/out-trade-no/order_0003?mchid=1900000109").await;
    assert_eq!((other.status, other.json()["code"].as_str()), (400, Some("INVALID_REQUEST")));
    let unknown = sim
        .pay_call(
            "GET",
            "/v3/pay/transactions/out-trade-no/order_0003?mchid=1900000109",
            None,
            &Signing { mchid: "1900000109".into(), ..Signing::default() },
        )
        .await;
    assert_eq!(unknown.json()["code"], "MCH_NOT_EXISTS");
    let anonymous = sim.pay_call("POST", JSAPI, Some(&json!({})), &Signing { user_agent: false, ..Signing::default() }).await;
    assert_eq!(anonymous.status, 400);
    assert!(anonymous.body.contains("User-Agent"));
}

#[tokio::test]
async fn re_ordering_returns_the_same_prepay_id_only_with_the_same_parameters() {
    let sim = spawn_pay_sim().await;
    let first = sim.order("order_0004", 100, "o_user_1", "https://merchant.example/notify").await;
    let again = sim.order("order_0004", 100, "o_user_1", "https://merchant.example/notify").await;
    assert_eq!(first, again);
    let changed = sim.pay_post(JSAPI, &order_body("order_0004", 101, "o_user_1", "https://merchant.example/notify")).await;
    assert_eq!(changed.status, 400);
    assert_eq!(changed.json()["code"], "INVALID_REQUEST");
    assert!(changed.json()["message"].as_str().unwrap().contains("201 商户订单号重复"));
    // Past the prepay_id's 2 hours, the same order gets a new one.
    sim.advance(2 * 3600).await;
    let later = sim.order("order_0004", 100, "o_user_1", "https://merchant.example/notify").await;
    assert_ne!(later, first);
}

#[tokio::test]
async fn bad_fields_are_param_errors_naming_the_field() {
    let sim = spawn_pay_sim().await;
    let base = order_body("order_0005", 100, "o_user_1", "https://merchant.example/notify");
    let with = |pointer: &str, value: Value| {
        let mut body = base.clone();
        *body.pointer_mut(pointer).unwrap() = value;
        body
    };
    let cases = [
        (with("/amount/total", json!(0)), "/amount/total"),
        (with("/amount/total", json!("100")), "/amount/total"),
        (with("/amount/currency", json!("USD")), "/amount/currency"),
        (with("/out_trade_no", json!("12345")), "/out_trade_no"),
        (with("/notify_url", json!("https://merchant.example/notify?order=1")), "/notify_url"),
        (with("/notify_url", json!("http://merchant.example/notify")), "/notify_url"),
        (with("/description", json!("x".repeat(128))), "/description"),
        (with("/description", json!("礼物🎁")), "/description"),
        (with("/amount/total", Value::Null), "/amount/total"),
    ];
    for (body, field) in cases {
        let answer = sim.pay_post(JSAPI, &body).await;
        assert_eq!(answer.status, 400, "{field}: {}", answer.body);
        assert_eq!(answer.json()["code"], "PARAM_ERROR");
        assert_eq!(answer.json()["detail"]["field"], field);
    }
    let mut no_payer = base.clone();
    no_payer.as_object_mut().unwrap().remove("payer");
    assert!(sim.pay_post(JSAPI, &no_payer).await.body.contains("JSAPI支付必须传openid"));
    let unbound = with("/appid", json!("wx9999999999999999"));
    assert_eq!(sim.pay_post(JSAPI, &unbound).await.status, 400);
    // An openid of the other app is refused (the wrong appid pitfall).
    let minted = sim.control("/_sim/login_code", json!({"appid": OTHER_APPID})).await;
    let foreign = with("/payer/openid", minted["openid"].clone());
    assert!(sim.pay_post(JSAPI, &foreign).await.body.contains("openid和appid不匹配"));
}

#[tokio::test]
async fn close_is_204_and_reentrant_and_unknown_orders_are_404() {
    let sim = spawn_pay_sim().await;
    sim.order("order_0006", 100, "o_user_1", "https://merchant.example/notify").await;
    let close = |no: &'static str| async move { format!("/v3/pay/transactions/out-trade-no/{no}/close") };
    for _ in 0..2 {
        let answer = sim.pay_post(&close("order_0006").await, &json!({"mchid": TEST_MCHID})).await;
        assert_eq!(answer.status, 204, "{}", answer.body);
        assert!(answer.body.is_empty());
        assert!(answer.verified(), "a 204 is signed over an empty body line");
    }
    let state = sim.pay_get("/v3/pay/transactions/out-trade-no/order_0006?mchid=1900007291").await.json();
    assert_eq!(state["trade_state"], "CLOSED");
    let paid = sim.control("/_sim/pay/pay", json!({"out_trade_no": "order_0006"})).await;
    assert_eq!(paid["ok"], false);
    let missing = sim.pay_get("/v3/pay/transactions/out-trade-no/order_9999?mchid=1900007291").await;
    assert_eq!((missing.status, missing.json()["code"].as_str()), (404, Some("ORDER_NOT_EXIST")));
    let again = sim.pay_post(JSAPI, &order_body("order_0006", 100, "o_user_1", "https://merchant.example/notify")).await;
    assert_eq!(again.json()["code"], "ORDER_CLOSED");
}

#[tokio::test]
async fn pay_sign_is_checked_as_the_wechat_client_checks_it() {
    let sim = spawn_pay_sim().await;
    let prepay_id = sim.order("order_0007", 100, "o_user_1", "https://merchant.example/notify").await;
    let package = format!("prepay_id={prepay_id}");
    let pay_sign = merchant_sign(&format!("{APPID}\n1554208460\nnonce123\n{package}\n"));
    let params = |sign: &str, package: &str| {
        json!({"out_trade_no": "order_0007", "timeStamp": "1554208460", "nonceStr": "nonce123", "package": package,
               "signType": "RSA", "paySign": sign, "lose": true})
    };
    let forged = sim.control("/_sim/pay/pay", params(&merchant_sign("something else"), &package)).await;
    assert_eq!(forged["ok"], false);
    assert!(forged["errMsg"].as_str().unwrap().starts_with("requestPayment:fail"));
    let bare = sim
        .control("/_sim/pay/pay", params(&merchant_sign(&format!("{APPID}\n1554208460\nnonce123\n{prepay_id}\n")), &prepay_id))
        .await;
    assert_eq!(bare["ok"], false, "the APP variant (bare prepay_id) is not a mini-program paySign");
    let good = sim.control("/_sim/pay/pay", params(&pay_sign, &package)).await;
    assert_eq!(good["ok"], true, "{good}");
    assert!(good["transaction_id"].as_str().unwrap().starts_with("42000"));
}

#[tokio::test]
async fn paying_sends_a_signed_encrypted_notify_to_the_orders_notify_url() {
    let sim = spawn_pay_sim().await;
    let endpoint = NotifyUrl::start(&[], 204).await;
    sim.order("order_0008", 1800, "o_user_1", &endpoint.url).await;
    let paid = sim.pay("order_0008").await;
    assert_eq!(paid["notify"]["accepted"], true, "{paid}");

    let seen = endpoint.wait_for(1).await;
    let notify = &seen[0];
    assert!(notify.signature_ok);
    assert_eq!(notify.serial, keys::PUBLIC_KEY_ID);
    let envelope = notify.envelope.as_ref().unwrap();
    assert_eq!(envelope["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(envelope["resource"]["algorithm"], "AEAD_AES_256_GCM");
    assert_eq!(envelope["resource"]["associated_data"], "transaction");
    assert_eq!(envelope["resource"]["nonce"].as_str().unwrap().len(), 12);
    assert!(!notify.body.contains(' '), "compact JSON");
    let tx = notify.resource.as_ref().expect("decrypts with the APIv3 key");
    assert_eq!(tx["trade_state"], "SUCCESS");
    assert_eq!(tx["amount"]["total"], 1800);
    assert_eq!((tx["mchid"].as_str(), tx["appid"].as_str()), (Some(TEST_MCHID), Some(APPID)));
    assert_eq!(tx["transaction_id"], paid["transaction_id"]);
    assert_eq!(tx["payer"]["openid"], "o_user_1");

    let query = sim.pay_get("/v3/pay/transactions/out-trade-no/order_0008?mchid=1900007291").await.json();
    assert_eq!(query["trade_state"], "SUCCESS");
    let by_id =
        sim.pay_get(&format!("/v3/pay/transactions/id/{}?mchid=1900007291", paid["transaction_id"].as_str().unwrap())).await;
    assert_eq!(by_id.json()["out_trade_no"], "order_0008");
}

#[tokio::test]
async fn a_refused_notify_is_redelivered_on_the_schedule_until_a_2xx() {
    let sim = spawn_pay_sim().await;
    let endpoint = NotifyUrl::start(&[500, 401, 503], 200).await;
    sim.order("order_0009", 100, "o_user_1", &endpoint.url).await;
    let paid = sim.pay("order_0009").await;
    assert_eq!(paid["notify"]["outcome"], "http_500");
    let seen = endpoint.wait_for(4).await;
    assert!(seen.iter().all(|n| n.signature_ok));
    let ids: Vec<&Value> = seen.iter().map(|n| &n.envelope.as_ref().unwrap()["id"]).collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "a redelivery is the same notify");
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let log = sim.notifies("order_0009").await;
    let outcomes: Vec<&str> = log.iter().map(|n| n["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["http_500", "http_401", "http_503", "answered"], "no delivery after the 2xx");
    assert_eq!(log.last().unwrap()["accepted"], true);
}

#[tokio::test]
async fn redeliveries_stop_at_the_cap() {
    let sim = spawn_pay_sim().await;
    sim.control("/_sim/pay/settings", json!({"max_notify_deliveries": 3})).await;
    let endpoint = NotifyUrl::start(&[], 500).await;
    sim.order("order_0010", 100, "o_user_1", &endpoint.url).await;
    sim.pay("order_0010").await;
    endpoint.wait_for(3).await;
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    assert_eq!(endpoint.seen().len(), 3);
}

#[tokio::test]
async fn duplicates_arrive_on_purpose_even_all_at_once() {
    let sim = spawn_pay_sim().await;
    let endpoint = NotifyUrl::start(&[], 204).await;
    sim.order("order_0011", 100, "o_user_1", &endpoint.url).await;
    sim.pay("order_0011").await;
    let sent = sim.control("/_sim/pay/notify", json!({"out_trade_no": "order_0011", "times": 3, "concurrent": true})).await;
    assert_eq!(sent["deliveries"].as_array().unwrap().len(), 3);
    let seen = endpoint.wait_for(4).await;
    assert!(seen.iter().all(|n| n.signature_ok));
    assert!(seen.iter().all(|n| n.body == seen[0].body), "the same payload every time");
}

#[tokio::test]
async fn tampered_notifies_fail_exactly_the_check_they_target() {
    let sim = spawn_pay_sim().await;
    let endpoint = NotifyUrl::start(&[], 204).await;
    sim.order("order_0012", 100, "o_user_1", &endpoint.url).await;
    sim.pay("order_0012").await;
    let now = sim.now().await;
    for tamper in ["signature", "body", "serial", "timestamp", "amount", "mchid", "probe"] {
        let sent = sim.control("/_sim/pay/notify", json!({"out_trade_no": "order_0012", "tamper": tamper})).await;
        assert_eq!(sent["deliveries"][0]["tamper"], tamper);
    }
    let seen = endpoint.wait_for(8).await;
    let [_, signature, body, serial, timestamp, amount, mchid, probe] = &seen[..] else { panic!("8 notifies") };
    assert!(!signature.signature_ok);
    assert!(!body.signature_ok);
    assert!(!serial.signature_ok && serial.serial.starts_with("PUB_KEY_ID_0000"));
    assert!(timestamp.signature_ok && now - timestamp.timestamp >= 600);
    assert!(amount.signature_ok && amount.resource.as_ref().unwrap()["amount"]["total"] == 101);
    assert!(mchid.signature_ok && mchid.resource.as_ref().unwrap()["mchid"] != TEST_MCHID);
    assert!(!probe.signature_ok);
    assert!(probe.body == seen[0].body);
}

#[tokio::test]
async fn a_lost_notify_leaves_the_order_paid_for_a_query_to_find() {
    let sim = spawn_pay_sim().await;
    let endpoint = NotifyUrl::start(&[], 204).await;
    sim.order("order_0013", 100, "o_user_1", &endpoint.url).await;
    let paid = sim.control("/_sim/pay/pay", json!({"out_trade_no": "order_0013", "lose": true})).await;
    assert_eq!(paid["notify"], Value::Null);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(endpoint.seen().is_empty());
    let query = sim.pay_get("/v3/pay/transactions/out-trade-no/order_0013?mchid=1900007291").await.json();
    assert_eq!(query["trade_state"], "SUCCESS");
    assert_eq!(query["transaction_id"], paid["transaction_id"]);
}

#[tokio::test]
async fn an_unpaid_order_expires_into_closed() {
    let sim = spawn_pay_sim().await;
    let mut body = order_body("order_0014", 100, "o_user_1", "https://merchant.example/notify");
    let now = sim.now().await;
    let beijing = |t: i64| {
        let days = (t + 8 * 3600).div_euclid(86_400);
        let d = wechat_sim::dates::Date::from_days(days);
        let s = (t + 8 * 3600).rem_euclid(86_400);
        format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00", d.year, d.month, d.day, s / 3600, s / 60 % 60, s % 60)
    };
    body["time_expire"] = json!(beijing(now + 600));
    assert_eq!(sim.pay_post(JSAPI, &body).await.status, 200);
    sim.advance(601).await;
    let query = sim.pay_get("/v3/pay/transactions/out-trade-no/order_0014?mchid=1900007291").await.json();
    assert_eq!(query["trade_state"], "CLOSED");
}
