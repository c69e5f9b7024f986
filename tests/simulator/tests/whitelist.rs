//! The API IP whitelist (wechat-oa.md §9): with an app's whitelist on, calls from anywhere but
//! the relay port (`--relay-port`, the relay's fixed address) get 40164 — the AppSecret calls
//! (`secret`, a mini program's whitelist) or every access_token call as well (`all`, an
//! official account's). The call log says which port each call came in on.

mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use wechat_sim::{Config, WhitelistScope};

fn with_relay() -> Config {
    Config { relay_port: Some(0), ..test_config() }
}

fn whitelisted(scope: WhitelistScope) -> Config {
    Config { ip_whitelist: [(APPID.to_string(), scope)].into(), ..with_relay() }
}

/// A 40164 as WeChat words it, naming the caller (the test runs on loopback).
fn assert_not_whitelisted(answer: &Answer) {
    assert_eq!(answer.status, 200);
    assert_eq!(answer.errcode(), 40164, "{}", answer.text);
    let errmsg = answer.json()["errmsg"].as_str().unwrap().to_string();
    assert!(errmsg.starts_with("invalid ip 127.0.0.1 ipv6 ::ffff:127.0.0.1, not in whitelist rid: "), "{errmsg}");
}

async fn login_code_for(sim: &TestSim, appid: &str) -> String {
    sim.control("/_sim/login_code", json!({"appid": appid})).await["code"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn without_a_whitelist_both_ports_answer_and_the_log_tells_them_apart() {
    let sim = spawn_sim_with(with_relay()).await;
    let relay = sim.through_relay();

    let direct = sim.stable_token(false).await;
    let relayed = relay.stable_token(false).await;

    assert_eq!(direct.errcode(), 0, "{}", direct.text);
    assert_eq!(relayed.json()["access_token"], direct.json()["access_token"]);
    let via: Vec<Value> = sim.calls("/cgi-bin/stable_token").await.iter().map(|c| c["via"].clone()).collect();
    assert_eq!(via, [json!("direct"), json!("relay")]);
    let only_relayed = sim.control_get("/_sim/log", &[("via", "relay")]).await;
    assert_eq!(only_relayed["calls"].as_array().unwrap().len(), 1);
    let health = sim.control_get("/_sim/health", &[]).await;
    assert_eq!(health["relay"].as_str(), sim.relay.as_deref());
}

#[tokio::test]
async fn a_simulator_without_a_relay_port_logs_every_call_as_direct() {
    let sim = spawn_sim().await;

    sim.stable_token(false).await;

    assert_eq!(sim.calls("/cgi-bin/stable_token").await[0]["via"], "direct");
    assert_eq!(sim.control_get("/_sim/health", &[]).await["relay"], Value::Null);
}

#[tokio::test]
async fn the_appsecret_calls_must_come_through_the_relay() {
    let sim = spawn_sim_with(whitelisted(WhitelistScope::Secret)).await;
    let relay = sim.through_relay();
    let code = login_code_for(&sim, APPID).await;

    assert_not_whitelisted(&sim.stable_token(false).await);
    assert_not_whitelisted(&sim.classic_token().await);
    assert_not_whitelisted(&sim.jscode2session(APPID, SECRET, &code).await);

    assert_eq!(relay.stable_token(false).await.errcode(), 0);
    assert_eq!(relay.classic_token().await.errcode(), 0);
    // The refused attempt did not use the code up.
    let session = relay.jscode2session(APPID, SECRET, &code).await;
    assert!(session.json()["session_key"].is_string(), "{}", session.text);
    let refused = sim.control_get("/_sim/log", &[("via", "direct")]).await;
    assert!(refused["calls"].as_array().unwrap().iter().all(|c| c["errcode"] == 40164 && c["appid"] == APPID));
}

#[tokio::test]
async fn a_secret_whitelist_leaves_access_token_calls_and_other_apps_alone() {
    let sim = spawn_sim_with(whitelisted(WhitelistScope::Secret)).await;
    let token = sim.through_relay().token().await;

    let round_trip = sim.round_trip(&token).await;
    let other_app = sim
        .post(
            "/cgi-bin/stable_token",
            &[],
            &json!({"grant_type": "client_credential", "appid": OTHER_APPID, "secret": OTHER_SECRET}),
        )
        .await;

    assert_eq!(round_trip.errcode(), 0, "{}", round_trip.text);
    assert_eq!(other_app.errcode(), 0, "{}", other_app.text);
}

#[tokio::test]
async fn an_all_whitelist_covers_every_access_token_call_too() {
    let sim = spawn_sim_with(whitelisted(WhitelistScope::All)).await;
    let relay = sim.through_relay();
    let token = relay.token().await;

    assert_not_whitelisted(&sim.round_trip(&token).await);
    assert_eq!(relay.round_trip(&token).await.errcode(), 0);
    // A token WeChat never issued names no app: the usual 40001, wherever it comes from.
    let unknown = format!("92_{}", "A".repeat(136));
    assert_eq!(sim.round_trip(&unknown).await.errcode(), 40001);
}

#[tokio::test]
async fn the_address_is_checked_before_the_secret() {
    let sim = spawn_sim_with(whitelisted(WhitelistScope::Secret)).await;
    let wrong = json!({"grant_type": "client_credential", "appid": APPID, "secret": "wrong"});

    assert_not_whitelisted(&sim.post("/cgi-bin/stable_token", &[], &wrong).await);
    assert_eq!(sim.through_relay().post("/cgi-bin/stable_token", &[], &wrong).await.errcode(), 40125);
    // No app named, nothing to check: the usual errcode.
    assert_eq!(sim.get("/cgi-bin/token", &[("grant_type", "client_credential")]).await.errcode(), 41002);
}

#[tokio::test]
async fn the_whitelist_is_switched_at_run_time_and_reset_restores_the_start_up_one() {
    let sim = spawn_sim_with(with_relay()).await;

    let on = sim.control("/_sim/whitelist", json!({"appid": OTHER_APPID, "scope": "all"})).await;
    let shown = sim.control_get("/_sim/whitelist", &[("appid", OTHER_APPID)]).await;
    let listed = sim.control_get("/_sim/whitelist", &[]).await;

    assert_eq!(on, json!({"appid": OTHER_APPID, "enabled": true, "scope": "all"}));
    assert_eq!(shown, on);
    assert_eq!(listed["whitelist"][0], json!({"appid": APPID, "enabled": false, "scope": null}));
    assert_eq!(listed["whitelist"][1], on);
    assert_eq!(listed["relay"].as_str(), sim.relay.as_deref());
    let code = login_code_for(&sim, OTHER_APPID).await;
    assert_not_whitelisted(&sim.jscode2session(OTHER_APPID, OTHER_SECRET, &code).await);

    // The default app, the default scope.
    let default = sim.control("/_sim/whitelist", json!({})).await;
    assert_eq!(default, json!({"appid": APPID, "enabled": true, "scope": "secret"}));
    assert_not_whitelisted(&sim.stable_token(false).await);
    sim.control("/_sim/whitelist", json!({"enabled": false})).await;
    assert_eq!(sim.stable_token(false).await.errcode(), 0);

    sim.control("/_sim/reset", json!({})).await;
    let after_reset = sim.control_get("/_sim/whitelist", &[("appid", OTHER_APPID)]).await;
    assert_eq!(after_reset["enabled"], false);
}

#[tokio::test]
async fn reset_keeps_a_start_up_whitelist() {
    let sim = spawn_sim_with(whitelisted(WhitelistScope::All)).await;
    sim.control("/_sim/whitelist", json!({"enabled": false})).await;

    sim.control("/_sim/reset", json!({})).await;

    let shown = sim.control_get("/_sim/whitelist", &[("appid", APPID)]).await;
    assert_eq!(shown, json!({"appid": APPID, "enabled": true, "scope": "all"}));
}

#[tokio::test]
async fn bad_whitelist_requests_are_400s() {
    let sim = spawn_sim().await;

    for body in [json!({"scope": "tokens"}), json!({"appid": "wxnope"}), json!({"enabled": "yes"}), json!({"ip": "1.2.3.4"})] {
        let answer = sim.post("/_sim/whitelist", &[], &body).await;
        assert_eq!(answer.status, 400, "{body}: {}", answer.text);
        assert!(answer.json()["error"].is_string());
    }
}

#[tokio::test]
async fn a_whitelist_for_an_app_the_simulator_does_not_have_is_refused_at_start() {
    let config = Config { ip_whitelist: [("wxnope".to_string(), WhitelistScope::Secret)].into(), ..test_config() };

    let started = wechat_sim::start(config).await;

    assert_eq!(started.err().map(|e| e.kind()), Some(std::io::ErrorKind::InvalidInput));
}

#[test]
fn the_binary_prints_the_relay_port_second_and_marks_relayed_calls() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechat-sim"))
        .args(["--port", "0", "--relay-port", "0", "--ip-whitelist", &format!("{APPID}:all")])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();

    let main = first.strip_prefix("wechat-sim listening on http://127.0.0.1:").unwrap_or_else(|| panic!("{first:?}"));
    let relay = second.strip_prefix("wechat-sim relay port on http://127.0.0.1:").unwrap_or_else(|| panic!("{second:?}"));
    let (main, relay): (u16, u16) = (main.parse().unwrap(), relay.parse().unwrap());
    assert_ne!(main, relay);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET});
    let post = |port: u16| {
        let body = body.clone();
        runtime.block_on(async move {
            let url = format!("http://127.0.0.1:{port}/cgi-bin/stable_token");
            reqwest::Client::new().post(url).json(&body).send().await.unwrap().json::<Value>().await.unwrap()
        })
    };
    assert_eq!(post(main)["errcode"], 40164);
    assert!(post(relay)["access_token"].is_string());
    let direct_line = lines.next().unwrap().unwrap();
    let relay_line = lines.next().unwrap().unwrap();
    child.kill().ok();
    child.wait().ok();
    assert!(direct_line.contains("-> errcode 40164") && !direct_line.contains("via relay"), "{direct_line}");
    assert!(relay_line.contains("-> ok") && relay_line.ends_with("via relay"), "{relay_line}");
}
