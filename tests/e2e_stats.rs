//! End to end: the counters behind the status page (`/internal/stats`), counted after each
//! answer, and the page's login: the internal key for a short-lived HttpOnly, SameSite=Strict
//! cookie, never in a URL; a wrong key refused.

mod common;

use common::*;
use reqwest::redirect::Policy;
use serde_json::{json, Value};
use std::time::Duration;

async fn stats(app: &TestApp) -> Value {
    let (status, v) = app.internal_get(&format!("/internal/stats?appid={APPID}")).await;
    assert_eq!(status, 200, "{v}");
    v["apps"][0].clone()
}

/// Waits until the counter reaches `n` (counts arrive in batches after the answers).
async fn wait_total(app: &TestApp, name: &str, n: u64) -> Value {
    let mut last = Value::Null;
    for _ in 0..50 {
        last = stats(app).await;
        if last["totals"][name].as_u64().unwrap_or(0) >= n {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("{name} did not reach {n}: {last}");
}

#[tokio::test]
async fn traffic_is_counted_per_app_and_hour() {
    let app = spawn_app_with(Options::default().var("RATE_LIMITS", "false")).await;
    for _ in 0..3 {
        app.login().await;
    }
    let (token, _) = app.login().await;
    for _ in 0..2 {
        let r =
            app.client.post(app.url("/api/qrcode")).bearer_auth(&token).json(&json!({ "scene": "a=1" })).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    // A push with a bad signature is refused and counted.
    let r = app.client.post(app.url("/wechat/push?signature=0&timestamp=1&nonce=1")).body("<xml/>").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let s = wait_total(&app, "logins", 4).await;
    let s = if s["totals"]["pushes.refused"] == 1 { s } else { wait_total(&app, "pushes.refused", 1).await };
    assert_eq!(s["totals"]["logins"], 4, "{s}");
    assert_eq!(s["totals"]["qr.made"], 1, "{s}");
    assert_eq!(s["totals"]["qr.cached"], 1, "{s}");
    assert_eq!(s["totals"]["pushes.refused"], 1, "{s}");
    assert_eq!(s["hours"].as_array().unwrap().len(), 24);
    assert_eq!(s["hours"][23]["counters"]["logins"], 4, "this hour");
    assert_eq!(s["qr"]["limited_quota_left"], 100_000, "an unlimited code spends no A+C quota");
    assert_eq!(s["token"]["state"], "fresh");
    assert_eq!(s["outbox"], json!({ "pending": 0, "uncertain": 0, "failed": 0 }));
    // A WeChat errcode is listed.
    app.sim_fault(json!({ "path": "/wxa/getwxacodeunlimit", "errcode": 45009 })).await;
    let r = app.client.post(app.url("/api/qrcode")).bearer_auth(&token).json(&json!({ "scene": "b=2" })).send().await.unwrap();
    assert_eq!(r.status(), 429);
    let s = wait_total(&app, "wechat.errors", 1).await;
    assert_eq!(s["errcodes"][0]["errcode"], 45009, "{s}");
    assert_eq!(s["errcodes"][0]["path"], "/wxa/getwxacodeunlimit");
    // The key is required.
    let r = app.client.get(app.url("/internal/stats")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn the_status_page_trades_the_key_for_a_strict_cookie() {
    let app = spawn_app().await;
    let browser = reqwest::Client::builder().redirect(Policy::none()).build().unwrap();
    let r = browser.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self';"), "no inline scripts: {csp}");
    let page = r.text().await.unwrap();
    assert!(page.contains(r#"<form id="login" method="post" action="/admin/login">"#), "the login form");
    // A wrong key: 401, the form again with an error, no cookie.
    let r = browser.post(app.url("/admin/login")).form(&[("key", "wrong")]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get("set-cookie").is_none());
    assert!(r.text().await.unwrap().contains(r#"id="error""#));
    // The right key: 303 to /admin with the cookie; the key is in no URL.
    let r = browser.post(app.url("/admin/login")).form(&[("key", INTERNAL_KEY)]).send().await.unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/admin");
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=3600"] {
        assert!(cookie.contains(attribute), "{attribute} in {cookie}");
    }
    assert!(!cookie.contains(INTERNAL_KEY));
    let session = cookie.split(';').next().unwrap().to_owned();
    let r = browser.get(app.url("/admin")).header("Cookie", &session).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("/admin/status.js"), "the status page");
    let r = browser.get(app.url("/admin/stats.json")).header("Cookie", &session).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["apps"].as_array().unwrap().len(), 2, "both configured apps: {v}");
    // Without the cookie, or with a forged one: 401.
    assert_eq!(browser.get(app.url("/admin/stats.json")).send().await.unwrap().status(), 401);
    let forged = "wechat_edge_admin=9999999999.00";
    assert_eq!(browser.get(app.url("/admin/stats.json")).header("Cookie", forged).send().await.unwrap().status(), 401);
    let r = browser.get(app.url("/admin/status.js")).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
}
