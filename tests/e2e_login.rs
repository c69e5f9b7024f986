//! End to end: login with a `wx.login` code, our own session token, user data decrypted and
//! verified server-side, phone numbers, logout, and the errors a client can act on.

mod common;

use common::*;
use serde_json::{json, Value};

async fn authed_get(app: &TestApp, path: &str, token: &str) -> (u16, Value) {
    read(app.client.get(app.url(path)).bearer_auth(token).send().await.unwrap()).await
}

async fn authed_post(app: &TestApp, path: &str, token: &str, body: &Value) -> (u16, Value) {
    read(app.client.post(app.url(path)).bearer_auth(token).json(body).send().await.unwrap()).await
}

#[tokio::test]
async fn a_user_logs_in_decrypts_verifies_gets_a_phone_number_and_logs_out() {
    let app = spawn_app().await;
    let (code, openid) = app.login_code(APPID, None).await;

    let (status, login) = app.post_json("/api/login", &json!({ "code": code })).await;
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["openid"], openid.as_str());
    // SESSION_TTL_SECONDS, counted from when the session was made (a second may have passed).
    let expires_in = login["expires_in"].as_u64().unwrap();
    assert!((604790..=604800).contains(&expires_in), "{expires_in}");
    assert!(login.get("session_key").is_none(), "the session_key never leaves the worker");
    let token = login["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 43);

    let (status, me) = authed_get(&app, "/api/me", &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["openid"], openid.as_str());
    assert!(me["expires_at"].as_u64().is_some());

    let (status, me) = authed_get(&app, "/api/me?check=1", &token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["session_key_valid"], true);

    let data = app.sim_post("/_sim/open_data", &json!({ "appid": APPID, "openid": openid })).await;
    let (status, user) =
        authed_post(&app, "/api/user/decrypt", &token, &json!({ "encryptedData": data["encryptedData"], "iv": data["iv"] }))
            .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["watermark"]["appid"], APPID);

    let (status, body) =
        authed_post(&app, "/api/user/verify", &token, &json!({ "rawData": data["rawData"], "signature": data["signature"] }))
            .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = authed_post(
        &app,
        "/api/user/verify",
        &token,
        &json!({ "rawData": "{\"nickName\":\"Mallory\"}", "signature": data["signature"] }),
    )
    .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "signature_mismatch");

    let phone_code =
        app.sim_post("/_sim/phone_code", &json!({ "appid": APPID, "openid": openid, "phone": "+8613800138000" })).await;
    let (status, phone) = authed_post(&app, "/api/phone", &token, &json!({ "code": phone_code["code"] })).await;
    assert_eq!(status, 200, "{phone}");
    assert_eq!(phone["purePhoneNumber"], "13800138000");
    assert_eq!(phone["countryCode"], "86");

    let r = app.client.post(app.url("/api/logout")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (status, body) = authed_get(&app, "/api/me", &token).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "session_expired");
}

#[tokio::test]
async fn a_login_code_sent_again_gets_the_same_session_from_one_wechat_call() {
    let app = spawn_app().await;
    let (code, openid) = app.login_code(APPID, None).await;
    let body = json!({ "code": code });

    let ((s1, a), (s2, b)) = tokio::join!(app.post_json("/api/login", &body), app.post_json("/api/login", &body));
    assert_eq!((s1, s2), (200, 200), "{a} {b}");
    assert_eq!(a["token"], b["token"], "two concurrent requests with one code share one session");
    assert_eq!(a["openid"], openid.as_str());
    let (status, again) = app.post_json("/api/login", &body).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["token"], a["token"], "a retry after the answer gets the same session");
    assert!(again["expires_in"].as_u64().unwrap_or(0) > 0);
    assert_eq!(app.sim_calls("/sns/jscode2session").await.len(), 1, "WeChat saw the code once");

    let token = a["token"].as_str().unwrap_or_default();
    let (status, _) = authed_get(&app, "/api/me", token).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn a_code_used_elsewhere_or_expired_is_refused() {
    let app = spawn_app().await;
    // Exchanged by someone else first (say the team's old server): WeChat answers 40163.
    let (used, _) = app.login_code(APPID, None).await;
    let direct = app
        .sim_get(&format!("/sns/jscode2session?appid={APPID}&secret={SECRET}&js_code={used}&grant_type=authorization_code"))
        .await;
    assert!(direct["openid"].is_string(), "{direct}");
    let (status, body) = app.post_json("/api/login", &json!({ "code": used })).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "invalid_login_code");
    assert_eq!(body["error"]["wechat_errcode"], 40163);

    let (late, _) = app.login_code(APPID, None).await;
    app.sim_post("/_sim/clock/advance", &json!({ "seconds": 301 })).await;
    let (status, body) = app.post_json("/api/login", &json!({ "code": late })).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["error"]["wechat_errcode"], 40029);
}

