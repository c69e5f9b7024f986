//! End to end: WeChat Pay orders and payment notifies (wechat-pay.md §3–§5) against the
//! simulator's WeChat Pay, whose RSA and AES-GCM are its own: orders priced by the server,
//! paySign checked as WeChat's client does, notifies verified, applied and forwarded exactly
//! once however often and concurrently they come, tampered ones refused, and a lost notify
//! settled by reconciliation.

mod common;

use common::sink::Sink;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;

/// The simulator's user pays with the parameters we gave the mini program.
async fn pay(app: &TestApp, created: &Value) -> Value {
    let p = &created["payment"];
    app.sim_post(
        "/_sim/pay/pay",
        &json!({ "out_trade_no": created["out_trade_no"], "appId": APPID, "timeStamp": p["timeStamp"],
                 "nonceStr": p["nonceStr"], "package": p["package"], "signType": p["signType"], "paySign": p["paySign"] }),
    )
    .await
}

#[tokio::test]
async fn create_pay_notify_marks_the_order_paid_and_forwards_it_once() {
    let sink = Sink::start().await;
    let app = spawn_app_with(
        Options::default().pay().var("BUSINESS_WEBHOOK_URL", &sink.url).var("BUSINESS_WEBHOOK_SECRET", "forward-secret"),
    )
    .await;
    let (_, openid) = app.login_code(APPID, None).await;
    let created = app.pay_order("E2E-PAY-0001", &openid, 2500).await;
    let p = &created["payment"];
    assert_eq!(p["signType"], "RSA");
    assert!(p["package"].as_str().unwrap().starts_with("prepay_id="), "{created}");
    assert!(p["timeStamp"].is_string(), "wx.requestPayment wants timeStamp as a string");
    // WeChat's client checks paySign with the merchant's public key (the simulator's own RSA).
    let paid = pay(&app, &created).await;
    assert_eq!(paid["ok"], true, "{paid}");
    assert_eq!(paid["notify"]["status"], 204, "our answer to the notify: {paid}");
    let v = app.pay_order_view("E2E-PAY-0001").await;
    assert_eq!(v["order"]["state"], "paid", "{v}");
    assert_eq!(v["order"]["transaction_id"], paid["transaction_id"]);
    assert_eq!(v["wechat"]["trade_state"], "SUCCESS");
    let forwarded = sink.wait_for(1).await;
    let body: Value = serde_json::from_str(&forwarded[0].1).unwrap();
    assert_eq!(body["type"], "pay.transaction.success");
    assert_eq!(body["out_trade_no"], "E2E-PAY-0001");
    assert_eq!(body["amount"], 2500);
    let ts: u64 = forwarded[0].0["x-wechatedge-timestamp"].parse().unwrap();
    assert_eq!(forwarded[0].0["x-wechatedge-signature"], common::push::forward_signature("forward-secret", ts, &forwarded[0].1));
    // The payer is in the directory, learned by payment.
    let (_, person) = app.internal_get(&format!("/internal/users?appid={APPID}&openid={openid}")).await;
    assert_eq!(person["accounts"][0]["last_source"], "pay", "{person}");

    // Redelivered three times at once: one state change, one forward.
    let again =
        app.sim_post("/_sim/pay/notify", &json!({ "out_trade_no": "E2E-PAY-0001", "times": 3, "concurrent": true })).await;
    for d in again["deliveries"].as_array().unwrap() {
        assert_eq!(d["status"], 204, "{again}");
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.received().len(), 1, "forwarded exactly once");
    assert_eq!(app.pay_order_view("E2E-PAY-0001").await["order"]["state"], "paid");
}

#[tokio::test]
async fn three_first_notifies_at_once_change_the_order_once() {
    let sink = Sink::start().await;
    let app = spawn_app_with(
        Options::default().pay().var("BUSINESS_WEBHOOK_URL", &sink.url).var("BUSINESS_WEBHOOK_SECRET", "forward-secret"),
    )
    .await;
    let (_, openid) = app.login_code(APPID, None).await;
    app.pay_order("E2E-PAY-0002", &openid, 100).await;
    // The user pays, the first notify is lost, then three arrive together.
    let paid = app.sim_post("/_sim/pay/pay", &json!({ "out_trade_no": "E2E-PAY-0002", "lose": true })).await;
    assert_eq!(paid["ok"], true);
    assert_eq!(app.pay_order_view("E2E-PAY-0002").await["order"]["state"], "paid", "the query in GET settles it too");
    let app2_order = "E2E-PAY-0003";
    let (_, openid2) = app.login_code(APPID, None).await;
    app.pay_order(app2_order, &openid2, 100).await;
    app.sim_post("/_sim/pay/pay", &json!({ "out_trade_no": app2_order, "lose": true })).await;
    let v = app.sim_post("/_sim/pay/notify", &json!({ "out_trade_no": app2_order, "times": 3, "concurrent": true })).await;
    for d in v["deliveries"].as_array().unwrap() {
        assert_eq!(d["status"], 204, "{v}");
    }
    let forwarded = sink.wait_for(2).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(sink.received().len(), 2, "one forward per order: {forwarded:?}");
}

