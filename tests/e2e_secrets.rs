//! End to end: a secret scan. A whole flow (login, user data, phone, token reads, pushes in
//! safe mode, QR codes) runs, then every response body and header, wrangler's log and the
//! KV / Durable Object persistence directory are searched for secrets.

mod common;

use common::push::*;
use common::*;
use serde_json::{json, Value};
use wechat_sim::wire::{Format, Mode};

/// Collects what callers saw.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    async fn record(&mut self, r: reqwest::Response) -> (u16, String) {
        let status = r.status().as_u16();
        let headers: Vec<String> = r.headers().iter().map(|(k, v)| format!("{k}: {}", v.to_str().unwrap_or(""))).collect();
        let body = r.text().await.unwrap_or_default();
        self.0.push(format!("{}\n{body}", headers.join("\n")));
        (status, body)
    }
}

fn files_under(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(bytes) = std::fs::read(&p) {
                out.push((p, bytes));
            }
        }
    }
    out
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn no_secret_shows_in_any_response_log_line_or_stored_file() {
    // Every push logged, so the scan covers the push log lines too.
    let app = spawn_app_with(Options::default().var("LOG_EVERY_PUSH", "true")).await;
    let mut seen = Seen::default();

    // Login, me, decrypt, verify, phone, a QR code, logout: everything a mini program does.
    let (code, openid) = app.login_code(APPID, None).await;
    let (_, body) =
        seen.record(app.client.post(app.url("/api/login")).json(&json!({ "code": code })).send().await.unwrap()).await;
    let token = serde_json::from_str::<Value>(&body).unwrap()["token"].as_str().unwrap().to_owned();
    seen.record(app.client.get(app.url("/api/me?check=1")).bearer_auth(&token).send().await.unwrap()).await;
    let data = app.sim_post("/_sim/open_data", &json!({ "appid": APPID, "openid": openid })).await;
    let decrypt = json!({ "encryptedData": data["encryptedData"], "iv": data["iv"] });
    seen.record(app.client.post(app.url("/api/user/decrypt")).bearer_auth(&token).json(&decrypt).send().await.unwrap()).await;
    let bad = json!({ "encryptedData": "AAAA", "iv": data["iv"] });
    seen.record(app.client.post(app.url("/api/user/decrypt")).bearer_auth(&token).json(&bad).send().await.unwrap()).await;
    let verify = json!({ "rawData": data["rawData"], "signature": "0".repeat(40) });
    seen.record(app.client.post(app.url("/api/user/verify")).bearer_auth(&token).json(&verify).send().await.unwrap()).await;
    let phone = app.sim_post("/_sim/phone_code", &json!({ "appid": APPID, "openid": openid })).await;
    seen.record(
        app.client.post(app.url("/api/phone")).bearer_auth(&token).json(&json!({ "code": phone["code"] })).send().await.unwrap(),
    )
    .await;
    seen.record(
        app.client.post(app.url("/api/qrcode")).bearer_auth(&token).json(&json!({ "scene": "s=1" })).send().await.unwrap(),
    )
    .await;
    // The business's servers: a status read, a bad key, a failing refresh.
    seen.record(app.client.get(app.url("/internal/token/status")).bearer_auth(INTERNAL_KEY).send().await.unwrap()).await;
    seen.record(app.client.get(app.url("/internal/token")).bearer_auth("guess").send().await.unwrap()).await;
    // WeChat: pushes in safe mode, a good one and a tampered one.
    let push = build(&enter_session(&openid), Format::Json, Mode::Safe);
    app.push(&push).await;
    let tampered =
        Push { query: push.query.replace("msg_signature=", "msg_signature=0"), body: push.body.clone(), format: Format::Json };
    app.push(&tampered).await;
    seen.record(app.client.post(app.url("/api/logout")).bearer_auth(&token).send().await.unwrap()).await;

    // The secrets of this run, as WeChat and the simulator know them.
    let user = app.sim_get(&format!("/_sim/users?appid={APPID}&openid={openid}")).await;
    let session_key = user["session_key"]
        .as_str()
        .or_else(|| user["user"]["session_key"].as_str())
        .expect("the simulator shows the session_key")
        .to_owned();
    let tokens = app.sim_get(&format!("/_sim/tokens?appid={APPID}")).await;
    let access_token = tokens["stable"]["current"].as_str().expect("a stable token").to_owned();
    let secrets = [
        ("AppSecret", SECRET.to_owned()),
        ("EncodingAESKey", AES_KEY.to_owned()),
        ("internal API key", INTERNAL_KEY.to_owned()),
        ("push token", PUSH_TOKEN.to_owned()),
        ("session_key", session_key),
        ("access_token", access_token.clone()),
        ("session token", token.clone()),
    ];

    for (name, value) in &secrets {
        for response in &seen.0 {
            // The login response carries the session token by design, once.
            if *name == "session token" && response.contains("\"openid\"") && response.contains("\"expires_in\"") {
                continue;
            }
            assert!(!response.contains(value.as_str()), "the {name} appears in a response:\n{response}");
        }
    }
    assert!(app.log_contains("push app=").await, "the log was written");
    let log = app.wrangler_log();
    for (name, value) in &secrets {
        assert!(!log.contains(value.as_str()), "the {name} appears in wrangler's log");
    }
    // Stored in plain text only where it must be: the access token (the object serves it and
    // KV caches it; it is short-lived and useless without the app). Nothing else.
    let files = files_under(&app.state_dir);
    assert!(!files.is_empty());
    for (path, bytes) in &files {
        for (name, value) in &secrets {
            if *name == "access_token" {
                continue;
            }
            assert!(!contains(bytes, value), "the {name} is stored in plain text in {}", path.display());
        }
    }
    assert!(files.iter().any(|(_, b)| contains(b, &access_token)), "the access token is where the design says");
}
