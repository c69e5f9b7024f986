//! custom/send and custom/typing: the window a user's action opens, its quotas, and the
//! message checks.

mod common;

use common::*;
use serde_json::{json, Value};

async fn send(sim: &TestSim, token: &str, body: Value) -> Answer {
    sim.post("/cgi-bin/message/custom/send", &[("access_token", token)], &body).await
}

fn text(openid: &str, content: &str) -> Value {
    json!({"touser": openid, "msgtype": "text", "text": {"content": content}})
}

async fn act(sim: &TestSim, openid: &str, kind: &str) {
    sim.control("/_sim/user_action", json!({"openid": openid, "kind": kind})).await;
}

#[tokio::test]
async fn a_user_message_allows_5_sends_within_48_hours() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;

    let before = send(&sim, &token, text(&openid, "hi")).await.errcode();
    act(&sim, &openid, "message").await;
    let mut codes = Vec::new();
    for _ in 0..6 {
        codes.push(send(&sim, &token, text(&openid, "hello")).await.errcode());
    }

    assert_eq!(before, 45015);
    assert_eq!(codes, [0, 0, 0, 0, 0, 45047]);
}

#[tokio::test]
async fn the_message_window_closes_after_48_hours() {
    let sim = spawn_sim().await;
    let (_, openid) = sim.login_code().await;
    act(&sim, &openid, "message").await;

    sim.advance(48 * 3600).await;
    let token = sim.token().await;

    assert_eq!(send(&sim, &token, text(&openid, "late")).await.errcode(), 45015);
}

#[tokio::test]
async fn entering_the_session_allows_2_sends_within_a_minute() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    act(&sim, &openid, "enter_session").await;

    let first = send(&sim, &token, text(&openid, "welcome")).await.errcode();
    sim.advance(60).await;
    let late = send(&sim, &token, text(&openid, "still there?")).await.errcode();
    act(&sim, &openid, "enter_session").await;
    let codes: Vec<i64> = [
        send(&sim, &token, text(&openid, "1")).await.errcode(),
        send(&sim, &token, text(&openid, "2")).await.errcode(),
        send(&sim, &token, text(&openid, "3")).await.errcode(),
    ]
    .into();

    assert_eq!(first, 0);
    assert_eq!(late, 45015);
    assert_eq!(codes, [0, 0, 45047]);
}

#[tokio::test]
async fn sends_are_checked_for_openid_type_shape_and_size() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    act(&sim, &openid, "message").await;

    let unknown = send(&sim, &token, text("oNobodyHere", "hi")).await.errcode();
    let bad_type = send(&sim, &token, json!({"touser": openid, "msgtype": "voice", "voice": {}})).await.errcode();
    let no_object = send(&sim, &token, json!({"touser": openid, "msgtype": "text"})).await.errcode();
    let too_long = send(&sim, &token, text(&openid, &"字".repeat(683))).await.errcode();
    let card = json!({"touser": openid, "msgtype": "miniprogrampage",
        "miniprogrampage": {"title": "t", "pagepath": "pages/index/index?a=1", "thumb_media_id": "m"}});
    let card = send(&sim, &token, card).await.errcode();

    assert_eq!([unknown, bad_type, no_object, too_long, card], [40003, 40008, 47001, 45002, 0]);
    let logged = sim.calls("/cgi-bin/message/custom/send").await;
    assert_eq!(logged.last().unwrap()["body"]["miniprogrampage"]["title"], "t");
}

async fn typing(sim: &TestSim, token: &str, openid: &str, command: &str) -> i64 {
    let body = json!({"touser": openid, "command": command});
    sim.post("/cgi-bin/message/custom/typing", &[("access_token", token)], &body).await.errcode()
}

#[tokio::test]
async fn typing_needs_a_recent_user_action_and_cannot_be_set_twice() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;

    let without_action = typing(&sim, &token, &openid, "Typing").await;
    act(&sim, &openid, "message").await;
    let first = typing(&sim, &token, &openid, "Typing").await;
    let again = typing(&sim, &token, &openid, "Typing").await;
    let cancelled = typing(&sim, &token, &openid, "CancelTyping").await;
    let after_cancel = typing(&sim, &token, &openid, "Typing").await;
    let bad = typing(&sim, &token, &openid, "Dancing").await;
    sim.advance(31).await;
    let stale = typing(&sim, &token, &openid, "Typing").await;

    assert_eq!([without_action, first, again, cancelled, after_cancel, bad, stale], [45080, 0, 45081, 0, 0, 45072, 45080]);
}

#[tokio::test]
async fn sending_a_message_ends_typing() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    act(&sim, &openid, "message").await;

    typing(&sim, &token, &openid, "Typing").await;
    send(&sim, &token, text(&openid, "done")).await;

    assert_eq!(typing(&sim, &token, &openid, "Typing").await, 0);
    let user = sim.control_get("/_sim/users", &[("openid", &openid)]).await;
    assert_eq!(user["cs_window"]["remaining"], 4);
    assert_eq!(user["cs_window"]["typing"], true);
}
