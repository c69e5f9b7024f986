//! checksession / resetusersessionkey signatures, the open-data helper, and phone codes.

mod common;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use common::*;
use serde_json::{json, Value};
use wechat_sim::{decrypt_open_data, raw_data_signature, session_signature};

async fn check(sim: &TestSim, path: &str, token: &str, openid: &str, signature: &str, method: &str) -> Answer {
    let query = [("access_token", token), ("openid", openid), ("signature", signature), ("sig_method", method)];
    sim.get(path, &query).await
}

#[tokio::test]
async fn checksession_accepts_the_hmac_of_the_empty_string_keyed_by_the_session_key_text() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (openid, key) = sim.logged_in_user().await;

    let good = check(&sim, "/wxa/checksession", &token, &openid, &session_signature(&key, ""), "hmac_sha256").await;
    let bad = check(&sim, "/wxa/checksession", &token, &openid, &session_signature("other", ""), "hmac_sha256").await;
    let method = check(&sim, "/wxa/checksession", &token, &openid, &session_signature(&key, ""), "md5").await;

    assert_eq!(good.json(), json!({"errcode": 0, "errmsg": "ok"}));
    assert_eq!(bad.errcode(), 87009);
    assert_eq!(method.errcode(), 40097);
}

#[tokio::test]
async fn checksession_fails_with_a_session_key_that_a_later_login_retired() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (openid, old_key) = sim.logged_in_user().await;
    let minted = sim.control("/_sim/login_code", json!({"openid": openid})).await;
    sim.jscode2session(APPID, SECRET, minted["code"].as_str().unwrap()).await;

    let answer = check(&sim, "/wxa/checksession", &token, &openid, &session_signature(&old_key, ""), "hmac_sha256").await;

    assert_eq!(answer.errcode(), 87009);
}

#[tokio::test]
async fn checksession_checks_the_access_token_first() {
    let sim = spawn_sim().await;
    let (openid, key) = sim.logged_in_user().await;

    let answer = check(&sim, "/wxa/checksession", "garbage", &openid, &session_signature(&key, ""), "hmac_sha256").await;

    assert_eq!(answer.errcode(), 40014);
}

#[tokio::test]
async fn resetusersessionkey_returns_a_new_key_and_the_old_one_stops_working() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (openid, old_key) = sim.logged_in_user().await;
    let old_sig = session_signature(&old_key, "");

    let reset = check(&sim, "/wxa/resetusersessionkey", &token, &openid, &old_sig, "hmac_sha256").await.json();

    let new_key = reset["session_key"].as_str().unwrap();
    assert_eq!(reset["errcode"], 0);
    assert_eq!(reset["openid"], openid.as_str());
    assert_ne!(new_key, old_key);
    let with_old = check(&sim, "/wxa/checksession", &token, &openid, &old_sig, "hmac_sha256").await;
    let with_new = check(&sim, "/wxa/checksession", &token, &openid, &session_signature(new_key, ""), "hmac_sha256").await;
    assert_eq!(with_old.errcode(), 87009);
    assert_eq!(with_new.errcode(), 0);
}

fn iv_of(open_data: &Value) -> [u8; 16] {
    B64.decode(open_data["iv"].as_str().unwrap()).unwrap().try_into().unwrap()
}

#[tokio::test]
async fn open_data_decrypts_with_the_users_session_key_and_carries_a_watermark() {
    let sim = spawn_sim().await;
    let (openid, key) = sim.logged_in_user().await;

    let data = sim.control("/_sim/open_data", json!({"openid": openid})).await;

    let plain = decrypt_open_data(&key, iv_of(&data), data["encryptedData"].as_str().unwrap()).unwrap();
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(plain["openId"], openid.as_str());
    assert_eq!(plain["watermark"]["appid"], APPID);
    assert_eq!(plain["watermark"]["timestamp"], sim.now().await);
    let raw = data["rawData"].as_str().unwrap();
    assert_eq!(data["signature"], raw_data_signature(raw, &key).as_str());
    let raw: Value = serde_json::from_str(raw).unwrap();
    assert_eq!(raw["nickName"], plain["nickName"]);
    assert!(raw.get("watermark").is_none());
}

