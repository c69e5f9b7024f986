//! JS-SDK tickets: `getticket`, a new ticket superseding the last with an overlap, a ticket
//! life of its own, revocation, and the `wx.config` signature check with the doc's example.

mod common;
mod oa_common;

use common::*;
use oa_common::*;
use serde_json::{json, Value};
use wechat_sim::{jsapi_signature, Config, Limits};

const DOC_TICKET: &str = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
const DOC_NONCE: &str = "Wm3WZYTPz0wzccnW";
const DOC_TIMESTAMP: u64 = 1414587457;
const DOC_URL: &str = "http://mp.weixin.qq.com?params=value";
const DOC_SIGNATURE: &str = "0f9de62fce790f9a083d5c99e95740ceb90c27ed";

async fn getticket(sim: &TestSim, token: &str, kind: &str) -> Answer {
    sim.get("/cgi-bin/ticket/getticket", &[("access_token", token), ("type", kind)]).await
}

async fn ticket(sim: &TestSim, token: &str) -> String {
    let answer = getticket(sim, token, "jsapi").await;
    answer.json()["ticket"].as_str().unwrap_or_else(|| panic!("a ticket: {}", answer.text)).to_string()
}

/// `wx.config` on `url` signed with `ticket`.
async fn config_check(sim: &TestSim, ticket: &str, url: &str) -> Value {
    let signature = jsapi_signature(ticket, "nonce123", "1700000000", url.split('#').next().unwrap());
    let body = json!({"appId": OA, "timestamp": 1700000000, "nonceStr": "nonce123", "signature": signature, "url": url,
                      "jsApiList": ["scanQRCode"], "debug": false});
    sim.control("/_sim/jssdk/check", body).await
}

#[tokio::test]
async fn the_doc_example_signs_to_the_doc_signature() {
    assert_eq!(jsapi_signature(DOC_TICKET, DOC_NONCE, &DOC_TIMESTAMP.to_string(), DOC_URL), DOC_SIGNATURE);
}

#[tokio::test]
async fn getticket_answers_a_jsapi_or_card_ticket_for_two_hours() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    let answer = getticket(&sim, &token, "jsapi").await;
    let body = answer.json();
    assert_eq!((body["errcode"].as_i64(), body["errmsg"].as_str()), (Some(0), Some("ok")));
    assert_eq!(body["expires_in"], 7200);
    let jsapi = body["ticket"].as_str().unwrap();
    assert_eq!(jsapi.len(), 86);
    let card = getticket(&sim, &token, "wx_card").await.json();
    assert_ne!(card["ticket"].as_str(), Some(jsapi));
    let shown = sim.control_get("/_sim/tickets", &[]).await;
    assert_eq!(shown["appid"], OA);
    assert_eq!(shown["jsapi"]["current"], jsapi);
    assert_eq!(shown["wx_card"]["current"], card["ticket"]);
    assert_eq!(getticket(&sim, &token, "nope").await.errcode(), 40097);
    assert_eq!(sim.get("/cgi-bin/ticket/getticket", &[("type", "jsapi")]).await.errcode(), 41001);
    assert_eq!(sim.calls("/cgi-bin/ticket/getticket").await.len(), 4);
}

#[tokio::test]
async fn a_new_ticket_supersedes_the_last_which_works_five_minutes_more() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    let first = ticket(&sim, &token).await;
    let second = ticket(&sim, &token).await;
    assert_ne!(first, second);
    assert_eq!(config_check(&sim, &first, "https://h5.example.com/page?x=1#frag").await["ok"], true);
    sim.advance(299).await;
    assert_eq!(config_check(&sim, &first, "https://h5.example.com/page").await["ok"], true);
    sim.advance(1).await;
    let refused = config_check(&sim, &first, "https://h5.example.com/page").await;
    assert_eq!(refused, json!({"ok": false, "errMsg": "config:invalid signature", "reason": refused["reason"]}));
    assert_eq!(config_check(&sim, &second, "https://h5.example.com/page").await["ok"], true);
    let tickets = sim.control_get("/_sim/tickets", &[("appid", OA)]).await;
    let valid: Vec<bool> = tickets["tickets"].as_array().unwrap().iter().map(|t| t["valid"].as_bool().unwrap()).collect();
    assert_eq!(valid, [false, true]);
}

