//! `cgi-bin/media/upload` and the image `media_id`s `custom/send` accepts: uploaded by this
//! app, at most 3 days old.

mod common;

use common::*;
use serde_json::{json, Value};

const BOUNDARY: &str = "----wechatSimTestBoundary7MA4YWxk";
const JPEG: &[u8] = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\r\n--not-a-boundary\r\n\xff\xd9";

/// A `multipart/form-data` body with one file part, as a browser's FormData writes it.
fn form(field: &str, file: &[u8]) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"cat.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn upload(sim: &TestSim, token: &str, media_type: &str, body: Vec<u8>) -> Answer {
    let response = sim
        .http
        .post(format!("{}/cgi-bin/media/upload", sim.base))
        .query(&[("access_token", token), ("type", media_type)])
        .header("content-type", format!("multipart/form-data; boundary={BOUNDARY}"))
        .body(body)
        .send()
        .await
        .expect("the simulator answers");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    Answer { status, content_type, text: response.text().await.expect("a body") }
}

async fn send_image(sim: &TestSim, token: &str, openid: &str, media_id: &str) -> i64 {
    let body = json!({"touser": openid, "msgtype": "image", "image": {"media_id": media_id}});
    sim.post("/cgi-bin/message/custom/send", &[("access_token", token)], &body).await.errcode()
}

/// A user who has just written to customer service (so the app may send to them).
async fn user_in_session(sim: &TestSim) -> String {
    let acted = sim.control("/_sim/user_action", json!({"kind": "message"})).await;
    acted["openid"].as_str().expect("an openid").to_string()
}

#[tokio::test]
async fn an_uploaded_image_can_be_sent_until_it_expires_after_three_days() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let openid = user_in_session(&sim).await;

    let uploaded = upload(&sim, &token, "image", form("media", JPEG)).await;
    let reply = uploaded.json();
    let media_id = reply["media_id"].as_str().expect("a media_id").to_string();
    let fresh = send_image(&sim, &token, &openid, &media_id).await;
    sim.advance(3 * 86_400).await;
    let token = sim.token().await;
    sim.control("/_sim/user_action", json!({"openid": openid, "kind": "message"})).await;
    let expired = send_image(&sim, &token, &openid, &media_id).await;

    assert_eq!(uploaded.status, 200);
    assert_eq!(reply["type"], "image");
    assert_eq!(media_id.len(), 64);
    assert!(reply.get("errcode").is_none());
    assert_eq!(fresh, 0);
    assert_eq!(expired, 40007);
}

#[tokio::test]
async fn an_unknown_media_id_is_40007() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let openid = user_in_session(&sim).await;

    let code = send_image(&sim, &token, &openid, "never-uploaded").await;

    assert_eq!(code, 40007);
}

#[tokio::test]
async fn only_images_may_be_uploaded_and_the_file_must_be_there() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let voice = upload(&sim, &token, "voice", form("media", JPEG)).await;
    let wrong_field = upload(&sim, &token, "image", form("file", JPEG)).await;
    let empty = upload(&sim, &token, "image", form("media", b"")).await;
    let json_body = upload(&sim, &token, "image", b"{\"media\":\"x\"}".to_vec()).await;
    let no_token = upload(&sim, "", "image", form("media", JPEG)).await;

    let codes: Vec<i64> = [&voice, &wrong_field, &empty, &json_body, &no_token].iter().map(|a| a.errcode()).collect();
    assert_eq!(codes, [40004, 41005, 41005, 41005, 41001]);
    assert!(voice.json()["errmsg"].as_str().unwrap().starts_with("invalid media type rid: "));
}

#[tokio::test]
async fn uploads_are_in_the_call_log_and_listed_with_their_expiry() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let reply = upload(&sim, &token, "image", form("media", JPEG)).await.json();

    let calls = sim.calls("/cgi-bin/media/upload").await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["errcode"], 0);
    assert_eq!(calls[0]["query"]["type"], "image");
    let listed = sim.control_get("/_sim/media", &[]).await;
    let media: &Value = &listed["media"][0];
    assert_eq!(media["media_id"], reply["media_id"]);
    assert_eq!(media["size"], JPEG.len());
    assert_eq!(media["filename"], "cat.jpg");
    assert_eq!(media["expires_at"].as_i64(), reply["created_at"].as_i64().map(|t| t + 3 * 86_400));
}
