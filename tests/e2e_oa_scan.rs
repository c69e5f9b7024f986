//! End to end: scan-to-login for websites through the official account (wechat-oa.md §6): a
//! temporary QR code bound to an attempt, the simulator's user scanning it (as a new follower
//! or a follower), the push completing the attempt, and the page getting its session over
//! Server-Sent Events within a second; once, and never after the attempt expired.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

async fn start(app: &TestApp) -> Value {
    let (status, attempt) = app.post_json("/api/oa/scan-login", &json!({})).await;
    assert_eq!(status, 200, "{attempt}");
    attempt
}

async fn scan(app: &TestApp, ticket: &str, who: Value) -> Value {
    let mut action = json!({ "type": "scan", "ticket": ticket });
    if let (Some(a), Some(w)) = (action.as_object_mut(), who.as_object()) {
        a.extend(w.clone());
    }
    app.sim_post(
        "/_sim/push",
        &json!({ "url": app.url(&format!("/wechat/push/{OA_APPID}")), "appid": OA_APPID, "token": PUSH_TOKEN,
                 "aes_key": AES_KEY, "format": "xml", "mode": "safe", "official_account": true, "action": action }),
    )
    .await
}

/// Reads Server-Sent Events until one named other than `pending` arrives.
async fn next_event(resp: &mut reqwest::Response) -> (String, Value) {
    let mut buffer = String::new();
    loop {
        let chunk = tokio::time::timeout(Duration::from_secs(20), resp.chunk()).await.expect("an event within 20 s");
        let chunk = chunk.expect("the stream").expect("the stream ended early");
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let name = block.lines().find_map(|l| l.strip_prefix("event: ")).unwrap_or("").to_owned();
            let data = block.lines().find_map(|l| l.strip_prefix("data: ")).unwrap_or("null");
            if !name.is_empty() && name != "pending" {
                return (name, serde_json::from_str(data).unwrap());
            }
        }
    }
}

async fn events(app: &TestApp, id: &str) -> reqwest::Response {
    let r =
        app.client.get(app.url(&format!("/api/oa/scan-login/{id}"))).header("Accept", "text/event-stream").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    r
}

#[tokio::test]
async fn a_new_follower_scans_and_the_page_gets_its_session_over_sse() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let attempt = start(&app).await;
    let id = attempt["id"].as_str().unwrap();
    let ticket = attempt["ticket"].as_str().unwrap();
    assert!(attempt["url"].as_str().unwrap().starts_with("http"), "{attempt}");
    // The code is a temporary QR_STR_SCENE code bound to the attempt.
    let created = app.sim_calls("/cgi-bin/qrcode/create").await;
    assert_eq!(created[0]["body"]["action_name"], "QR_STR_SCENE");
    assert!(created[0]["body"]["action_info"]["scene"]["scene_str"].as_str().unwrap().starts_with("login_"));
    assert!(!id.contains(created[0]["body"]["action_info"]["scene"]["scene_str"].as_str().unwrap()), "the id is not the scene");

    let mut stream = events(&app, id).await;
    let scanned_at = Instant::now();
    let pushed = scan(&app, ticket, json!({ "unionid": "oUnion_scan_0001" })).await;
    let (name, data) = next_event(&mut stream).await;
    let took = scanned_at.elapsed();
    assert_eq!(name, "done", "{data}");
    assert!(took < Duration::from_secs(1), "the session arrived {took:?} after the scan");
    let session = &data["session"];
    assert_eq!(session["openid"], pushed["openid"]);
    assert_eq!(session["unionid"], "oUnion_scan_0001");
    // The session works like any other.
    let r = app
        .client
        .get(app.url("/api/me"))
        .bearer_auth(session["token"].as_str().unwrap())
        .header("X-WeChat-AppId", OA_APPID)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Given once: a second look finds it collected.
    let (status, again) = app.get(&format!("/api/oa/scan-login/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(again["status"], "collected");
    assert!(again.get("session").is_none());
    // The directory knows the person, and how.
    let (_, person) = app.internal_get("/internal/users?unionid=oUnion_scan_0001").await;
    assert_eq!(person["accounts"][0]["source"], "oa_scan_login", "{person}");
    assert_eq!(person["accounts"][0]["following"], 1);
}

#[tokio::test]
async fn a_follower_scans_and_a_poll_gets_the_session_once() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let follower = app.sim_post("/_sim/oa/follow", &json!({ "unionid": "oUnion_scan_0002" })).await;
    let attempt = start(&app).await;
    let id = attempt["id"].as_str().unwrap();
    let (_, pending) = app.get(&format!("/api/oa/scan-login/{id}")).await;
    assert_eq!(pending["status"], "pending");
    scan(&app, attempt["ticket"].as_str().unwrap(), json!({ "openid": follower["openid"] })).await;
    let mut done = Value::Null;
    for _ in 0..50 {
        let (_, v) = app.get(&format!("/api/oa/scan-login/{id}")).await;
        if v["status"] != "pending" {
            done = v;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["session"]["openid"], follower["openid"]);
    // One scan completes one attempt, once: a second scanner changes nothing.
    scan(&app, attempt["ticket"].as_str().unwrap(), json!({ "unionid": "oUnion_someone_else" })).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, after) = app.get(&format!("/api/oa/scan-login/{id}")).await;
    assert_eq!(after["status"], "collected");
    // Another id, a wrong secret: nothing.
    let mut wrong = id.to_owned();
    wrong.replace_range(30..31, if &id[30..31] == "0" { "1" } else { "0" });
    let (status, body) = app.get(&format!("/api/oa/scan-login/{wrong}")).await;
    assert_eq!((status, error_code(&body)), (404, "attempt_not_found".to_owned()), "{body}");
    let (status, _) = app.get("/api/oa/scan-login/nope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_attempt_expires_over_sse_and_by_poll() {
    let app = spawn_app_with(Options::default().official_account().var("SCAN_LOGIN_TTL_SECONDS", "2")).await;
    let attempt = start(&app).await;
    let id = attempt["id"].as_str().unwrap();
    let mut stream = events(&app, id).await;
    let (name, _) = next_event(&mut stream).await;
    assert_eq!(name, "expired");
    let (_, v) = app.get(&format!("/api/oa/scan-login/{id}")).await;
    assert_eq!(v["status"], "expired");
}
