//! Official-account messages: the private template list, template messages (follower, template,
//! data rules, `client_msg_id`, a msgid beyond 2^53), subscribe notifications (`bizsend`) under
//! the mini-program rules, and the message log.

mod common;
mod oa_common;

use common::*;
use oa_common::*;
use serde_json::{json, Value};

const ORDER_STATUS: &str = "SimOaOrderStatus000000000000000000000000001";
/// A mini-program-style subscribe template every app starts with (`/_sim/templates`).
const ORDER_SHIPPED: &str = "SimOrderShipped0000000000000000000000000001";

fn order_status(openid: &str) -> Value {
    json!({
        "touser": openid,
        "template_id": ORDER_STATUS,
        "url": "https://h5.example.com/orders/42",
        "data": {
            "character_string1": {"value": "A1-0042"},
            "phrase2": {"value": "已发货"},
            "time3": {"value": "2024年5月1日 15:01"},
        },
    })
}

async fn send(sim: &TestSim, token: &str, body: &Value) -> Answer {
    sim.post("/cgi-bin/message/template/send", &[("access_token", token)], body).await
}

async fn bizsend(sim: &TestSim, token: &str, body: &Value) -> Answer {
    sim.post("/cgi-bin/message/subscribe/bizsend", &[("access_token", token)], body).await
}

async fn messages(sim: &TestSim) -> Vec<Value> {
    sim.control_get("/_sim/oa/messages", &[("appid", OA)]).await["messages"].as_array().cloned().unwrap_or_default()
}

/// The `msgid` as written on the wire: digits only, read as u64 (never through f64).
fn raw_msgid(text: &str) -> u64 {
    let start = text.find("\"msgid\":").expect("a msgid") + "\"msgid\":".len();
    let digits: String = text[start..].chars().take_while(char::is_ascii_digit).collect();
    digits.parse().expect("an integer msgid")
}

#[tokio::test]
async fn the_private_templates_are_listed_and_can_be_set() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    let list = sim.get("/cgi-bin/template/get_all_private_template", &[("access_token", &token)]).await.json();
    let first = &list["template_list"][0];
    assert_eq!(first["template_id"], ORDER_STATUS);
    for key in ["title", "primary_industry", "deputy_industry", "content", "example"] {
        assert!(first[key].as_str().is_some_and(|v| !v.is_empty()), "{key}");
    }
    let set = sim
        .control(
            "/_sim/oa/templates",
            json!({"templates": [{"template_id": "T2", "title": "预约提醒", "content": "时间:{{time1.DATA}}"}], "replace": true}),
        )
        .await;
    assert_eq!(set["template_list"].as_array().map(Vec::len), Some(1));
    let list = sim.get("/cgi-bin/template/get_all_private_template", &[("access_token", &token)]).await.json();
    assert_eq!(list["template_list"][0]["template_id"], "T2");
    assert_eq!(list["template_list"][0]["example"], "时间:{{time1.DATA}}");
    let bad = json!({"templates": [{"template_id": "T3", "title": "t", "content": "no keywords"}]});
    assert_eq!(sim.post("/_sim/oa/templates", &[], &bad).await.status, 400);
}

#[tokio::test]
async fn a_template_message_needs_a_known_following_user_the_template_and_its_data() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    assert_eq!(send(&sim, &token, &order_status("oNeverSeen")).await.errcode(), 40003);

    // Known (authorized the web page) but not following.
    let visitor = exchange(&sim, &code_for(&sim, "snsapi_base", &[]).await).await.json();
    let openid = visitor["openid"].as_str().unwrap();
    let answer = send(&sim, &token, &order_status(openid)).await;
    assert_eq!(answer.errcode(), 43004);
    assert!(answer.json()["errmsg"].as_str().unwrap().starts_with("require subscribe rid: "));

    follow(&sim, json!({"openid": openid})).await;
    let mut unknown = order_status(openid);
    unknown["template_id"] = json!("NoSuchTemplate");
    assert_eq!(send(&sim, &token, &unknown).await.errcode(), 40037);

    let mut missing = order_status(openid);
    missing["data"].as_object_mut().unwrap().remove("phrase2");
    let answer = send(&sim, &token, &missing).await;
    assert_eq!(answer.errcode(), 47003);
    assert!(answer.json()["errmsg"].as_str().unwrap().contains("data.phrase2.value is empty"), "{}", answer.text);
    let mut empty = order_status(openid);
    empty["data"]["time3"]["value"] = json!("");
    assert!(send(&sim, &token, &empty).await.text.contains("data.time3.value is empty"));
    let mut bad_mini = order_status(openid);
    bad_mini["miniprogram"] = json!("wx0000000000000001");
    assert_eq!(send(&sim, &token, &bad_mini).await.errcode(), 47001);
    assert!(messages(&sim).await.is_empty(), "nothing was delivered");

    let mut full = order_status(openid);
    full["miniprogram"] = json!({"appid": APPID, "pagepath": "pages/index/index?order=42"});
    let answer = send(&sim, &token, &full).await;
    assert_eq!(answer.errcode(), 0, "{}", answer.text);
    let msgid = raw_msgid(&answer.text);
    assert!(msgid > 1 << 53, "{msgid}");
    let log = messages(&sim).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["kind"], "template");
    assert_eq!(log[0]["msgid"].as_u64(), Some(msgid));
    assert_eq!(log[0]["touser"], openid);
    assert_eq!(log[0]["url"], "https://h5.example.com/orders/42");
    assert_eq!(log[0]["miniprogram"]["appid"], APPID);
    assert_eq!(log[0]["data"]["phrase2"]["value"], "已发货");
}