#[tokio::test]
async fn tampered_notifies_are_refused_and_change_nothing() {
    let sink = Sink::start().await;
    let app = spawn_app_with(
        Options::default().pay().var("BUSINESS_WEBHOOK_URL", &sink.url).var("BUSINESS_WEBHOOK_SECRET", "forward-secret"),
    )
    .await;
    let (_, openid) = app.login().await;
    app.pay_order("E2E-PAY-0010", &openid, 990).await;
    app.sim_post("/_sim/pay/pay", &json!({ "out_trade_no": "E2E-PAY-0010", "lose": true })).await;
    for (tamper, status) in
        [("signature", 401), ("body", 401), ("serial", 401), ("timestamp", 401), ("probe", 401), ("amount", 400), ("mchid", 400)]
    {
        let v = app.sim_post("/_sim/pay/notify", &json!({ "out_trade_no": "E2E-PAY-0010", "tamper": tamper })).await;
        let d = &v["deliveries"][0];
        assert_eq!(d["status"], status, "{tamper}: {v}");
        assert!(d["answer"].as_str().unwrap_or_default().contains("FAIL"), "{tamper}: a refusal WeChat will retry: {v}");
    }
    // Nothing changed: no forward, the payer not recorded as paying, no query was made.
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(sink.received().is_empty(), "no forward for a refused notify");
    let (_, person) = app.internal_get(&format!("/internal/users?appid={APPID}&openid={openid}")).await;
    assert_eq!(person["accounts"][0]["last_source"], "login", "{person}");
    assert!(app.sim_calls("/v3/pay/transactions/out-trade-no/E2E-PAY-0010").await.is_empty());
    // The genuine notify then works, once.
    let v = app.sim_post("/_sim/pay/notify", &json!({ "out_trade_no": "E2E-PAY-0010" })).await;
    assert_eq!(v["deliveries"][0]["status"], 204, "{v}");
    assert_eq!(sink.wait_for(1).await.len(), 1);
    let (_, person) = app.internal_get(&format!("/internal/users?appid={APPID}&openid={openid}")).await;
    assert_eq!(person["accounts"][0]["last_source"], "pay", "{person}");
}

#[tokio::test]
async fn a_lost_notify_is_settled_by_reconciliation() {
    let app = spawn_app_with(Options::default().pay().var("PAY_RECONCILE_AFTER_SECONDS", "1")).await;
    let (_, openid) = app.login_code(APPID, None).await;
    app.pay_order("E2E-PAY-0020", &openid, 300).await;
    app.pay_order("E2E-PAY-0021", &openid, 300).await;
    app.sim_post("/_sim/pay/pay", &json!({ "out_trade_no": "E2E-PAY-0020", "lose": true })).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, v) = app.internal_post("/internal/pay/reconcile", &json!({})).await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["queried"], 2, "{v}");
    assert_eq!(v["settled"], 1, "{v}");
    let sim_orders = app.sim_get("/_sim/pay/orders?out_trade_no=E2E-PAY-0020").await;
    assert_eq!(sim_orders["orders"][0]["trade_state"], "SUCCESS");
    // The unpaid one is queried again later, not now (backed off).
    let (_, v) = app.internal_post("/internal/pay/reconcile", &json!({})).await;
    assert_eq!(v["queried"], 0, "{v}");
    assert_eq!(app.sim_calls("/v3/pay/transactions/out-trade-no/E2E-PAY-0021").await.len(), 1);
}

