//! End to end: the official account's template messages and subscribe notifications (checked
//! before WeChat sees them), `user/info`, and follow events filling the user directory after
//! the push was answered (wechat-oa.md §3–§5).

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const ORDER_TEMPLATE: &str = "SimOaOrderStatus000000000000000000000000001";

async fn follower(app: &TestApp, unionid: &str) -> String {
    let f = app.sim_post("/_sim/oa/follow", &json!({ "unionid": unionid })).await;
    f["openid"].as_str().unwrap().to_owned()
}

fn order_message(openid: &str) -> Value {
    json!({
        "touser": openid, "template_id": ORDER_TEMPLATE, "url": "https://shop.example.com/orders/A1-0001",
        "miniprogram": { "appid": APPID, "pagepath": "pages/order/index?id=A1-0001" },
        "data": { "character_string1": { "value": "A1-0001" }, "phrase2": { "value": "已发货" }, "time3": { "value": "2026年12月1日 15:01" } }
    })
}

async fn sent(app: &TestApp) -> Vec<Value> {
    let v = app.sim_get(&format!("/_sim/oa/messages?appid={OA_APPID}")).await;
    v["messages"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn template_messages_reach_followers_and_are_checked_first() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let openid = follower(&app, "oUnion_tpl_0001").await;
    let (status, body) = app.internal_post("/internal/oa/messages/template", &order_message(&openid)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["sent"], true);
    // msgid is above 2^53 (§3.1): answered as a string, digit for digit.
    let msgid = body["msgid"].as_str().unwrap();
    assert!(msgid.parse::<u64>().unwrap() > (1u64 << 53), "{msgid}");
    let delivered = sent(&app).await;
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["msgid"].to_string().trim_matches('"'), msgid);
    assert_eq!(delivered[0]["miniprogram"]["pagepath"], "pages/order/index?id=A1-0001");

    // A missing keyword, an unknown template, a bad value: refused here, WeChat never asked.
    let mut missing = order_message(&openid);
    missing["data"].as_object_mut().unwrap().remove("time3");
    let (status, body) = app.internal_post("/internal/oa/messages/template", &missing).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_template_data".to_owned()), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("data.time3"), "{body}");
    let mut unknown = order_message(&openid);
    unknown["template_id"] = json!("NoSuchTemplate");
    let (status, body) = app.internal_post("/internal/oa/messages/template", &unknown).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_template_id".to_owned()), "{body}");
    let mut bad = order_message(&openid);
    bad["data"]["phrase2"]["value"] = json!("shipped!");
    let (status, body) = app.internal_post("/internal/oa/messages/template", &bad).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_template_data".to_owned()), "{body}");
    let (status, body) = app.internal_post("/internal/oa/messages/template", &json!({ "touser": openid })).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_field".to_owned()), "{body}");
    assert_eq!(app.sim_calls("/cgi-bin/message/template/send").await.len(), 1, "only the good one reached WeChat");
}

#[tokio::test]
async fn wechats_refusals_are_mapped_and_client_msg_id_dedupes() {
    let app = spawn_app_with(Options::default().official_account()).await;
    // A user who does not follow: 43004.
    let stranger = app.sim_post("/_sim/oa/follow", &json!({ "following": false })).await;
    let (status, body) =
        app.internal_post("/internal/oa/messages/template", &order_message(stranger["openid"].as_str().unwrap())).await;
    assert_eq!((status, error_code(&body)), (409, "user_not_following".to_owned()), "{body}");
    assert_eq!(body["error"]["wechat_errcode"], 43004);
    // The same client_msg_id twice: one message, one msgid.
    let openid = follower(&app, "oUnion_tpl_0002").await;
    let mut msg = order_message(&openid);
    msg["client_msg_id"] = json!("order-A1-0001-shipped");
    let (_, first) = app.internal_post("/internal/oa/messages/template", &msg).await;
    let (_, second) = app.internal_post("/internal/oa/messages/template", &msg).await;
    assert_eq!(first["msgid"], second["msgid"]);
    assert_eq!(sent(&app).await.len(), 1);
    // A mini program is not an official account.
    let (status, body) = app.internal_post(&format!("/internal/oa/messages/template?appid={APPID}"), &msg).await;
    assert_eq!((status, error_code(&body)), (400, "not_an_official_account".to_owned()), "{body}");
}

