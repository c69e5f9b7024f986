//! End to end: the access-token central control. One Durable Object per app is the only
//! caller of WeChat's token endpoint, whatever the concurrency, failures or restarts.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

async fn token_calls(app: &TestApp) -> usize {
    app.sim_calls("/cgi-bin/stable_token").await.len()
}

#[tokio::test]
async fn two_hundred_concurrent_cold_reads_cause_exactly_one_upstream_call() {
    let app = spawn_app().await;

    let reads = (0..200).map(|_| app.internal_get("/internal/token"));
    let answers: Vec<(u16, Value)> = futures::future::join_all(reads).await;

    let tokens: std::collections::HashSet<String> = answers
        .iter()
        .map(|(s, b)| {
            assert_eq!(*s, 200, "{b}");
            b["access_token"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(tokens.len(), 1, "every caller gets the same token");
    assert_eq!(token_calls(&app).await, 1);
}

#[tokio::test]
async fn unauthorised_reads_get_401_and_nothing_else_and_unknown_apps_404() {
    let app = spawn_app().await;

    let r = app.client.get(app.url("/internal/token")).send().await.unwrap();
    let (status, body) = read(r).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "unauthorized");
    assert!(body.to_string().len() < 200, "a 401 says nothing more: {body}");

    let r = app.client.get(app.url("/internal/token")).bearer_auth("wrong-key").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = app.client.get(app.url("/internal/token/status")).bearer_auth(format!("{INTERNAL_KEY}x")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);

    let (status, body) = app.internal_get("/internal/token?appid=wx9999999999999999").await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(token_calls(&app).await, 0, "nothing reached WeChat");
}

#[tokio::test]
async fn each_app_has_its_own_token_and_the_status_never_shows_it() {
    let app = spawn_app().await;

    let (_, a) = app.internal_get("/internal/token").await;
    let (_, b) = app.internal_get(&format!("/internal/token?appid={APPID_B}")).await;
    assert_ne!(a["access_token"], b["access_token"]);

    let (status, s) = app.internal_get(&format!("/internal/token/status?appid={APPID_B}")).await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["state"], "fresh");
    assert_eq!(s["stats"]["refreshes"], 1);
    assert!(s["expires_at"].as_u64().unwrap() > s["fetched_at"].as_u64().unwrap());
    assert!(!s.to_string().contains(b["access_token"].as_str().unwrap()), "status must not carry the token");
}

#[tokio::test]
async fn compare_and_refresh_refreshes_only_the_current_token() {
    let app = spawn_app().await;
    let (_, first) = app.internal_get("/internal/token").await;
    let first = first["access_token"].as_str().unwrap().to_owned();

    // WeChat says the token is stale: the caller asks for a refresh of the token it saw.
    app.sim_post("/_sim/tokens/invalidate", &json!({ "appid": APPID, "kind": "stable" })).await;
    let (status, second) = app.internal_post("/internal/token/refresh", &json!({ "access_token": first })).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(second["changed"], true);
    let second = second["access_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert_eq!(token_calls(&app).await, 2);

    // A late caller reporting the old token gets the new one, with no upstream call.
    let (_, third) = app.internal_post("/internal/token/refresh", &json!({ "access_token": first })).await;
    assert_eq!(third["access_token"].as_str(), Some(second.as_str()));
    assert_eq!(token_calls(&app).await, 2);

    let (status, body) = app.internal_post("/internal/token/refresh", &json!({})).await;
    assert_eq!(status, 400, "{body}");
}

#[tokio::test]
async fn a_token_superseded_behind_our_back_is_recovered_with_exactly_one_refresh() {
    let app = spawn_app().await;
    let (session, openid) = app.login().await;
    let phone_code = app.sim_post("/_sim/phone_code", &json!({ "appid": APPID, "openid": openid })).await;
    let (_, t) = app.internal_get("/internal/token").await; // warm every cache
    assert!(t["access_token"].is_string());

    app.sim_post("/_sim/tokens/invalidate", &json!({ "appid": APPID, "kind": "stable" })).await;
    let r = app
        .client
        .post(app.url("/api/phone"))
        .bearer_auth(&session)
        .json(&json!({ "code": phone_code["code"] }))
        .send()
        .await
        .unwrap();
    let (status, body) = read(r).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(token_calls(&app).await, 2, "one refresh");
    let phone_calls = app.sim_calls("/wxa/business/getuserphonenumber").await;
    assert_eq!(phone_calls.len(), 2, "one retry");
    assert_eq!(phone_calls[0]["errcode"], 40001);
}

#[tokio::test]
async fn upstream_system_errors_are_retried_a_bounded_number_of_times_then_fail_fast() {
    let app = spawn_app().await;
    app.sim_fault(json!({ "path": "/cgi-bin/stable_token", "errcode": -1, "times": 0 })).await;

    let (status, body) = app.internal_get("/internal/token").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["error"]["wechat_errcode"], -1);
    assert_eq!(token_calls(&app).await, 3, "three attempts, then stop");

    // Within the cooldown: the recorded error at once, no new upstream call.
    let (status, body) = app.internal_get("/internal/token").await;
    assert_eq!(status, 503, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("next attempt"), "{body}");
    assert_eq!(token_calls(&app).await, 3);

    let (_, s) = app.internal_get("/internal/token/status").await;
    assert_eq!(s["stats"]["failures"], 1);
    assert!(s["stats"]["last_error"].as_str().is_some());
}

#[tokio::test]
async fn http_5xx_and_bad_credentials_give_clear_answers_without_a_hot_loop() {
    let app = spawn_app().await;
    app.sim_fault(json!({ "path": "/cgi-bin/stable_token", "status": 502, "times": 0 })).await;
    let (status, body) = app.internal_get("/internal/token").await;
    assert_eq!(status, 503, "WeChat's 5xx is passing: retry later: {body}");
    assert_eq!(token_calls(&app).await, 3);

    let r = app.client.delete(format!("{}/_sim/faults", app.sim)).send().await.unwrap();
    assert!(r.status().is_success());
    // A wrong AppSecret is not transient: one call, and the message says what to check.
    let (status, body) = app.internal_get(&format!("/internal/token?appid={APPID_B}")).await;
    assert_eq!(status, 200, "the other app is unaffected: {body}");
    let bad = spawn_app_with(Options::default().var("WECHAT_APP_SECRET", "not-the-secret")).await;
    let (status, body) = bad.internal_get("/internal/token").await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["wechat_errcode"], 40125);
    assert!(body["error"]["message"].as_str().unwrap().contains("WECHAT_APP_SECRET"));
    assert!(!body.to_string().contains("not-the-secret"), "the secret never shows");
    assert_eq!(bad.sim_calls("/cgi-bin/stable_token").await.len(), 1);
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out_with_a_503_instead_of_hanging() {
    let app = spawn_app().await;
    app.sim_fault(json!({ "path": "/cgi-bin/stable_token", "delay_ms": 8000, "times": 0 })).await;
    let started = std::time::Instant::now();
    let (status, body) = app.internal_get("/internal/token").await;
    assert_eq!(status, 503, "{body}");
    assert!(started.elapsed() < Duration::from_secs(25), "bounded: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_restarted_worker_serves_the_stored_token_without_an_upstream_call() {
    let mut app = spawn_app().await;
    let (_, before) = app.internal_get("/internal/token").await;

    app.restart_worker().await;
    let (status, after) = app.internal_get("/internal/token").await;

    assert_eq!(status, 200, "{after}");
    assert_eq!(before["access_token"], after["access_token"]);
    assert_eq!(token_calls(&app).await, 1);
}

#[tokio::test]
async fn a_token_shorter_than_the_margin_is_not_refetched_on_every_read() {
    let app =
        spawn_app_with(Options::default().sim_arg("--token-lifetime").sim_arg("400").var("TOKEN_REFRESH_MARGIN_SECONDS", "600"))
            .await;
    for _ in 0..20 {
        let (status, body) = app.internal_get("/internal/token").await;
        assert_eq!(status, 200, "{body}");
        assert!(body["expires_in"].as_u64().unwrap() > 300, "{body}");
    }
    assert_eq!(token_calls(&app).await, 1);
}

#[tokio::test]
async fn the_alarm_refreshes_before_expiry_with_no_request_waiting_and_the_cron_leaves_fresh_tokens_alone() {
    // 30 s tokens (renewed by WeChat in their last 20 s): due at 15 s (half-life), servable
    // until 23 s.
    let app = spawn_app_with(
        Options::default().sim_arg("--token-lifetime").sim_arg("30").sim_arg("--stable-renew-window").sim_arg("20"),
    )
    .await;
    let (_, first) = app.internal_get("/internal/token").await;

    // The cron on a fresh token: health logged, nothing refreshed.
    let r = app.client.get(app.url("/cdn-cgi/handler/scheduled?cron=*/5+*+*+*+*")).send().await.unwrap();
    assert!(r.status().is_success());
    assert_eq!(token_calls(&app).await, 1);

    tokio::time::sleep(Duration::from_secs(25)).await;
    assert_eq!(token_calls(&app).await, 2, "the alarm refreshed once, with nobody asking");
    let (_, second) = app.internal_get("/internal/token").await;
    assert_ne!(first["access_token"], second["access_token"]);
    assert_eq!(token_calls(&app).await, 2, "the read was served from the refreshed token");
    assert!(app.log_contains("token health app=wx0000000000000001 state=fresh").await, "the cron logs token health");
}
