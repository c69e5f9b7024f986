//! Injected faults (consumed in order, errcodes, 5xx pages, garbled bodies, delays, wrong
//! Content-Type) and the call log (redacted, filterable, clearable) with per-day counters.

mod common;

use common::*;
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::test]
async fn faults_for_a_path_are_consumed_in_order() {
    let sim = spawn_sim().await;
    sim.control(
        "/_sim/faults",
        json!([
            {"path": "/cgi-bin/stable_token", "errcode": -1, "times": 2},
            {"path": "/cgi-bin/stable_token", "errcode": 45009},
        ]),
    )
    .await;

    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(sim.stable_token(false).await.errcode());
    }

    assert_eq!(codes, [-1, -1, 45009, 0]);
    let faults = sim.control_get("/_sim/faults", &[]).await;
    assert_eq!(faults["faults"], json!([]));
}

#[tokio::test]
async fn a_fault_on_one_path_leaves_others_alone() {
    let sim = spawn_sim().await;
    sim.control("/_sim/faults", json!({"path": "/sns/jscode2session", "errcode": -1})).await;

    assert_eq!(sim.stable_token(false).await.errcode(), 0);
    let (code, _) = sim.login_code().await;
    assert_eq!(sim.jscode2session(APPID, SECRET, &code).await.errcode(), -1);
    assert_eq!(sim.jscode2session(APPID, SECRET, &code).await.errcode(), 0, "the faulted call used no code");
}

#[tokio::test]
async fn a_5xx_fault_answers_an_html_page() {
    let sim = spawn_sim().await;
    sim.control("/_sim/faults", json!({"path": "/cgi-bin/stable_token", "status": 503})).await;

    let answer = sim.stable_token(false).await;

    assert_eq!(answer.status, 503);
    assert!(answer.content_type.starts_with("text/html"));
    assert!(answer.text.contains("503"));
    let logged = sim.calls("/cgi-bin/stable_token").await;
    assert_eq!(logged[0]["status"], 503);
    assert_eq!(logged[0]["errcode"], serde_json::Value::Null);
    assert_eq!(logged[0]["fault"], true);
}

#[tokio::test]
async fn a_malformed_fault_garbles_the_body_and_a_content_type_fault_relabels_it() {
    let sim = spawn_sim().await;
    sim.control(
        "/_sim/faults",
        json!([
            {"path": "/cgi-bin/stable_token", "malformed": true},
            {"path": "/cgi-bin/stable_token", "content_type": "text/plain"},
        ]),
    )
    .await;

    let garbled = sim.stable_token(false).await;
    let relabelled = sim.stable_token(false).await;

    assert_eq!(garbled.status, 200);
    assert!(serde_json::from_str::<serde_json::Value>(&garbled.text).is_err(), "{}", garbled.text);
    assert_eq!(relabelled.content_type, "text/plain");
    assert!(relabelled.json()["access_token"].is_string());
}

#[tokio::test]
async fn a_delay_fault_answers_late_but_normally() {
    let sim = spawn_sim().await;
    sim.control("/_sim/faults", json!({"path": "/cgi-bin/stable_token", "delay_ms": 300})).await;

    let started = Instant::now();
    let answer = sim.stable_token(false).await;

    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(answer.json()["access_token"].is_string());
}

#[tokio::test]
async fn the_nth_call_can_be_made_to_fail_and_faults_can_be_cleared() {
    let sim = spawn_sim().await;
    sim.control("/_sim/faults", json!({"path": "*", "errcode": -1, "after": 1, "times": 0})).await;

    let first = sim.stable_token(false).await.errcode();
    let second = sim.stable_token(false).await.errcode();
    let third = sim.classic_token().await.errcode();
    let cleared = sim.http.delete(format!("{}/_sim/faults", sim.base)).send().await.unwrap().status();
    let fourth = sim.stable_token(false).await.errcode();

    assert_eq!([first, second, third, fourth], [0, -1, -1, 0]);
    assert_eq!(cleared, 200);
}

#[tokio::test]
async fn a_fault_without_any_effect_is_a_bad_request() {
    let sim = spawn_sim().await;

    let answer = sim.post("/_sim/faults", &[], &json!({"path": "/cgi-bin/token"})).await;

    assert_eq!(answer.status, 400);
    assert!(answer.json()["error"].is_string());
}

#[tokio::test]
async fn the_log_records_calls_with_the_secret_redacted() {
    let sim = spawn_sim().await;
    sim.stable_token(false).await;
    sim.classic_token().await;

    let stable = sim.calls("/cgi-bin/stable_token").await;
    let classic = sim.calls("/cgi-bin/token").await;

    assert_eq!(stable.len(), 1);
    let call = &stable[0];
    assert_eq!(call["method"], "POST");
    assert_eq!(call["appid"], APPID);
    assert_eq!(call["errcode"], 0);
    assert_eq!(call["status"], 200);
    assert_eq!(call["at"], sim.now().await);
    assert_eq!(call["body"]["secret"], "***");
    assert_eq!(call["body"]["appid"], APPID);
    assert_eq!(classic[0]["query"]["secret"], "***");
    assert_eq!(classic[0]["query"]["grant_type"], "client_credential");
    let everything = sim.control_get("/_sim/log", &[]).await.to_string();
    assert!(!everything.contains(SECRET), "the secret must never be logged");
}

#[tokio::test]
async fn the_log_keeps_errcodes_and_leaves_out_control_calls() {
    let sim = spawn_sim().await;
    sim.round_trip("garbage").await;

    let calls = sim.control_get("/_sim/log", &[]).await["calls"].as_array().unwrap().clone();

    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["path"], "/cgi-bin/get_api_domain_ip");
    assert_eq!(calls[0]["errcode"], 40014);
}

#[tokio::test]
async fn clearing_the_log_empties_it_and_sequence_numbers_keep_growing() {
    let sim = spawn_sim().await;
    sim.stable_token(false).await;
    let before = sim.calls("/cgi-bin/stable_token").await[0]["seq"].as_u64().unwrap();

    sim.control("/_sim/log/clear", json!({})).await;
    let emptied = sim.calls("/cgi-bin/stable_token").await;
    sim.stable_token(false).await;
    let after = sim.calls("/cgi-bin/stable_token").await[0]["seq"].as_u64().unwrap();

    assert!(emptied.is_empty());
    assert!(after > before);
}

#[tokio::test]
async fn counters_count_calls_per_endpoint_for_the_day() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    sim.stable_token(false).await;
    sim.round_trip(&token).await;

    let counters = sim.control_get("/_sim/counters", &[("appid", APPID)]).await;

    assert_eq!(counters["calls"]["/cgi-bin/stable_token"], 2);
    assert_eq!(counters["calls"]["/cgi-bin/get_api_domain_ip"], 1);
    sim.advance(86_400).await;
    let tomorrow = sim.control_get("/_sim/counters", &[("appid", APPID)]).await;
    assert_eq!(tomorrow["calls"], json!({}));
}
