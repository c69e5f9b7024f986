//! Official-account pushes: scanning a `qrcode/create` code as a follower (`SCAN`) and as a new
//! follower (`subscribe` + `qrscene_`), plain follow and unfollow, the follow state they leave,
//! and the requests WeChat could not send.

mod common;
mod oa_common;
mod webhook;

use common::*;
use oa_common::*;
use serde_json::{json, Value};
use webhook::{Behaviour, Webhook, AES_KEY, TOKEN};
use wechat_sim::wire::inbound::Inbound;
use wechat_sim::wire::Mode;

async fn qrcode(sim: &TestSim, token: &str, body: Value) -> String {
    let answer = sim.post("/cgi-bin/qrcode/create", &[("access_token", token)], &body).await;
    answer.json()["ticket"].as_str().unwrap_or_else(|| panic!("a ticket: {}", answer.text)).to_string()
}

fn oa_push(hook: &Webhook, action: Value) -> Value {
    json!({"url": hook.url, "token": TOKEN, "appid": OA, "official_account": true, "action": action})
}

async fn pushed(sim: &TestSim, hook: &Webhook, action: Value) -> (Value, Inbound) {
    let answer = sim.control("/_sim/push", oa_push(hook, action)).await;
    assert_eq!(answer["outcome"], "success", "{answer}");
    let seen = hook.seen().pop().expect("a delivery");
    assert_eq!(seen.param("openid"), answer["openid"].as_str(), "the sender in the query");
    (answer, seen.opened.expect("the webhook accepts the push"))
}

#[tokio::test]
async fn scanning_without_following_follows_and_pushes_subscribe_with_the_scene() {
    let sim = spawn_oa().await;
    let hook = Webhook::start(OA, Behaviour::Success).await;
    let token = oa_token(&sim).await;
    let body =
        json!({"expire_seconds": 600, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "login_8f3a"}}});
    let ticket = qrcode(&sim, &token, body).await;

    let (answer, event) = pushed(&sim, &hook, json!({"type": "scan", "ticket": ticket, "unionid": "uScanner"})).await;
    let openid = answer["openid"].as_str().unwrap();
    assert_eq!(event.text("MsgType").as_deref(), Some("event"));
    assert_eq!(event.text("Event").as_deref(), Some("subscribe"));
    assert_eq!(event.text("EventKey").as_deref(), Some("qrscene_login_8f3a"));
    assert_eq!(event.text("Ticket").as_deref(), Some(ticket.as_str()));
    assert_eq!(event.text("FromUserName").as_deref(), Some(openid));
    assert!(event.text("ToUserName").unwrap().starts_with("gh_"));
    assert_eq!(event.number("MsgId"), None);

    let info = user_info(&sim, &token, openid).await.json();
    assert_eq!(info["subscribe"], 1);
    assert_eq!(info["subscribe_scene"], "ADD_SCENE_QR_CODE");
    assert_eq!(info["qr_scene_str"], "login_8f3a");
    assert_eq!(info["qr_scene"], 0);
    assert_eq!(info["unionid"], "uScanner");
}

#[tokio::test]
async fn a_follower_scanning_pushes_scan_with_the_bare_scene() {
    let sim = spawn_oa().await;
    let hook = Webhook::start(OA, Behaviour::Success).await;
    let token = oa_token(&sim).await;
    let followed = follow(&sim, json!({"openid": "oFollower"})).await;
    assert_eq!(followed["subscribe_scene"], "ADD_SCENE_SEARCH");
    let ticket = qrcode(&sim, &token, json!({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}})).await;

    let (_, event) = pushed(&sim, &hook, json!({"type": "scan", "ticket": ticket, "openid": "oFollower"})).await;
    assert_eq!(event.text("Event").as_deref(), Some("SCAN"));
    assert_eq!(event.text("EventKey").as_deref(), Some("123"));
    assert_eq!(event.text("Ticket").as_deref(), Some(ticket.as_str()));
    // Still following the way they first did.
    assert_eq!(user_info(&sim, &token, "oFollower").await.json()["subscribe_scene"], "ADD_SCENE_SEARCH");

    // A numeric code scanned by a new follower: qrscene_123 and qr_scene 123.
    let (answer, event) = pushed(&sim, &hook, json!({"type": "scan", "ticket": ticket})).await;
    assert_eq!(event.text("EventKey").as_deref(), Some("qrscene_123"));
    assert_eq!(user_info(&sim, &token, answer["openid"].as_str().unwrap()).await.json()["qr_scene"], 123);
}

