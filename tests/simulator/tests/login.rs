//! jscode2session: single-use, 5-minute login codes tied to one app; blocked users; the
//! per-user rate limit; a fresh session_key per login.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn a_login_code_gives_openid_and_session_key_without_errcode() {
    let sim = spawn_sim().await;
    let (code, openid) = sim.login_code().await;

    let session = sim.jscode2session(APPID, SECRET, &code).await.json();

    assert_eq!(session["openid"], openid.as_str());
    assert_eq!(session["session_key"].as_str().map(str::len), Some(24));
    assert!(session.get("errcode").is_none());
    assert!(session.get("unionid").is_none(), "the app is not bound to an Open Platform account");
    assert_eq!(openid.len(), 28);
    assert!(openid.starts_with('o'));
}

#[tokio::test]
async fn a_login_code_cannot_be_used_twice() {
    let sim = spawn_sim().await;
    let (code, _) = sim.login_code().await;

    let first = sim.jscode2session(APPID, SECRET, &code).await;
    let second = sim.jscode2session(APPID, SECRET, &code).await;

    assert_eq!(first.errcode(), 0);
    assert_eq!(second.errcode(), 40163);
}

#[tokio::test]
async fn a_login_code_expires_after_5_minutes() {
    let sim = spawn_sim().await;
    let (fresh, _) = sim.login_code().await;
    let (stale, _) = sim.login_code().await;

    sim.advance(299).await;
    let just_in_time = sim.jscode2session(APPID, SECRET, &fresh).await;
    sim.advance(1).await;
    let too_late = sim.jscode2session(APPID, SECRET, &stale).await;

    assert_eq!(just_in_time.errcode(), 0);
    assert_eq!(too_late.errcode(), 40029);
}

#[tokio::test]
async fn an_unknown_code_or_another_apps_code_is_40029() {
    let sim = spawn_sim().await;
    let (code, _) = sim.login_code().await;

    let unknown = sim.jscode2session(APPID, SECRET, "0a3bcdEFGhijKLmnoPQRstuVWxyz0123").await;
    let other_app = sim.jscode2session(OTHER_APPID, OTHER_SECRET, &code).await;

    assert_eq!(unknown.errcode(), 40029);
    assert_eq!(other_app.errcode(), 40029);
    assert_eq!(sim.jscode2session(APPID, SECRET, &code).await.errcode(), 0, "still unused");
}

#[tokio::test]
async fn jscode2session_checks_its_credentials() {
    let sim = spawn_sim().await;
    let (code, _) = sim.login_code().await;

    assert_eq!(sim.jscode2session(APPID, "wrong", &code).await.errcode(), 40125);
    assert_eq!(sim.jscode2session("wxnope", SECRET, &code).await.errcode(), 40013);
    let no_grant = sim.get("/sns/jscode2session", &[("appid", APPID), ("secret", SECRET), ("js_code", &code)]).await;
    assert_eq!(no_grant.errcode(), 40002);
    let no_code =
        sim.get("/sns/jscode2session", &[("appid", APPID), ("secret", SECRET), ("grant_type", "authorization_code")]).await;
    assert_eq!(no_code.errcode(), 41008);
}

#[tokio::test]
async fn a_blocked_user_gets_40226() {
    let sim = spawn_sim().await;
    let (code, openid) = sim.login_code().await;

    sim.control("/_sim/users/block", json!({"openid": openid})).await;

    assert_eq!(sim.jscode2session(APPID, SECRET, &code).await.errcode(), 40226);
}

#[tokio::test]
async fn more_than_100_logins_a_minute_for_one_user_get_45011() {
    let sim = spawn_sim().await;
    let (_, openid) = sim.login_code().await;
    let mut last = 0;

    for _ in 0..101 {
        let minted = sim.control("/_sim/login_code", json!({"openid": openid})).await;
        last = sim.jscode2session(APPID, SECRET, minted["code"].as_str().unwrap()).await.errcode();
    }
    sim.advance(60).await;
    let minted = sim.control("/_sim/login_code", json!({"openid": openid})).await;
    let next_minute = sim.jscode2session(APPID, SECRET, minted["code"].as_str().unwrap()).await;

    assert_eq!(last, 45011);
    assert_eq!(next_minute.errcode(), 0);
}

#[tokio::test]
async fn each_login_issues_a_new_session_key_and_retires_the_old_one() {
    let sim = spawn_sim().await;
    let (openid, first_key) = sim.logged_in_user().await;

    let minted = sim.control("/_sim/login_code", json!({"openid": openid})).await;
    let again = sim.jscode2session(APPID, SECRET, minted["code"].as_str().unwrap()).await.json();

    let second_key = again["session_key"].as_str().unwrap();
    assert_ne!(second_key, first_key);
    let user = sim.control_get("/_sim/users", &[("openid", &openid)]).await;
    assert_eq!(user["session_key"], second_key);
}

#[tokio::test]
async fn a_unionid_is_returned_when_the_test_gives_one() {
    let sim = spawn_sim().await;

    let minted = sim.control("/_sim/login_code", json!({"openid": "oTestUser", "unionid": "uTestUnion"})).await;
    let session = sim.jscode2session(APPID, SECRET, minted["code"].as_str().unwrap()).await.json();

    assert_eq!(session["openid"], "oTestUser");
    assert_eq!(session["unionid"], "uTestUnion");
}

#[tokio::test]
async fn an_app_bound_to_the_open_platform_gives_every_user_a_unionid() {
    let mut config = test_config();
    config.apps[0].unionid = true;
    let sim = spawn_sim_with(config).await;
    let (code, _) = sim.login_code().await;

    let session = sim.jscode2session(APPID, SECRET, &code).await.json();

    assert_eq!(session["unionid"].as_str().map(str::len), Some(28));
}
