//! End to end: the simulator plays WeChat against the worker's webhook, as it would in
//! production: it signs and encrypts user actions, delivers them with a 5 s limit and
//! redeliveries, and records what the user would have seen.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

fn push_body(app: &TestApp, format: &str, mode: &str, action: Value) -> Value {
    json!({
        "url": app.url("/wechat/push"), "appid": APPID, "token": PUSH_TOKEN, "aes_key": AES_KEY,
        "format": format, "mode": mode, "action": action,
    })
}

async fn greetings_to(app: &TestApp, openid: &str) -> usize {
    let calls = app.sim_calls("/cgi-bin/message/custom/send").await;
    calls.iter().filter(|c| c["body"]["touser"] == openid && c["errcode"] == 0).count()
}

async fn wait_for_greetings(app: &TestApp, openid: &str, n: usize) -> usize {
    for _ in 0..100 {
        if greetings_to(app, openid).await >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A little longer, so a duplicate would have time to show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    greetings_to(app, openid).await
}

#[tokio::test]
async fn the_url_check_passes_the_simulators_verification() {
    let app = spawn_app().await;
    let v = app.sim_post("/_sim/push/verify", &json!({ "url": app.url("/wechat/push"), "token": PUSH_TOKEN })).await;
    assert_eq!(v["ok"], true, "{v}");
    let v = app.sim_post("/_sim/push/verify", &json!({ "url": app.url("/wechat/push"), "token": "another-token" })).await;
    assert_eq!(v["ok"], false, "{v}");
}

#[tokio::test]
async fn user_messages_in_every_format_and_mode_are_transferred_to_customer_service() {
    // Plain mode accepts encrypted pushes too (the console switches the moment it is saved).
    let app = spawn_app_with(Options::default().var("WECHAT_PUSH_MODE", "plain")).await;
    for format in ["xml", "json"] {
        for mode in ["plain", "compatible", "safe"] {
            for action in
                [json!({ "type": "text", "content": "你好" }), json!({ "type": "image" }), json!({ "type": "miniprogrampage" })]
            {
                let v = app.sim_post("/_sim/push", &push_body(&app, format, mode, action.clone())).await;
                assert_eq!(v["outcome"], "transfer", "{format} {mode} {action}: {v}");
                assert_eq!(v["deliveries"].as_array().unwrap().len(), 1, "answered on the first delivery");
                assert!(v.get("user_saw").is_none_or(Value::is_null), "{v}");
            }
        }
    }
}

#[tokio::test]
async fn a_message_redelivered_in_a_row_or_at_once_is_greeted_exactly_once() {
    let app = spawn_app().await;
    for concurrent in [false, true] {
        let (_, openid) = app.login_code(APPID, None).await;
        let mut body = push_body(&app, "json", "safe", json!({ "type": "enter_session", "openid": openid }));
        body["force_deliveries"] = json!(3);
        body["concurrent"] = json!(concurrent);
        let v = app.sim_post("/_sim/push", &body).await;
        let deliveries = v["deliveries"].as_array().unwrap();
        assert_eq!(deliveries.len(), 3);
        assert!(deliveries.iter().all(|d| d["outcome"] == "answered" && d["status"] == 200), "{v}");
        assert_eq!(v["outcome"], "success", "every delivery got the same reply: {v}");
        assert_eq!(wait_for_greetings(&app, &openid, 1).await, 1, "concurrent={concurrent}");
    }
}

#[tokio::test]
async fn with_custom_send_slowed_to_5_s_the_push_is_answered_at_once_and_the_greeting_arrives() {
    let app = spawn_app().await;
    app.internal_get("/internal/token").await;
    let (_, openid) = app.login_code(APPID, None).await;
    app.sim_fault(json!({ "path": "/cgi-bin/message/custom/send", "delay_ms": 5000 })).await;

    let v =
        app.sim_post("/_sim/push", &push_body(&app, "xml", "safe", json!({ "type": "enter_session", "openid": openid }))).await;
    assert_eq!(v["outcome"], "success", "{v}");
    let elapsed = v["deliveries"][0]["elapsed_ms"].as_u64().unwrap();
    assert!(elapsed < 1000, "answered in {elapsed} ms, not after the send");

    let mut arrived = 0;
    for _ in 0..100 {
        arrived = greetings_to(&app, &openid).await;
        if arrived > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(arrived, 1, "the greeting still arrives");
}

#[tokio::test]
async fn tampered_pushes_are_refused_and_the_user_sees_wechats_notice() {
    let app = spawn_app().await;
    for (mode, tamper) in
        [("plain", "signature"), ("safe", "msg_signature"), ("safe", "appid_trailer"), ("safe", "truncate_ciphertext")]
    {
        let (_, openid) = app.login_code(APPID, None).await;
        let mut body = push_body(&app, "xml", mode, json!({ "type": "enter_session", "openid": openid }));
        body["tamper"] = json!(tamper);
        let v = app.sim_post("/_sim/push", &body).await;
        let status = v["deliveries"][0]["status"].as_u64().unwrap();
        assert!((400..500).contains(&status), "{tamper}: {v}");
        assert_eq!(v["outcome"], "failed", "{tamper}: {v}");
        assert_eq!(v["user_saw"], "该小程序客服暂时无法提供服务，请稍后再试");
        assert_eq!(greetings_to(&app, &openid).await, 0, "{tamper}: nothing sent");
    }
    let mut stale = push_body(&app, "json", "plain", json!({ "type": "text", "content": "hi" }));
    stale["timestamp"] = json!(1_000_000_000u64);
    let v = app.sim_post("/_sim/push", &stale).await;
    assert_eq!(v["deliveries"][0]["status"], 401, "stale timestamp: {v}");
}

#[tokio::test]
async fn a_greeting_that_may_have_been_sent_is_not_sent_again_and_is_shown_as_uncertain() {
    // issue 20, item 5: custom/send does not answer within our 5 s limit, so WeChat may have
    // delivered it; a second send could greet the user twice.
    let app = spawn_app().await;
    app.internal_get("/internal/token").await;
    let (_, openid) = app.login_code(APPID, None).await;
    app.sim_fault(json!({ "path": "/cgi-bin/message/custom/send", "delay_ms": 7000, "times": 0 })).await;
    let v =
        app.sim_post("/_sim/push", &push_body(&app, "xml", "safe", json!({ "type": "enter_session", "openid": openid }))).await;
    assert_eq!(v["outcome"], "success", "{v}");

    let mut outbox = Value::Null;
    for _ in 0..150 {
        let (_, status) = app.internal_get("/internal/token/status").await;
        outbox = status["outbox"].clone();
        if outbox["uncertain"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(outbox, json!({ "pending": 0, "uncertain": 1, "failed": 0 }), "shown to the operator");
    let _ = app.client.delete(format!("{}/_sim/faults", app.sim)).send().await;
    // Past the first retry's backoff (10 s): nothing was sent again.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let sends = app.sim_calls("/cgi-bin/message/custom/send").await.len();
    assert!(sends <= 1, "{sends} sends: not sent again");
}