#[tokio::test]
async fn follow_and_unfollow_push_plain_events_and_change_the_follow_state() {
    let sim = spawn_oa().await;
    let hook = Webhook::start(OA, Behaviour::Success).await;
    let token = oa_token(&sim).await;
    let (answer, event) = pushed(&sim, &hook, json!({"type": "follow", "openid": "oPlain"})).await;
    assert_eq!(answer["openid"], "oPlain");
    assert_eq!(event.text("Event").as_deref(), Some("subscribe"));
    assert_eq!(event.text("EventKey"), None);
    assert_eq!(user_info(&sim, &token, "oPlain").await.json()["subscribe"], 1);
    assert_eq!(sim.post("/_sim/push", &[], &oa_push(&hook, json!({"type": "follow", "openid": "oPlain"}))).await.status, 400);

    let (_, event) = pushed(&sim, &hook, json!({"type": "unfollow", "openid": "oPlain"})).await;
    assert_eq!(event.text("Event").as_deref(), Some("unsubscribe"));
    assert_eq!(user_info(&sim, &token, "oPlain").await.json(), json!({"subscribe": 0, "openid": "oPlain"}));
    assert_eq!(sim.post("/_sim/push", &[], &oa_push(&hook, json!({"type": "unfollow", "openid": "oPlain"}))).await.status, 400);
}

#[tokio::test]
async fn a_scan_in_safe_mode_goes_through_the_push_machinery() {
    let sim = spawn_oa().await;
    let hook = Webhook::start(OA, Behaviour::Success).await;
    let token = oa_token(&sim).await;
    let ticket =
        qrcode(&sim, &token, json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "shop"}}})).await;
    let mut request = oa_push(&hook, json!({"type": "scan", "ticket": ticket}));
    // Without an appid, official-account actions go to the first --oa app.
    request.as_object_mut().unwrap().remove("appid");
    request["mode"] = json!("safe");
    request["aes_key"] = json!(AES_KEY);
    let answer = sim.control("/_sim/push", request).await;
    assert_eq!(answer["outcome"], "success");
    let event = hook.seen()[0].opened.clone().expect("decrypts");
    assert_eq!(event.mode, Mode::Safe);
    assert_eq!(event.text("EventKey").as_deref(), Some("qrscene_shop"));
}

#[tokio::test]
async fn only_a_live_ticket_of_the_account_can_be_scanned() {
    let sim = spawn_oa().await;
    let hook = Webhook::start(OA, Behaviour::Success).await;
    let token = oa_token(&sim).await;
    let refused = |action: Value, appid: &str| {
        let mut request = oa_push(&hook, action);
        request["appid"] = json!(appid);
        request
    };
    let scan = |ticket: &str| json!({"type": "scan", "ticket": ticket});
    let answer = sim.post("/_sim/push", &[], &refused(scan("NoSuchTicket"), OA)).await;
    assert_eq!(answer.status, 400);
    assert!(answer.text.contains("NoSuchTicket"), "{}", answer.text);

    let short =
        qrcode(&sim, &token, json!({"expire_seconds": 60, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 7}}}))
            .await;
    let lone_token = token_of(&sim, LONE_OA, LONE_OA_SECRET).await;
    let foreign = qrcode(&sim, &lone_token, json!({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 8}}})).await;
    assert_eq!(sim.post("/_sim/push", &[], &refused(scan(&foreign), OA)).await.status, 400, "another account's ticket");
    assert_eq!(sim.post("/_sim/push", &[], &refused(json!({"type": "follow"}), APPID)).await.status, 400, "a mini-program");
    sim.advance(60).await;
    assert_eq!(sim.post("/_sim/push", &[], &refused(scan(&short), OA)).await.status, 400, "an expired ticket");
    assert!(hook.seen().is_empty());
}
