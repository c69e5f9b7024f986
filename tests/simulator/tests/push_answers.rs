//! `/_sim/push`, after a delivery: WeChat's reading of the answer (transfer, abnormal), the
//! send window a user's action opens, and the URL check.

mod common;
mod webhook;

use common::*;
use serde_json::json;
use webhook::requests::*;
use webhook::{Behaviour, Webhook, TOKEN};

#[tokio::test]
async fn an_encrypted_transfer_reply_is_recognised() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Transfer).await;

    let xml = push(&sim, encrypted(text_push(&hook, "a human please"), "xml", "safe")).await;
    let json = push(&sim, encrypted(text_push(&hook, "a human please"), "json", "safe")).await;
    let plain = push(&sim, text_push(&hook, "a human please")).await;

    assert_eq!([&xml["outcome"], &json["outcome"], &plain["outcome"]], ["transfer", "transfer", "transfer"]);
    assert!(hook.seen()[0].body.contains("<Encrypt>"));
    assert!(xml.get("user_saw").is_none());
}

#[tokio::test]
async fn an_abnormal_reply_is_recorded_and_the_user_sees_the_failure_notice() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Body("<html>oops</html>")).await;

    let answer = push(&sim, text_push(&hook, "hi")).await;

    assert_eq!(outcomes(&answer), ["answered"]);
    assert_eq!(answer["outcome"], "abnormal");
    assert_eq!(answer["user_saw"], FAILURE_NOTICE);
    let log = sim.control_get("/_sim/push/log", &[]).await;
    assert_eq!(log["deliveries"][0]["reply"], "abnormal");
    assert_eq!(log["user_events"][0]["kind"], "system_notice");
}

#[tokio::test]
async fn a_delivered_text_message_opens_the_customer_service_window() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let hook = Webhook::start(APPID, Behaviour::Success).await;
    let (_, openid) = sim.login_code().await;
    let send = |content: &str| {
        let body = json!({"touser": openid, "msgtype": "text", "text": {"content": content}});
        let (sim, token) = (&sim, token.clone());
        async move { sim.post("/cgi-bin/message/custom/send", &[("access_token", &token)], &body).await }
    };

    let before = send("too early").await.errcode();
    let event = json!({"url": hook.url, "token": TOKEN,
        "action": {"type": "event", "openid": openid, "event": "subscribe"}});
    push(&sim, event).await;
    let after_event = send("still early").await.errcode();
    let message = json!({"url": hook.url, "token": TOKEN,
        "action": {"type": "text", "openid": openid, "content": "hello"}});
    push(&sim, message).await;
    let after_message = send("welcome").await.errcode();

    assert_eq!([before, after_event, after_message], [45015, 45015, 0]);
}

#[tokio::test]
async fn the_window_opens_even_when_the_webhook_is_down() {
    let sim = spawn_sim().await;
    let request = json!({"url": "http://127.0.0.1:9/wechat/push", "token": TOKEN,
        "action": {"type": "enter_session", "session_from": "card"}});

    let answer = push(&sim, request).await;

    assert_eq!(outcomes(&answer), ["connection_error"; 3]);
    let openid = answer["openid"].as_str().unwrap();
    let user = sim.control_get("/_sim/users", &[("openid", openid)]).await;
    assert_eq!(user["cs_window"]["opened_by"], "enter_session");
    assert!(answer.get("msg_id").is_none());
}

#[tokio::test]
async fn the_url_check_passes_only_when_the_echostr_comes_back_exactly() {
    let sim = spawn_sim().await;
    let good = Webhook::start(APPID, Behaviour::Success).await;
    let sloppy = Webhook::start(APPID, Behaviour::Body("\"not the echostr\"")).await;

    let ok = sim.control("/_sim/push/verify", json!({"url": good.url, "token": TOKEN})).await;
    let wrong_token = sim.control("/_sim/push/verify", json!({"url": good.url, "token": "other"})).await;
    let wrong_body = sim.control("/_sim/push/verify", json!({"url": sloppy.url, "token": TOKEN})).await;

    assert_eq!(ok["ok"], true);
    assert_eq!(ok["body"], ok["echostr"]);
    assert_eq!((wrong_token["ok"].clone(), wrong_token["status"].clone()), (json!(false), json!(401)));
    assert_eq!(wrong_body["ok"], false);
}