#[tokio::test]
async fn malformed_login_bodies_never_reach_wechat() {
    let app = spawn_app().await;
    let long = "x".repeat(200);
    for body in
        ["", "not json", "[]", "{}", r#"{"code":null}"#, r#"{"code":""}"#, r#"{"code":42}"#, &format!(r#"{{"code":"{long}"}}"#)]
    {
        let r = app
            .client
            .post(app.url("/api/login"))
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .unwrap();
        let (status, resp) = read(r).await;
        assert_eq!(status, 400, "{body:?} → {resp}");
        error_code(&resp);
    }
    let r = app.client.post(app.url("/api/login")).body(vec![b'{'; 10_000]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 413);
    assert!(app.sim_calls("/sns/jscode2session").await.is_empty(), "the simulator saw no call");
}

#[tokio::test]
async fn bad_tokens_get_401s_the_client_can_act_on() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/me").await;
    assert_eq!((status, error_code(&body).as_str()), (401, "missing_token"));
    let (status, body) = authed_get(&app, "/api/me", "garbage").await;
    assert_eq!((status, error_code(&body).as_str()), (401, "malformed_token"));
    let unknown = "A".repeat(43);
    let (status, body) = authed_get(&app, "/api/me", &unknown).await;
    assert_eq!((status, error_code(&body).as_str()), (401, "session_expired"));
}

#[tokio::test]
async fn a_session_of_app_a_is_refused_for_app_b() {
    let app = spawn_app().await;
    let (token, _) = app.login().await;
    let r = app.client.get(app.url("/api/me")).bearer_auth(&token).header("X-WeChat-AppId", APPID_B).send().await.unwrap();
    let (status, body) = read(r).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(error_code(&body), "wrong_app");

    // App B logs its own users in.
    let (code, _) = app.login_code(APPID_B, None).await;
    let r = app
        .client
        .post(app.url("/api/login"))
        .header("X-WeChat-AppId", APPID_B)
        .json(&json!({ "code": code }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

#[tokio::test]
async fn data_encrypted_with_a_rotated_key_fails_cleanly_and_checksession_notices() {
    let app = spawn_app().await;
    let (code, openid) = app.login_code(APPID, None).await;
    let (_, login) = app.post_json("/api/login", &json!({ "code": code })).await;
    let token = login["token"].as_str().unwrap();

    let data = app.sim_post("/_sim/open_data", &json!({ "appid": APPID, "openid": openid, "rotated": true })).await;
    let (status, body) =
        authed_post(&app, "/api/user/decrypt", token, &json!({ "encryptedData": data["encryptedData"], "iv": data["iv"] })).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "decrypt_failed");

    // A malformed shape is named before anything is decrypted.
    let (status, body) = authed_post(&app, "/api/user/decrypt", token, &json!({ "encryptedData": "@@@", "iv": "x" })).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "invalid_field"), "{body}");
    assert!(body["error"]["message"].as_str().unwrap_or("").starts_with("`iv`"), "{body}");

    // A second wx.login for the same user rotates the key at WeChat.
    let (again, _) = app.login_code(APPID, Some(&openid)).await;
    let (status, _) = app.post_json("/api/login", &json!({ "code": again })).await;
    assert_eq!(status, 200);
    let (status, me) = authed_get(&app, "/api/me?check=1", token).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["session_key_valid"], false);
}

#[tokio::test]
async fn the_persistence_directory_holds_no_raw_session_token() {
    let app = spawn_app().await;
    let (token, _) = app.login().await;
    let (status, _) = authed_get(&app, "/api/me", &token).await;
    assert_eq!(status, 200);

    let mut stack = vec![app.state_dir.clone()];
    let mut files = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files += 1;
                let bytes = std::fs::read(&path).unwrap();
                let hit = bytes.windows(token.len()).any(|w| w == token.as_bytes());
                assert!(!hit, "{} holds the raw session token", path.display());
            }
        }
    }
    assert!(files > 0, "the persistence directory was written");
}
