//! `/_sim/push`, the deliveries: signed and encrypted as WeChat does, checked by a worker-like
//! webhook; retries, forced redeliveries, tampering and bad requests.

mod common;
mod webhook;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;
use webhook::requests::*;
use webhook::{Behaviour, Webhook, TOKEN};
use wechat_sim::wire::xml_read::read_document;
use wechat_sim::wire::{Format, Mode};

#[tokio::test]
async fn a_plain_xml_text_is_delivered_once_with_a_valid_signature() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Success).await;

    let answer = push(&sim, text_push(&hook, "你好 <b>&")).await;

    assert_eq!(answer["outcome"], "success");
    assert_eq!(outcomes(&answer), ["answered"]);
    let seen = hook.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].content_type, "text/xml");
    assert_eq!(seen[0].param("msg_signature"), None);
    assert_eq!(seen[0].param("openid"), None);
    let incoming = seen[0].opened.clone().expect("the worker's pipeline accepts it");
    assert_eq!((incoming.format, incoming.mode), (Format::Xml, Mode::Plain));
    assert_eq!(incoming.text("Content").as_deref(), Some("你好 <b>&"));
    assert_eq!(incoming.text("FromUserName").as_deref(), answer["openid"].as_str());
    let msg_id = answer["msg_id"].as_u64().expect("a msg_id");
    assert!(msg_id > 1 << 53);
    assert_eq!(incoming.number("MsgId"), Some(msg_id));
    assert_eq!(incoming.number("CreateTime").map(|t| t as i64), Some(sim.now().await));
    assert!(incoming.text("ToUserName").unwrap().starts_with("gh_"));
}

#[tokio::test]
async fn a_safe_mode_json_push_carries_only_the_addressee_and_decrypts_with_the_key() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Success).await;

    let answer = push(&sim, encrypted(text_push(&hook, "secret"), "json", "safe")).await;

    assert_eq!(answer["outcome"], "success");
    let seen = &hook.seen()[0];
    assert_eq!(seen.content_type, "application/json");
    assert_eq!(seen.param("encrypt_type"), Some("aes"));
    let body: Value = serde_json::from_str(&seen.body).unwrap();
    let mut keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["Encrypt", "ToUserName"]);
    assert!(seen.body.starts_with(r#"{"ToUserName":"gh_"#), "{}", seen.body);
    let inner = hook.cipher().decrypt(body["Encrypt"].as_str().unwrap()).unwrap();
    let inner: Value = serde_json::from_str(&inner).unwrap();
    assert_eq!(inner["Content"], "secret");
    assert_eq!(inner["MsgId"].as_u64(), answer["msg_id"].as_u64());
    assert_eq!(seen.opened.clone().unwrap().mode, Mode::Safe);
}

#[tokio::test]
async fn compatible_mode_carries_the_plaintext_fields_encrypt_and_both_signatures() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Success).await;

    push(&sim, encrypted(text_push(&hook, "both"), "xml", "compatible")).await;

    let seen = &hook.seen()[0];
    let fields = read_document(seen.body.as_bytes()).unwrap();
    assert_eq!(fields["Content"], "both");
    assert!(fields.contains_key("Encrypt"));
    assert!(seen.param("signature").is_some());
    assert!(seen.param("msg_signature").is_some());
    assert_eq!(seen.opened.clone().unwrap().mode, Mode::Compatible);
}

#[tokio::test]
async fn a_slow_webhook_gets_three_deliveries_and_the_user_sees_the_failure_notice() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Sleep(Duration::from_millis(1500))).await;
    let mut request = text_push(&hook, "anyone?");
    request["timeout_ms"] = json!(200);

    let answer = push(&sim, request).await;

    assert_eq!(outcomes(&answer), ["timeout", "timeout", "timeout"]);
    assert_eq!(answer["outcome"], "failed");
    assert_eq!(answer["user_saw"], FAILURE_NOTICE);
    assert_eq!(hook.seen().len(), 3);
    let log = sim.control_get("/_sim/push/log", &[]).await;
    assert_eq!(log["deliveries"].as_array().unwrap().len(), 3);
    assert_eq!(log["user_events"][0]["saw"], FAILURE_NOTICE);
    assert_eq!(log["user_events"][0]["openid"], answer["openid"]);
}

