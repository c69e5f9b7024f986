//! The control API's own contract (400/404 JSON on bad requests, the clock, reset, limits),
//! the HTTP basics the worker relies on (keep-alive, 404 for unknown WeChat paths), and the
//! command line's first line.

mod common;

use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[tokio::test]
async fn a_bad_control_request_is_a_400_with_a_json_error() {
    let sim = spawn_sim().await;

    let not_json = sim.post_raw("/_sim/clock/advance", "seconds=5").await;
    let negative = sim.post("/_sim/clock/advance", &[], &json!({"seconds": -5})).await;
    let unknown_app = sim.post("/_sim/login_code", &[], &json!({"appid": "wxnope"})).await;
    let unknown_field = sim.post("/_sim/login_code", &[], &json!({"openId": "x"})).await;
    let bad_kind = sim.post("/_sim/tokens/invalidate", &[], &json!({"kind": "both"})).await;

    for answer in [&not_json, &negative, &unknown_app, &unknown_field, &bad_kind] {
        assert_eq!(answer.status, 400, "{}", answer.text);
        assert!(answer.json()["error"].is_string());
    }
}

#[tokio::test]
async fn an_unknown_control_route_is_a_404_with_a_json_error() {
    let sim = spawn_sim().await;

    let answer = sim.get("/_sim/nothing/here", &[]).await;
    let wrong_method = sim.get("/_sim/clock/advance", &[]).await;

    assert_eq!(answer.status, 404);
    assert!(answer.json()["error"].is_string());
    assert_eq!(wrong_method.status, 405);
    assert!(wrong_method.json()["error"].is_string());
}

#[tokio::test]
async fn an_unknown_wechat_path_is_a_404_and_is_logged() {
    let sim = spawn_sim().await;

    let answer = sim.get("/cgi-bin/nothing", &[]).await;

    assert_eq!(answer.status, 404);
    assert_eq!(sim.calls("/cgi-bin/nothing").await.len(), 1);
}

#[tokio::test]
async fn the_clock_moves_only_forward_and_only_when_told() {
    let sim = spawn_sim().await;
    let start = sim.now().await;

    let advanced = sim.control("/_sim/clock/advance", json!({"seconds": 3600})).await;

    assert_eq!(advanced["now"], start + 3600);
    assert_eq!(sim.now().await, start + 3600);
}

#[tokio::test]
async fn reset_forgets_tokens_users_and_time() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    sim.login_code().await;
    sim.advance(100).await;

    sim.control("/_sim/reset", json!({})).await;

    assert_eq!(sim.round_trip(&token).await.errcode(), 40001);
    assert_eq!(sim.control_get("/_sim/users", &[]).await["users"], json!([]));
    assert!(sim.calls("/cgi-bin/get_api_domain_ip").await.len() == 1, "only the call after reset");
}

#[tokio::test]
async fn limits_can_be_changed_at_run_time_and_bad_ones_are_refused() {
    let sim = spawn_sim().await;

    let changed = sim.control("/_sim/limits", json!({"stable_force_grace": 60})).await;
    let refused = sim.post("/_sim/limits", &[], &json!({"token_lifetime": 100})).await;
    let unknown = sim.post("/_sim/limits", &[], &json!({"no_such_limit": 1})).await;

    assert_eq!(changed["stable_force_grace"], 60);
    assert_eq!(changed["token_lifetime"], 7200);
    assert_eq!(refused.status, 400);
    assert_eq!(unknown.status, 400);
}

#[tokio::test]
async fn a_force_refresh_grace_keeps_the_old_stable_token_alive_that_long() {
    let sim = spawn_sim().await;
    sim.control("/_sim/limits", json!({"stable_force_grace": 60})).await;
    let old = sim.token().await;

    sim.stable_token(true).await;
    let inside = sim.round_trip(&old).await.errcode();
    sim.advance(60).await;
    let after = sim.round_trip(&old).await.errcode();

    assert_eq!((inside, after), (0, 40001));
}

#[tokio::test]
async fn many_requests_share_one_kept_alive_connection() {
    let sim = spawn_sim().await;
    let client = reqwest::Client::builder().pool_max_idle_per_host(1).build().unwrap();
    let token = sim.token().await;

    for _ in 0..200 {
        let response = client
            .get(format!("{}/cgi-bin/get_api_domain_ip", sim.base))
            .query(&[("access_token", &token)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap();
    }
}

#[test]
fn the_binary_prints_its_address_first() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_wechat-sim"))
        .args(["--port", "0", "--seed", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut first = String::new();
    let read = child.stdout.take().map(|out| BufReader::new(out).read_line(&mut first));
    let _ = child.kill();
    let _ = child.wait();

    assert!(read.is_some_and(|r| r.is_ok()));
    let url = first.trim_end().strip_prefix("wechat-sim listening on http://127.0.0.1:").unwrap_or_else(|| panic!("{first:?}"));
    assert!(url.parse::<u16>().is_ok_and(|port| port > 0));
}