#[tokio::test]
async fn subscribe_notifications_follow_the_grants_and_value_rules() {
    let app = spawn_app_with(Options::default().official_account()).await;
    app.sim_post(
        "/_sim/templates",
        &json!({ "appid": OA_APPID, "templates": [{ "priTmplId": "OaSubReview01", "title": "审核结果",
                  "content": "审核结果:{{phrase1.DATA}}\n申请事项:{{thing2.DATA}}" }] }),
    )
    .await;
    let openid = follower(&app, "oUnion_sub_0001").await;
    app.sim_post("/_sim/subscriptions", &json!({ "appid": OA_APPID, "openid": openid, "template_id": "OaSubReview01" })).await;
    let message = json!({ "touser": openid, "template_id": "OaSubReview01", "page": "https://shop.example.com/review",
        "data": { "phrase1": { "value": "通过" }, "thing2": { "value": "会员申请" } } });
    let (status, body) = app.internal_post("/internal/oa/messages/subscribe", &message).await;
    assert_eq!(status, 200, "{body}");
    // The grant was one-time: WeChat's 43101 next.
    let (status, body) = app.internal_post("/internal/oa/messages/subscribe", &message).await;
    assert_eq!((status, error_code(&body)), (409, "user_not_subscribed".to_owned()), "{body}");
    // A phrase must be Chinese (≤ 5 characters): refused before WeChat.
    let mut bad = message.clone();
    bad["data"]["phrase1"]["value"] = json!("approved");
    let (status, body) = app.internal_post("/internal/oa/messages/subscribe", &bad).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_template_data".to_owned()), "{body}");
    assert_eq!(app.sim_calls("/cgi-bin/message/subscribe/bizsend").await.len(), 2);
    let messages = sent(&app).await;
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["kind"], "bizsend");
}

#[tokio::test]
async fn user_info_is_answered_and_follows_fill_the_directory() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let openid = follower(&app, "oUnion_info_0001").await;
    let (status, info) = app.internal_get(&format!("/internal/oa/users/{openid}")).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["subscribe"], 1);
    assert_eq!(info["unionid"], "oUnion_info_0001");
    let (status, person) = app.internal_get("/internal/users?unionid=oUnion_info_0001").await;
    assert_eq!(status, 200, "{person}");
    assert_eq!(person["accounts"][0]["following"], 1);
    let (status, body) = app.internal_get("/internal/oa/users/not%20an%20openid").await;
    assert_eq!((status, error_code(&body)), (400, "invalid_field".to_owned()), "{body}");

    // A follow event: the push is answered, then user/info and the directory (events carry no unionid).
    let push = |action: Value| {
        json!({ "url": app.url(&format!("/wechat/push/{OA_APPID}")), "appid": OA_APPID, "token": PUSH_TOKEN,
                "aes_key": AES_KEY, "format": "xml", "mode": "safe", "official_account": true, "action": action })
    };
    let pushed = app.sim_post("/_sim/push", &push(json!({ "type": "follow", "unionid": "oUnion_follow_0001" }))).await;
    let new_openid = pushed["openid"].as_str().unwrap().to_owned();
    let mut person = Value::Null;
    for _ in 0..50 {
        let (status, p) = app.internal_get("/internal/users?unionid=oUnion_follow_0001").await;
        if status == 200 {
            person = p;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(person["accounts"][0]["openid"], new_openid.as_str(), "{person}");
    assert_eq!(person["accounts"][0]["source"], "oa_follow");
    assert_eq!(person["accounts"][0]["following"], 1);
    // Unfollowing is recorded too.
    app.sim_post("/_sim/push", &push(json!({ "type": "unfollow", "openid": new_openid }))).await;
    let mut following = Value::Null;
    for _ in 0..50 {
        let (_, p) = app.internal_get("/internal/users?unionid=oUnion_follow_0001").await;
        following = p["accounts"][0]["following"].clone();
        if following == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(following, 0);
}