#[tokio::test]
async fn a_repeated_client_msg_id_answers_the_first_msgid_and_sends_nothing() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    let openid = follow(&sim, json!({})).await["openid"].as_str().unwrap().to_string();
    let mut body = order_status(&openid);
    body["client_msg_id"] = json!("MSG_000001");
    let first = raw_msgid(&send(&sim, &token, &body).await.text);
    sim.advance(599).await;
    let again = raw_msgid(&send(&sim, &token, &body).await.text);
    assert_eq!(again, first);
    assert_eq!(messages(&sim).await.len(), 1);
    body["client_msg_id"] = json!("MSG_000002");
    assert_ne!(raw_msgid(&send(&sim, &token, &body).await.text), first);
    body["client_msg_id"] = json!("MSG_000001");
    sim.advance(1).await;
    assert_ne!(raw_msgid(&send(&sim, &token, &body).await.text), first, "the window has passed");
    assert_eq!(messages(&sim).await.len(), 3);
}

fn shipped(openid: &str) -> Value {
    json!({
        "touser": openid,
        "template_id": ORDER_SHIPPED,
        "page": "https://h5.example.com/orders/42",
        "miniprogram": {"appid": APPID, "pagepath": "pages/detail/detail?id=42"},
        "data": {
            "thing1": {"value": "无线键盘"},
            "character_string2": {"value": "SF1234567890"},
            "time3": {"value": "2024年5月1日 15:01"},
            "amount4": {"value": "¥199.00"},
        },
    })
}

#[tokio::test]
async fn bizsend_follows_the_subscribe_message_rules() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    assert_eq!(bizsend(&sim, &token, &shipped("oNeverSeen")).await.errcode(), 40003);
    sim.control("/_sim/subscriptions", json!({"appid": OA, "openid": "oSubscriber", "template_id": ORDER_SHIPPED})).await;

    let mut unknown = shipped("oSubscriber");
    unknown["template_id"] = json!("NoSuchTemplate");
    assert_eq!(bizsend(&sim, &token, &unknown).await.errcode(), 40037);
    let mut long = shipped("oSubscriber");
    long["data"]["thing1"]["value"] = json!("这是一个超过二十个字符的非常非常长的商品名称啊");
    let answer = bizsend(&sim, &token, &long).await;
    assert_eq!(answer.errcode(), 47003);
    assert!(answer.text.contains("data.thing1.value"), "{}", answer.text);

    // Following is not needed; the one-time grant is.
    let answer = bizsend(&sim, &token, &shipped("oSubscriber")).await;
    assert_eq!(answer.errcode(), 0, "{}", answer.text);
    let answer = bizsend(&sim, &token, &shipped("oSubscriber")).await;
    assert_eq!(answer.errcode(), 43101);
    assert!(answer.text.contains("user refuse to accept the msg"));
    let log = messages(&sim).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["kind"], "bizsend");
    assert_eq!(log[0]["page"], "https://h5.example.com/orders/42");
    assert_eq!(log[0]["miniprogram"]["pagepath"], "pages/detail/detail?id=42");
    let remaining = sim.control_get("/_sim/subscriptions", &[("appid", OA), ("openid", "oSubscriber")]).await;
    assert_eq!(remaining["subscriptions"][0]["remaining"], 0);
}
