//! msg_sec_check: the version-2 body checks, the verdicts, the risky-word hook, and version 1.

mod common;

use common::*;
use serde_json::{json, Value};

async fn check(sim: &TestSim, token: &str, body: Value) -> Answer {
    sim.post("/wxa/msg_sec_check", &[("access_token", token)], &body).await
}

fn v2(openid: &str, content: &str, scene: i64) -> Value {
    json!({"content": content, "version": 2, "scene": scene, "openid": openid})
}

fn is_trace_id(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3 && parts.iter().all(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_hexdigit()))
}

#[tokio::test]
async fn ordinary_text_passes_with_label_100_and_a_trace_id() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;

    let answer = check(&sim, &token, v2(&openid, "今天天气真好", 2)).await;

    let body = answer.json();
    assert_eq!((answer.status, answer.errcode()), (200, 0));
    assert_eq!(body["errmsg"], "ok");
    assert_eq!(body["result"], json!({"suggest": "pass", "label": 100}));
    assert!(is_trace_id(body["trace_id"].as_str().unwrap()), "{body}");
    assert_eq!(body["detail"][0]["strategy"], "content_model");
}

#[tokio::test]
async fn a_risky_word_is_risky_with_label_20001_still_errcode_0() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;

    let in_content = check(&sim, &token, v2(&openid, "这里有违禁词哦", 3)).await;
    let mut profile = v2(&openid, "个人简介", 1);
    profile["nickname"] = json!("违禁词大王");
    let in_nickname = check(&sim, &token, profile).await;

    let body = in_content.json();
    assert_eq!(in_content.errcode(), 0);
    assert_eq!(body["result"], json!({"suggest": "risky", "label": 20001}));
    let keyword = body["detail"].as_array().unwrap().iter().find(|d| d["strategy"] == "keyword").unwrap();
    assert_eq!(keyword["keyword"], "违禁词");
    assert_eq!(in_nickname.json()["result"]["suggest"], "risky");
}

#[tokio::test]
async fn the_risky_words_can_be_changed() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;

    let set = sim.control("/_sim/risky_words", json!({"risky_words": ["spam"]})).await;
    let old_word = check(&sim, &token, v2(&openid, "违禁词", 2)).await;
    let new_word = check(&sim, &token, v2(&openid, "buy spam now", 2)).await;
    let shown = sim.control_get("/_sim/risky_words", &[]).await;

    assert_eq!(set["risky_words"], json!(["spam"]));
    assert_eq!(old_word.json()["result"]["suggest"], "pass");
    assert_eq!(new_word.json()["result"]["suggest"], "risky");
    assert_eq!(shown["risky_words"], json!(["spam"]));
}

#[tokio::test]
async fn the_body_is_checked_with_wechats_errcodes() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    let with = |field: &str, value: Value| {
        let mut body = v2(&openid, "hello", 2);
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = v2(&openid, "hello", 2);
        body.as_object_mut().unwrap().remove(field);
        body
    };

    let cases = [
        (with("scene", json!(0)), 40129),
        (with("scene", json!(5)), 40129),
        (with("scene", json!("2")), 40129),
        (without("scene"), 40129),
        (with("content", json!("")), 44002),
        (with("content", json!(42)), 47001),
        (with("content", json!("字".repeat(2501))), 47001),
        (with("content", json!("字".repeat(2500))), 0),
        (with("signature", json!("sig")), 47001),
        (with("title", json!(7)), 47001),
        (with("title", json!("标题")), 0),
        (with("openid", json!("oNotAUserOfThisApp0000000000")), 40003),
        (without("openid"), 44002),
        (with("version", json!(3)), 47001),
    ];
    for (body, expected) in cases {
        let answer = check(&sim, &token, body.clone()).await;
        assert_eq!(answer.errcode(), expected, "{body}: {}", answer.text);
    }
    let empty = sim.post_raw(&format!("/wxa/msg_sec_check?access_token={token}"), "").await;
    let no_token = sim.post("/wxa/msg_sec_check", &[], &v2(&openid, "hello", 2)).await;
    assert_eq!(empty.errcode(), 44002);
    assert_eq!(no_token.errcode(), 41001);
}

#[tokio::test]
async fn a_signature_is_fine_for_a_profile() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    let mut body = v2(&openid, "hello", 1);
    body["signature"] = json!("热爱生活");

    assert_eq!(check(&sim, &token, body).await.errcode(), 0);
}

#[tokio::test]
async fn version_1_answers_87014_for_risky_content() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let risky = check(&sim, &token, json!({"content": "违禁词"})).await;
    let fine = check(&sim, &token, json!({"content": "hello"})).await;

    assert_eq!(risky.errcode(), 87014);
    assert!(risky.json()["errmsg"].as_str().unwrap().starts_with("risky content rid: "));
    assert_eq!(fine.json(), json!({"errcode": 0, "errmsg": "ok"}));
}

#[tokio::test]
async fn checks_are_logged_like_every_other_call() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;

    check(&sim, &token, v2(&openid, "hello", 2)).await;
    check(&sim, &token, v2(&openid, "hello", 9)).await;
    let calls = sim.calls("/wxa/msg_sec_check").await;

    let codes: Vec<&Value> = calls.iter().map(|c| &c["errcode"]).collect();
    assert_eq!(codes, [&json!(0), &json!(40129)]);
    assert_eq!(calls[0]["body"]["content"], "hello");
}
