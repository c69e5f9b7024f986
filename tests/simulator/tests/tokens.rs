//! Access tokens: stable_token's normal mode, renewal and forced refresh; cgi-bin/token's
//! supersede-with-overlap; and the token check every other endpoint makes.

mod common;

use common::*;
use serde_json::json;
use wechat_sim::Limits;

#[tokio::test]
async fn stable_token_in_normal_mode_returns_the_same_token_with_decreasing_expires_in() {
    let sim = spawn_sim().await;

    let first = sim.stable_token(false).await.json();
    sim.advance(1000).await;
    let second = sim.stable_token(false).await.json();

    assert_eq!(first["access_token"], second["access_token"]);
    assert_eq!(first["expires_in"], 7200);
    assert_eq!(second["expires_in"], 6200);
    assert!(first.get("errcode").is_none(), "a token success carries no errcode");
}

#[tokio::test]
async fn stable_token_renews_in_the_last_300_seconds_and_the_old_token_lives_out_its_life() {
    let sim = spawn_sim().await;
    let old = sim.token().await;

    sim.advance(7200 - 300).await;
    let renewed = sim.stable_token(false).await.json();

    let new = renewed["access_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(renewed["expires_in"], 7200);
    assert_eq!(sim.round_trip(&old).await.errcode(), 0, "old token still valid");
    assert_eq!(sim.round_trip(new).await.errcode(), 0);
    sim.advance(300).await;
    assert_eq!(sim.round_trip(&old).await.errcode(), 42001, "old token expired on its own");
    assert_eq!(sim.round_trip(new).await.errcode(), 0);
}

#[tokio::test]
async fn stable_token_never_answers_less_than_300_seconds_with_a_short_token_life() {
    let config = test_config();
    let sim = spawn_sim_with(wechat_sim::Config { limits: Limits { token_lifetime: 400, ..Limits::default() }, ..config }).await;

    let mut seen = Vec::new();
    for _ in 0..8 {
        let answer = sim.stable_token(false).await.json();
        seen.push(answer["expires_in"].as_i64().unwrap());
        sim.advance(60).await;
    }

    assert!(seen.iter().all(|&left| left > 300), "expires_in values {seen:?}");
    assert_eq!(seen[0], 400);
}

#[tokio::test]
async fn force_refresh_invalidates_the_old_token_at_once() {
    let sim = spawn_sim().await;
    let old = sim.token().await;

    let forced = sim.stable_token(true).await.json();

    let new = forced["access_token"].as_str().unwrap();
    assert_ne!(new, old);
    assert_eq!(sim.round_trip(&old).await.errcode(), 40001);
    assert_eq!(sim.round_trip(new).await.errcode(), 0);
}

#[tokio::test]
async fn a_second_force_refresh_within_30_seconds_does_nothing() {
    let sim = spawn_sim().await;
    let first = sim.stable_token(true).await.json()["access_token"].clone();

    sim.advance(29).await;
    let ignored = sim.stable_token(true).await.json();
    sim.advance(1).await;
    let honoured = sim.stable_token(true).await.json();

    assert_eq!(ignored["access_token"], first);
    assert_ne!(honoured["access_token"], first);
}

#[tokio::test]
async fn force_refresh_stops_after_20_a_day() {
    let sim = spawn_sim().await;
    for _ in 0..20 {
        assert_eq!(sim.stable_token(true).await.errcode(), 0);
        sim.advance(30).await;
    }
    assert_eq!(sim.stable_token(true).await.errcode(), 45009);
    assert_eq!(sim.stable_token(false).await.errcode(), 0, "normal mode still works");
}

#[tokio::test]
async fn each_classic_token_supersedes_the_last_which_keeps_working_for_5_minutes() {
    let sim = spawn_sim().await;
    let old = sim.classic_token().await.json()["access_token"].as_str().unwrap().to_string();

    let new_answer = sim.classic_token().await.json();
    let new = new_answer["access_token"].as_str().unwrap();

    assert_ne!(new, old);
    assert_eq!(new_answer["expires_in"], 7200);
    sim.advance(299).await;
    assert_eq!(sim.round_trip(&old).await.errcode(), 0, "inside the overlap");
    sim.advance(1).await;
    assert_eq!(sim.round_trip(&old).await.errcode(), 40001, "after the overlap");
    assert_eq!(sim.round_trip(new).await.errcode(), 0);
}

#[tokio::test]
async fn classic_and_stable_tokens_do_not_supersede_each_other() {
    let sim = spawn_sim().await;
    let stable = sim.token().await;
    let classic = sim.classic_token().await.json()["access_token"].as_str().unwrap().to_string();

    sim.classic_token().await;
    sim.stable_token(true).await;
    sim.advance(300).await;

    assert_eq!(sim.round_trip(&stable).await.errcode(), 40001, "stable was force-refreshed");
    assert_eq!(sim.round_trip(&classic).await.errcode(), 40001, "classic was superseded");
    let new_stable = sim.token().await;
    sim.classic_token().await;
    assert_eq!(sim.round_trip(&new_stable).await.errcode(), 0, "a classic call leaves stable alone");
}

#[tokio::test]
async fn the_classic_daily_quota_ends_in_45009() {
    let sim = spawn_sim().await;
    sim.control("/_sim/limits", json!({"classic_daily": 3})).await;

    let codes: Vec<i64> = classic_errcodes(&sim, 4).await;

    assert_eq!(codes, [0, 0, 0, 45009]);
}

async fn classic_errcodes(sim: &TestSim, n: usize) -> Vec<i64> {
    let mut codes = Vec::new();
    for _ in 0..n {
        codes.push(sim.classic_token().await.errcode());
    }
    codes
}

#[tokio::test]
async fn token_requests_with_bad_credentials_get_wechats_errcodes() {
    let sim = spawn_sim().await;
    let token = |q: &'static [(&'static str, &'static str)]| sim.get("/cgi-bin/token", q);
    const GT: (&str, &str) = ("grant_type", "client_credential");

    assert_eq!(token(&[("appid", APPID), ("secret", SECRET)]).await.errcode(), 40002);
    assert_eq!(token(&[GT, ("secret", SECRET)]).await.errcode(), 41002);
    assert_eq!(token(&[GT, ("appid", "wxnope"), ("secret", SECRET)]).await.errcode(), 40013);
    assert_eq!(token(&[GT, ("appid", APPID)]).await.errcode(), 41004);
    assert_eq!(token(&[GT, ("appid", APPID), ("secret", "wrong")]).await.errcode(), 40125);

    let stable = |body| sim.post("/cgi-bin/stable_token", &[], body);
    let wrong = json!({"grant_type": "client_credential", "appid": APPID, "secret": "wrong"});
    assert_eq!(stable(&wrong).await.errcode(), 40125);
    let stringly = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": "true"});
    assert_eq!(stable(&stringly).await.errcode(), 47001);
    let form = sim.post_raw("/cgi-bin/stable_token", "grant_type=client_credential").await;
    assert_eq!(form.errcode(), 47001, "stable_token takes JSON only");
    assert_eq!(sim.get("/cgi-bin/stable_token", &[]).await.errcode(), 43002);
}

#[tokio::test]
async fn the_token_check_answers_41001_40014_40001_and_42001() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let unknown = format!("92_{}", "A".repeat(136));

    let missing = sim.get("/cgi-bin/get_api_domain_ip", &[]).await;
    let garbage = sim.round_trip("not-a-token").await;
    let never_issued = sim.round_trip(&unknown).await;
    let fine = sim.round_trip(&token).await;
    sim.advance(7200).await;
    let expired = sim.round_trip(&token).await;

    assert_eq!(missing.errcode(), 41001);
    assert_eq!(garbage.errcode(), 40014);
    assert_eq!(never_issued.errcode(), 40001);
    assert_eq!(expired.errcode(), 42001);
    assert!(fine.json()["ip_list"].as_array().is_some_and(|ips| !ips.is_empty()));
    for answer in [&missing, &garbage, &never_issued, &expired] {
        assert_eq!(answer.status, 200);
        assert_eq!(answer.content_type, "application/json; encoding=utf-8");
        let errmsg = answer.json()["errmsg"].as_str().unwrap().to_string();
        let rid = errmsg.rsplit(" rid: ").next().unwrap();
        assert!(errmsg.contains(" rid: ") && rid.len() == 26 && rid.split('-').all(|g| g.len() == 8), "{errmsg}");
    }
}