#[tokio::test]
async fn a_5xx_is_retried_with_the_same_message_and_a_4xx_is_not() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Success).await;
    hook.then(Behaviour::Status(500));
    hook.then(Behaviour::Status(503));

    let retried = push(&sim, text_push(&hook, "again")).await;
    hook.then(Behaviour::Status(404));
    let refused = push(&sim, text_push(&hook, "nope")).await;

    assert_eq!(outcomes(&retried), ["http_500", "http_503", "answered"]);
    assert_eq!(retried["outcome"], "success");
    let seen = hook.seen();
    assert_eq!(seen[0].body, seen[2].body);
    assert_eq!(seen[0].query, seen[2].query);
    assert_eq!(outcomes(&refused), ["http_404"]);
    assert_eq!(refused["outcome"], "failed");
}

#[tokio::test]
async fn retries_can_carry_fresh_timestamps_nonces_and_ciphertexts() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Status(502)).await;
    let mut request = encrypted(text_push(&hook, "fresh"), "xml", "safe");
    request["same_params_on_retry"] = json!(false);
    request["deliveries"] = json!(2);

    push(&sim, request).await;

    let seen = hook.seen();
    assert_ne!(seen[0].param("nonce"), seen[1].param("nonce"));
    assert_ne!(seen[0].body, seen[1].body);
    let ids: Vec<_> = seen.iter().map(|s| s.opened.clone().unwrap().number("MsgId")).collect();
    assert_eq!(ids[0], ids[1]);
}

#[tokio::test]
async fn forced_concurrent_redeliveries_arrive_together_with_one_msg_id() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Sleep(Duration::from_millis(400))).await;
    let mut request = text_push(&hook, "dup");
    request["force_deliveries"] = json!(3);
    request["concurrent"] = json!(true);

    let answer = push(&sim, request).await;

    assert_eq!(outcomes(&answer), ["answered", "answered", "answered"]);
    assert_eq!(hook.max_in_flight(), 3);
    let seen = hook.seen();
    let first = seen.iter().map(|s| s.at).min().unwrap();
    let last = seen.iter().map(|s| s.at).max().unwrap();
    assert!(last - first < Duration::from_millis(300), "{:?}", last - first);
    for s in &seen {
        let id = s.opened.clone().unwrap().number("MsgId");
        assert_eq!(id, answer["msg_id"].as_u64());
    }
}

#[tokio::test]
async fn tampered_pushes_are_refused_by_a_receiver() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Success).await;
    let mut answers = Vec::new();
    for tamper in ["signature", "msg_signature", "appid_trailer", "truncate_ciphertext"] {
        let mut request = encrypted(text_push(&hook, "x"), "xml", "safe");
        request["tamper"] = json!(tamper);
        answers.push(push(&sim, request).await);
    }

    let codes: Vec<String> = hook.seen().iter().map(|s| s.opened.clone().unwrap_err().code().into()).collect();
    assert_eq!(codes, ["bad_signature", "bad_signature", "appid_mismatch", "decrypt_failed"]);
    assert!(answers.iter().all(|a| a["outcome"] == "failed"));
}

#[tokio::test]
async fn an_official_account_push_names_the_sender_in_the_query() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Success).await;
    let mut request = text_push(&hook, "hi");
    request["official_account"] = json!(true);
    request["action"]["openid"] = json!("oOfficialAccountUser");

    push(&sim, request).await;

    assert_eq!(hook.seen()[0].param("openid"), Some("oOfficialAccountUser"));
}

#[tokio::test]
async fn a_bad_push_request_is_a_400() {
    let sim = spawn_sim().await;
    let no_url = json!({"token": TOKEN, "action": {"type": "text", "content": "x"}});
    let safe_without_key = json!({"url": "http://127.0.0.1:9/", "token": TOKEN, "mode": "safe",
        "action": {"type": "text", "content": "x"}});

    let answers = [sim.post("/_sim/push", &[], &no_url).await, sim.post("/_sim/push", &[], &safe_without_key).await];

    for answer in answers {
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert!(answer.json()["error"].is_string());
    }
}

#[tokio::test]
async fn a_raw_body_is_sent_as_is_and_signed_over_the_query_only() {
    let sim = spawn_sim().await;
    let hook = Webhook::start(APPID, Behaviour::Success).await;
    let body = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[oRaw]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[raw]]></Content><MsgId>9007199254740993</MsgId></xml>";
    let request = json!({"url": hook.url, "token": TOKEN, "timestamp": 1000,
        "action": {"type": "raw", "body": body}});

    let answer = push(&sim, request).await;

    let seen = &hook.seen()[0];
    assert_eq!(seen.body, body);
    assert_eq!(seen.param("timestamp"), Some("1000"));
    assert_eq!(seen.param("msg_signature"), None);
    let message = seen.opened.clone().unwrap();
    assert_eq!(message.number("MsgId"), Some(9_007_199_254_740_993));
    assert_eq!(answer["outcome"], "success");
    assert!(answer["openid"].is_null());
}