#[tokio::test]
async fn a_ticket_lives_on_its_own_clock_not_the_tokens() {
    // A short ticket outlived by its token...
    let sim = spawn_oa().await;
    sim.control("/_sim/limits", json!({"ticket_lifetime": 600})).await;
    let token = oa_token(&sim).await;
    let short = ticket(&sim, &token).await;
    assert_eq!(getticket(&sim, &token, "wx_card").await.json()["expires_in"], 600);
    sim.advance(600).await;
    assert_eq!(config_check(&sim, &short, "https://h5.example.com/").await["ok"], false);
    assert_eq!(sim.round_trip(&token).await.errcode(), 0, "the token still works");
    assert_eq!(sim.control_get("/_sim/tickets", &[]).await["jsapi"]["valid"], false);

    // ...and a ticket outliving its token.
    let config = Config { limits: Limits { token_lifetime: 400, ..Limits::default() }, ..oa_config() };
    let sim = spawn_sim_with(config).await;
    let token = oa_token(&sim).await;
    let long = ticket(&sim, &token).await;
    sim.advance(500).await;
    assert_eq!(getticket(&sim, &token, "jsapi").await.errcode(), 42001);
    assert_eq!(config_check(&sim, &long, "https://h5.example.com/").await["ok"], true);
}

#[tokio::test]
async fn revoked_tickets_fail_at_once_and_a_new_one_works() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    let first = ticket(&sim, &token).await;
    let second = ticket(&sim, &token).await;
    let revoked = sim.control("/_sim/tickets/invalidate", json!({"appid": OA})).await;
    let mut expected = vec![first.clone(), second.clone()];
    expected.sort();
    assert_eq!(revoked["invalidated"], json!(expected));
    for t in [&first, &second] {
        assert_eq!(config_check(&sim, t, "https://h5.example.com/").await["ok"], false);
    }
    let third = ticket(&sim, &token).await;
    assert_eq!(config_check(&sim, &third, "https://h5.example.com/").await["ok"], true);
    assert_eq!(sim.post("/_sim/tickets/invalidate", &[], &json!({"appid": APPID})).await.status, 400);
}

#[tokio::test]
async fn wx_config_checks_the_doc_example_end_to_end() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    sim.control("/_sim/tickets/next", json!({"ticket": DOC_TICKET})).await;
    assert_eq!(ticket(&sim, &token).await, DOC_TICKET);
    let config = |signature: &str, url: &str| json!({"appId": OA, "timestamp": DOC_TIMESTAMP, "nonceStr": DOC_NONCE, "signature": signature, "url": url});
    let ok = sim.control("/_sim/jssdk/check", config(DOC_SIGNATURE, DOC_URL)).await;
    assert_eq!(ok, json!({"ok": true, "ticket": DOC_TICKET}));
    // The fragment is never signed; the timestamp may come as a string.
    let mut fragment = config(DOC_SIGNATURE, &format!("{DOC_URL}#section"));
    fragment["timestamp"] = json!(DOC_TIMESTAMP.to_string());
    assert_eq!(sim.control("/_sim/jssdk/check", fragment).await["ok"], true);
    let wrong = sim.control("/_sim/jssdk/check", config(&DOC_SIGNATURE.replace('0', "1"), DOC_URL)).await;
    assert_eq!(wrong["errMsg"], "config:invalid signature");
    let other_url = sim.control("/_sim/jssdk/check", config(DOC_SIGNATURE, "http://mp.weixin.qq.com?params=other")).await;
    assert_eq!(other_url["ok"], false);
    let mut mini = config(DOC_SIGNATURE, DOC_URL);
    mini["appId"] = json!(APPID);
    assert_eq!(sim.control("/_sim/jssdk/check", mini).await["ok"], false);
    // A ticket can be queued once only.
    assert_eq!(sim.post("/_sim/tickets/next", &[], &json!({"ticket": DOC_TICKET})).await.status, 400);
}