#[tokio::test]
async fn getcallbackip_is_a_token_checked_round_trip_too() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let answer = sim.get("/cgi-bin/getcallbackip", &[("access_token", &token)]).await;

    assert!(answer.json()["ip_list"].is_array());
    assert_eq!(sim.get("/cgi-bin/getcallbackip", &[]).await.errcode(), 41001);
}

#[tokio::test]
async fn invalidating_a_token_behind_the_callers_back_gives_40001_and_a_new_token_next() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let invalidated = sim.control("/_sim/tokens/invalidate", json!({"kind": "stable"})).await;

    assert_eq!(invalidated["invalidated"], token.as_str());
    assert_eq!(sim.round_trip(&token).await.errcode(), 40001);
    let next = sim.token().await;
    assert_ne!(next, token);
    let slots = sim.control_get("/_sim/tokens", &[("appid", APPID)]).await;
    assert_eq!(slots["stable"]["current"], next.as_str());
    assert_eq!(slots["classic"]["current"], serde_json::Value::Null);
    let described = sim.control_get("/_sim/tokens", &[("access_token", &token)]).await;
    assert_eq!(described["errcode"], 40001);
    assert_eq!(described["kind"], "stable");
}

#[tokio::test]
async fn tokens_look_like_real_ones() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let (generation, body) = token.split_once('_').unwrap();

    assert!(generation.chars().all(|c| c.is_ascii_digit()));
    assert!(body.len() >= 130);
    assert!(body.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'));
}