#[tokio::test]
async fn the_mini_program_names_a_product_and_never_its_price() {
    let app = spawn_app_with(Options::default().pay()).await;
    let (token, openid) = app.login().await;
    let post = |body: Value| {
        let r = app.client.post(app.url("/api/pay/orders")).bearer_auth(&token).json(&body).send();
        async move { read(r.await.unwrap()).await }
    };
    let (status, created) = post(json!({ "product_id": "vip-month" })).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["amount"], 1800);
    assert_eq!(created["description"], "VIP 月卡");
    let sim = app.sim_get(&format!("/_sim/pay/orders?out_trade_no={}", created["out_trade_no"].as_str().unwrap())).await;
    assert_eq!(sim["orders"][0]["total"], 1800, "WeChat Pay got the catalogue's price");
    assert_eq!(sim["orders"][0]["openid"], openid.as_str());
    for body in [
        json!({ "product_id": "vip-month", "amount": 1 }),
        json!({ "product_id": "vip-month", "price": 1 }),
        json!({ "product_id": "vip-month", "total": 1 }),
    ] {
        let (status, v) = post(body.clone()).await;
        assert_eq!((status, error_code(&v)), (400, "invalid_field".to_owned()), "{body}: {v}");
    }
    let (status, v) = post(json!({ "product_id": "no-such-thing" })).await;
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("product_id"), "{v}");
    // Without a session: 401.
    let r = app.client.post(app.url("/api/pay/orders")).json(&json!({ "product_id": "coffee" })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    // paySign verifies as WeChat's client checks it.
    let paid = pay(&app, &created).await;
    assert_eq!(paid["ok"], true, "{paid}");
}

#[tokio::test]
async fn creation_is_idempotent_and_input_is_checked_before_wechat_pay() {
    let app = spawn_app_with(Options::default().pay()).await;
    let (_, openid) = app.login_code(APPID, None).await;
    let first = app.pay_order("E2E-PAY-0030", &openid, 700).await;
    let again = app.pay_order("E2E-PAY-0030", &openid, 700).await;
    assert_eq!(first["payment"]["package"], again["payment"]["package"], "the same prepay, not a second order");
    assert_eq!(app.sim_calls("/v3/pay/transactions/jsapi").await.len(), 1);
    let (status, v) = app
        .internal_post(
            "/internal/pay/orders",
            &json!({ "out_trade_no": "E2E-PAY-0030", "openid": openid, "amount": 701, "description": "测试商品" }),
        )
        .await;
    assert_eq!((status, error_code(&v)), (409, "out_trade_no_in_use".to_owned()), "{v}");
    for (body, field) in [
        (json!({ "out_trade_no": "E2E-PAY-0031", "openid": openid, "amount": 0, "description": "x" }), "amount"),
        (json!({ "out_trade_no": "E2E-PAY-0031", "openid": openid, "amount": -5, "description": "x" }), "amount"),
        (json!({ "out_trade_no": "E2E-PAY-0031", "openid": openid, "amount": 1.5, "description": "x" }), "amount"),
        (json!({ "out_trade_no": "E2E-PAY-0031", "openid": openid, "amount": 100000000000u64, "description": "x" }), "amount"),
        (json!({ "out_trade_no": "no spaces!", "openid": openid, "amount": 1, "description": "x" }), "out_trade_no"),
        (json!({ "out_trade_no": "E2E-PAY-0031", "openid": openid, "amount": 1 }), "description"),
    ] {
        let (status, v) = app.internal_post("/internal/pay/orders", &body).await;
        assert_eq!(status, 400, "{body}: {v}");
        assert!(v["error"]["message"].as_str().unwrap().contains(field), "{field}: {v}");
    }
    assert_eq!(app.sim_calls("/v3/pay/transactions/jsapi").await.len(), 1, "none reached WeChat Pay");
    // Close: the order is closed at WeChat Pay and here; paying it then fails.
    let r = app.client.post(app.url("/internal/pay/orders/E2E-PAY-0030/close")).bearer_auth(INTERNAL_KEY).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.pay_order_view("E2E-PAY-0030").await["order"]["state"], "closed");
    let paid = app.sim_post("/_sim/pay/pay", &json!({ "out_trade_no": "E2E-PAY-0030" })).await;
    assert_eq!(paid["ok"], false, "{paid}");
    let (status, _) = app.internal_get("/internal/pay/orders/NOPE-0000").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn pay_routes_name_missing_configuration() {
    let app = spawn_app().await;
    let (status, v) = app
        .internal_post(
            "/internal/pay/orders",
            &json!({ "out_trade_no": "E2E-PAY-0040", "openid": "o", "amount": 1, "description": "x" }),
        )
        .await;
    assert_eq!((status, error_code(&v)), (500, "configuration_error".to_owned()), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("WECHATPAY_MCHID"), "{v}");
    // Other routes are unaffected.
    assert_eq!(app.get("/health").await.0, 200);
}
