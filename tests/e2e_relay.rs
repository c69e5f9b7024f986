//! WeChat's IP whitelist and the relay (issue 19): the simulator refuses the whitelisted app's
//! calls unless they come through its relay port, nginx from `deploy/relay/` (started by
//! `scripts/relay.sh`) stands in front of that port, and the worker routes the app's calls
//! through it with the shared secret.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// Calls the simulator logged for `path`, with the way each came in (`relay` or `direct`).
async fn via(app: &TestApp, path: &str) -> Vec<String> {
    app.sim_calls(path).await.iter().map(|c| c["via"].as_str().unwrap_or("?").to_owned()).collect()
}

#[tokio::test]
async fn a_whitelisted_app_gets_its_token_and_logs_in_through_the_relay() {
    let app = spawn_app_with(Options::default().relay("secret")).await;
    let (status, body) = app.internal_get("/internal/token").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(via(&app, "/cgi-bin/stable_token").await, vec!["relay"]);

    let (token, _) = app.login().await;
    assert_eq!(via(&app, "/sns/jscode2session").await, vec!["relay"], "jscode2session carries the AppSecret");
    // A call with an access_token goes straight to WeChat in `secret` mode (a mini program's
    // whitelist checks only the AppSecret calls).
    let r = app.client.post(app.url("/api/qrcode")).bearer_auth(&token).json(&json!({ "scene": "relay" })).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(via(&app, "/wxa/getwxacodeunlimit").await, vec!["direct"]);

    let (_, status) = app.internal_get("/internal/token/status").await;
    assert_eq!(status["calls"]["secret"]["via"], "relay", "{status}");
    assert_eq!(status["calls"]["api"]["via"], "direct", "{status}");
    assert!(!status.to_string().contains(RELAY_KEY), "the key is not shown");
}

#[tokio::test]
async fn an_official_account_style_whitelist_takes_every_call_through_the_relay() {
    let app = spawn_app_with(Options::default().relay("all")).await;
    let (status, body) = app.internal_post("/internal/links/scheme", &json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(via(&app, "/wxa/generatescheme").await, vec!["relay"]);
    assert_eq!(via(&app, "/cgi-bin/stable_token").await, vec!["relay"]);
}

#[tokio::test]
async fn without_the_relay_the_whitelist_refuses_with_a_clear_error() {
    // The relay is configured for the default app only; app B is whitelisted too.
    let app = spawn_app_with(Options::default().relay("secret").sim_arg("--ip-whitelist").sim_arg(APPID_B)).await;
    let (status, body) = app.internal_get(&format!("/internal/token?appid={APPID_B}")).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(error_code(&body), "wechat_ip_not_allowed");
    assert_eq!(body["error"]["wechat_errcode"], 40164);
    assert!(body["error"]["message"].as_str().unwrap_or("").contains("WECHAT_RELAY_URL"), "{body}");
}

#[tokio::test]
async fn the_relay_refuses_calls_without_its_key_or_outside_wechats_paths() {
    let app = spawn_app_with(Options::default().relay("secret")).await;
    let relay = app.relay.clone().expect("a relay");
    let get = |path: &str, key: Option<&str>| {
        let mut r = app.client.get(format!("{relay}{path}"));
        if let Some(key) = key {
            r = r.header("X-Relay-Key", key);
        }
        r.send()
    };
    let token = format!("/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}");
    assert_eq!(get(&token, None).await.unwrap().status().as_u16(), 403, "no key");
    assert_eq!(get(&token, Some("wrong-key-0123456789abcdef0123456789")).await.unwrap().status().as_u16(), 403);
    assert_eq!(get("/_sim/health", Some(RELAY_KEY)).await.unwrap().status().as_u16(), 404, "not a WeChat API path");
    let ok = get(&token, Some(RELAY_KEY)).await.unwrap();
    assert_eq!(ok.status().as_u16(), 200);
    let body: Value = ok.json().await.unwrap();
    assert!(body["access_token"].is_string(), "{body}");
    // The relay's access log holds paths, never the query with the AppSecret.
    let log = std::fs::read_to_string(app.dir.join("relay/logs/wechat-relay.access.log")).unwrap_or_default();
    assert!(log.contains("/cgi-bin/token") && !log.contains(SECRET), "{log}");
}

#[tokio::test]
async fn a_relay_that_is_down_is_a_bounded_503_naming_it() {
    let mut app = spawn_app_with(Options::default().relay("secret")).await;
    app.stop_relay();
    let started = Instant::now();
    let (status, body) = app.internal_get("/internal/token").await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(error_code(&body), "relay_unavailable");
    assert!(body["error"]["message"].as_str().unwrap_or("").contains(app.relay.as_deref().unwrap_or("?")), "{body}");
    assert!(started.elapsed() < Duration::from_secs(15), "bounded: {:?}", started.elapsed());
    let (_, status) = app.internal_get("/internal/token/status").await;
    assert_eq!(status["stats"]["upstream_calls"], 3, "three attempts, then stop: {status}");
}