#[tokio::test]
async fn open_data_can_carry_any_object() {
    let sim = spawn_sim().await;
    let (openid, key) = sim.logged_in_user().await;

    let data = sim
        .control("/_sim/open_data", json!({"openid": openid, "data": {"phoneNumber": "13800138000", "countryCode": "86"}}))
        .await;

    let plain = decrypt_open_data(&key, iv_of(&data), data["encryptedData"].as_str().unwrap()).unwrap();
    let plain: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(plain["phoneNumber"], "13800138000");
    assert_eq!(plain["watermark"]["appid"], APPID);
    assert_eq!(data["rawData"], r#"{"countryCode":"86","phoneNumber":"13800138000"}"#);
}

#[tokio::test]
async fn rotated_open_data_does_not_decrypt_with_the_current_key() {
    let sim = spawn_sim().await;
    let (openid, key) = sim.logged_in_user().await;

    let data = sim.control("/_sim/open_data", json!({"openid": openid, "rotated": true})).await;

    let decrypted = decrypt_open_data(&key, iv_of(&data), data["encryptedData"].as_str().unwrap());
    let readable = decrypted.ok().and_then(|p| serde_json::from_slice::<Value>(&p).ok());
    assert!(readable.is_none(), "the current key must not read rotated data");
    assert_ne!(data["signature"], raw_data_signature(data["rawData"].as_str().unwrap(), &key).as_str());
}

#[tokio::test]
async fn open_data_needs_a_user_who_has_logged_in() {
    let sim = spawn_sim().await;
    let (_, openid) = sim.login_code().await;

    let answer = sim.post("/_sim/open_data", &[], &json!({"openid": openid})).await;

    assert_eq!(answer.status, 400);
    assert!(answer.json()["error"].as_str().unwrap().contains("session_key"));
}

async fn phone_number(sim: &TestSim, token: &str, code: &str) -> Answer {
    sim.post("/wxa/business/getuserphonenumber", &[("access_token", token)], &json!({"code": code})).await
}

#[tokio::test]
async fn a_phone_code_gives_the_number_once_with_a_watermark() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    let code = sim.control("/_sim/phone_code", json!({"openid": openid})).await["code"].as_str().unwrap().to_string();

    let first = phone_number(&sim, &token, &code).await.json();
    let second = phone_number(&sim, &token, &code).await;

    assert_eq!(first["errcode"], 0);
    let info = &first["phone_info"];
    assert_eq!(info["phoneNumber"], "13800138000");
    assert_eq!(info["purePhoneNumber"], "13800138000");
    assert_eq!(info["countryCode"], "86");
    assert_eq!(info["watermark"]["appid"], APPID);
    assert_eq!(info["watermark"]["timestamp"], sim.now().await);
    assert_eq!(second.errcode(), 40029);
}

#[tokio::test]
async fn a_phone_code_expires_after_5_minutes_and_belongs_to_one_app() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let other_token = sim
        .post(
            "/cgi-bin/stable_token",
            &[],
            &json!({"grant_type": "client_credential", "appid": OTHER_APPID, "secret": OTHER_SECRET}),
        )
        .await
        .json()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, openid) = sim.login_code().await;
    let mint = || sim.control("/_sim/phone_code", json!({"openid": openid, "phone": "+12025550123", "country_code": "1"}));
    let stale = mint().await["code"].as_str().unwrap().to_string();
    let mine = mint().await["code"].as_str().unwrap().to_string();

    let wrong_app = phone_number(&sim, &other_token, &mine).await;
    let foreign = phone_number(&sim, &token, &mine).await.json();
    sim.advance(300).await;
    let expired = phone_number(&sim, &token, &stale).await;

    assert_eq!(wrong_app.errcode(), 40013);
    assert_eq!(foreign["phone_info"]["phoneNumber"], "+12025550123");
    assert_eq!(foreign["phone_info"]["purePhoneNumber"], "2025550123");
    assert_eq!(expired.errcode(), 40029);
    assert_eq!(phone_number(&sim, &token, "nope").await.errcode(), 40029);
}
