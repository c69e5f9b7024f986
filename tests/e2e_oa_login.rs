//! End to end: the official account's web login (wechat-oa.md §1) against the simulator's
//! authorize page and `sns` endpoints, and the user directory in D1 that links one person's
//! accounts across the mini program and the official account by unionid (§5).

mod common;

use common::*;
use reqwest::redirect::Policy;
use serde_json::{json, Value};
use std::time::Duration;

/// A browser that does not follow redirects, so each hop can be looked at.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().redirect(Policy::none()).timeout(Duration::from_secs(30)).build().unwrap()
}

fn location(r: &reqwest::Response) -> String {
    r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

fn param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1.split('#').next()?;
    form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// One step of the flow: `/oauth/start` → the authorize URL and the state cookie.
async fn start(app: &TestApp, scope: &str, redirect: &str) -> (String, String) {
    let r = browser()
        .get(app.url("/oauth/start"))
        .query(&[("appid", OA_APPID), ("scope", scope), ("redirect", redirect)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302, "{:?}", r.text().await);
    let cookie = r.headers().get("set-cookie").and_then(|v| v.to_str().ok()).unwrap().split(';').next().unwrap().to_owned();
    (location(&r), cookie)
}

/// The user in WeChat's browser on the authorize page: WeChat's 302 to our callback.
async fn authorize(authorize_url: &str, headers: &[(&str, &str)]) -> String {
    // The fragment (#wechat_redirect) never reaches a server.
    let url = authorize_url.split('#').next().unwrap();
    let mut req = browser().get(url);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 302, "authorize page: {:?}", r.text().await);
    location(&r)
}

async fn callback(callback_url: &str, cookie: &str) -> reqwest::Response {
    browser().get(callback_url).header("Cookie", cookie).send().await.unwrap()
}

/// The whole web login of one person (by unionid) → the session answer.
async fn web_login(app: &TestApp, scope: &str, unionid: &str) -> Value {
    let (url, cookie) = start(app, scope, &format!("{WEB_ORIGIN}/account?tab=me")).await;
    let back = authorize(&url, &[("X-Sim-Unionid", unionid)]).await;
    let r = callback(&back, &cookie).await;
    assert_eq!(r.status(), 302);
    let to_page = location(&r);
    assert!(to_page.starts_with(&format!("{WEB_ORIGIN}/account?tab=me&wechat_login=")), "{to_page}");
    let code = param(&to_page, "wechat_login").unwrap();
    let (status, session) = app.post_json("/api/oa/session", &json!({ "code": code })).await;
    assert_eq!(status, 200, "{session}");
    session
}

async fn me(app: &TestApp, token: &str, appid: &str) -> (u16, Value) {
    let r = app.client.get(app.url("/api/me")).bearer_auth(token).header("X-WeChat-AppId", appid).send().await.unwrap();
    read(r).await
}

#[tokio::test]
async fn start_redirects_to_wechats_authorize_page_in_its_exact_form() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let (url, cookie) = start(&app, "snsapi_userinfo", &format!("{WEB_ORIGIN}/x")).await;
    let prefix = format!(
        "{}/connect/oauth2/authorize?appid={OA_APPID}&redirect_uri={}&response_type=code&scope=snsapi_userinfo&state=",
        app.sim,
        form_urlencoded_encode(&app.url("/oauth/callback"))
    );
    assert!(url.starts_with(&prefix), "{url}\n{prefix}");
    assert!(url.ends_with("#wechat_redirect"), "{url}");
    let state = param(&url, "state").unwrap();
    assert!(state.len() <= 128 && state.bytes().all(|b| b.is_ascii_alphanumeric()), "{state}");
    assert!(cookie.starts_with("wechat_edge_oauth="), "{cookie}");
    // The simulator's authorize page checks the link as WeChat does (order, scope, state).
    let back = authorize(&url, &[]).await;
    assert!(back.starts_with(&app.url("/oauth/callback?code=")), "{back}");
}

#[tokio::test]
async fn redirects_only_to_listed_origins_and_checks_its_input() {
    let app = spawn_app_with(Options::default().official_account()).await;
    for (redirect, code) in [
        ("https://evil.example.net/steal", "redirect_not_allowed"),
        ("https://shop.example.com@evil.example.net/", "invalid_field"),
        ("/relative", "invalid_field"),
    ] {
        let r =
            browser().get(app.url("/oauth/start")).query(&[("appid", OA_APPID), ("redirect", redirect)]).send().await.unwrap();
        assert!(r.headers().get("location").is_none(), "{redirect}");
        let (status, body) = read(r).await;
        assert_eq!((status, error_code(&body)), (400, code.to_owned()), "{redirect}: {body}");
    }
    let r = browser().get(app.url("/oauth/start")).query(&[("appid", OA_APPID), ("scope", "snsapi_login")]).send().await.unwrap();
    let (status, body) = read(r).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("scope"), "{body}");
    // The mini program is not an official account.
    let r = browser()
        .get(app.url("/oauth/start"))
        .query(&[("appid", APPID), ("redirect", &format!("{WEB_ORIGIN}/"))])
        .send()
        .await
        .unwrap();
    let (status, body) = read(r).await;
    assert_eq!((status, error_code(&body)), (400, "not_an_official_account".to_owned()), "{body}");
}

#[tokio::test]
async fn one_person_logs_in_through_both_apps_and_is_one_unionid() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let unionid = "oUnion_e2e_person_0001";
    // The mini program: wx.login for this person.
    let code = app.sim_post("/_sim/login_code", &json!({ "appid": APPID, "unionid": unionid })).await;
    let (status, mp) = app.post_json("/api/login", &json!({ "code": code["code"] })).await;
    assert_eq!(status, 200, "{mp}");
    assert_eq!(mp["unionid"], unionid);
    // The official account's web login, with the profile scope.
    let web = web_login(&app, "snsapi_userinfo", unionid).await;
    assert_eq!(web["unionid"], unionid);
    assert_eq!(web["appid"], OA_APPID);
    assert_ne!(web["openid"], mp["openid"], "each app has its own openid");
    assert_eq!(app.sim_calls("/sns/userinfo").await.len(), 1);

    let (status, person) = app.internal_get(&format!("/internal/users?unionid={unionid}")).await;
    assert_eq!(status, 200, "{person}");
    assert_eq!(person["unionid"], unionid);
    let accounts = person["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2, "{person}");
    let by_app = |appid: &str| accounts.iter().find(|a| a["appid"] == appid).cloned().unwrap();
    assert_eq!(by_app(APPID)["source"], "login");
    assert_eq!(by_app(APPID)["openid"], mp["openid"]);
    assert_eq!(by_app(OA_APPID)["source"], "oa_web_login");
    assert_eq!(by_app(OA_APPID)["app_type"], "official_account");
    // The same person asked by one account.
    let (_, same) =
        app.internal_get(&format!("/internal/users?appid={OA_APPID}&openid={}", web["openid"].as_str().unwrap())).await;
    assert_eq!(same, person);

    // Each session sees the other account.
    let (status, me_mp) = me(&app, mp["token"].as_str().unwrap(), APPID).await;
    assert_eq!(status, 200, "{me_mp}");
    assert_eq!(me_mp["unionid"], unionid);
    assert_eq!(me_mp["apps"], json!([{ "appid": OA_APPID, "app_type": "official_account", "openid": web["openid"] }]));
    let (status, me_web) = me(&app, web["token"].as_str().unwrap(), OA_APPID).await;
    assert_eq!(status, 200, "{me_web}");
    assert_eq!(me_web["apps"][0]["appid"], APPID);
}

#[tokio::test]
async fn a_person_deleted_everywhere_loses_rows_and_sessions() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let unionid = "oUnion_e2e_forget_0001";
    let code = app.sim_post("/_sim/login_code", &json!({ "appid": APPID, "unionid": unionid })).await;
    let (_, mp) = app.post_json("/api/login", &json!({ "code": code["code"] })).await;
    let web = web_login(&app, "snsapi_userinfo", unionid).await;
    let other_code = app.sim_post("/_sim/login_code", &json!({ "appid": APPID, "unionid": "oUnion_someone_else" })).await;
    let (_, other) = app.post_json("/api/login", &json!({ "code": other_code["code"] })).await;

    let r = app.client.delete(app.url(&format!("/internal/users?unionid={unionid}"))).send().await.unwrap();
    assert_eq!(r.status(), 401, "the internal key is required");
    let r =
        app.client.delete(app.url(&format!("/internal/users?unionid={unionid}"))).bearer_auth(INTERNAL_KEY).send().await.unwrap();
    let (status, body) = read(r).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "accounts": 2, "sessions_revoked": 2 }));

    assert_eq!(me(&app, mp["token"].as_str().unwrap(), APPID).await.0, 401);
    assert_eq!(me(&app, web["token"].as_str().unwrap(), OA_APPID).await.0, 401);
    let (status, body) = app.internal_get(&format!("/internal/users?unionid={unionid}")).await;
    assert_eq!((status, error_code(&body)), (404, "user_not_found".to_owned()));
    // Someone else is untouched.
    assert_eq!(me(&app, other["token"].as_str().unwrap(), APPID).await.0, 200);
    let r =
        app.client.delete(app.url(&format!("/internal/users?unionid={unionid}"))).bearer_auth(INTERNAL_KEY).send().await.unwrap();
    assert_eq!(r.status(), 404, "nothing left to delete");
}

#[tokio::test]
async fn a_silent_login_learns_a_followers_unionid_from_user_info() {
    let app = spawn_app_with(Options::default().official_account()).await;
    // snsapi_base gives no unionid; a follower's user/info does.
    let follower = app.sim_post("/_sim/oa/follow", &json!({ "unionid": "oUnion_follower_0001" })).await;
    let (url, cookie) = start(&app, "snsapi_base", &format!("{WEB_ORIGIN}/p")).await;
    let back = authorize(&url, &[("X-Sim-Openid", follower["openid"].as_str().unwrap())]).await;
    let to = location(&callback(&back, &cookie).await);
    let (status, web) = app.post_json("/api/oa/session", &json!({ "code": param(&to, "wechat_login").unwrap() })).await;
    assert_eq!(status, 200, "{web}");
    assert_eq!(web["openid"], follower["openid"]);
    assert_eq!(web["unionid"], "oUnion_follower_0001");
    // A non-follower's silent login stays without one.
    let stranger = browser_login_without_unionid(&app).await;
    assert!(stranger.get("unionid").is_none(), "{stranger}");
}

async fn browser_login_without_unionid(app: &TestApp) -> Value {
    let (url, cookie) = start(app, "snsapi_base", &format!("{WEB_ORIGIN}/p")).await;
    let back = authorize(&url, &[]).await;
    let to = location(&callback(&back, &cookie).await);
    app.post_json("/api/oa/session", &json!({ "code": param(&to, "wechat_login").unwrap() })).await.1
}

#[tokio::test]
async fn lookups_refuse_bad_queries() {
    let app = spawn_app_with(Options::default().official_account()).await;
    for (query, code) in [
        ("", "invalid_query"),
        ("?unionid=a&appid=wx0000000000000001&openid=o", "invalid_query"),
        ("?unionid=bad%20id", "invalid_field"),
        ("?openid=o1", "invalid_field"),
    ] {
        let (status, body) = app.internal_get(&format!("/internal/users{query}")).await;
        assert_eq!((status, error_code(&body)), (400, code.to_owned()), "{query}: {body}");
    }
    let (status, _) = app.internal_get("/internal/users?appid=wx9999999999999999&openid=o1").await;
    assert_eq!(status, 404, "an app that is not configured");
}

#[tokio::test]
async fn states_that_are_reused_forged_expired_or_from_another_browser_are_refused() {
    let app = spawn_app_with(Options::default().official_account().var("WEB_LOGIN_TTL_SECONDS", "3")).await;
    // Reused: WeChat calling back twice with one code gets the same answer; another code is refused.
    let (url, cookie) = start(&app, "snsapi_base", &format!("{WEB_ORIGIN}/p")).await;
    let back = authorize(&url, &[]).await;
    let first = location(&callback(&back, &cookie).await);
    let again = location(&callback(&back, &cookie).await);
    assert!(first.contains("wechat_login="), "{first}");
    assert_eq!(first, again, "the same code twice: the same answer");
    let state = param(&back, "state").unwrap();
    let other_code = back.replace(&param(&back, "code").unwrap(), "another-code");
    let (status, body) = read(callback(&other_code, &cookie).await).await;
    assert_eq!((status, error_code(&body)), (400, "state_used".to_owned()), "{body}");
    assert_eq!(app.sim_calls("/sns/oauth2/access_token").await.len(), 1, "one exchange for the one code");
    // The hand-off code works once.
    let code = param(&first, "wechat_login").unwrap();
    assert_eq!(app.post_json("/api/oa/session", &json!({ "code": code })).await.0, 200);
    let (status, body) = app.post_json("/api/oa/session", &json!({ "code": code })).await;
    assert_eq!((status, error_code(&body)), (400, "handoff_used".to_owned()), "{body}");

    // Forged: any change to the state breaks its MAC.
    let mut forged = state.clone().into_bytes();
    let last = forged.len() - 1;
    forged[last] = if forged[last] == b'0' { b'1' } else { b'0' };
    let forged_url = back.replace(&state, std::str::from_utf8(&forged).unwrap());
    let (status, body) = read(callback(&forged_url, &cookie).await).await;
    assert_eq!((status, error_code(&body)), (400, "state_invalid".to_owned()), "{body}");
    let (status, body) = read(callback(&app.url("/oauth/callback?code=x"), &cookie).await).await;
    assert_eq!((status, error_code(&body)), (400, "state_missing".to_owned()), "{body}");

    // Another browser (no cookie, or another login's): a login-CSRF link.
    let (url2, _) = start(&app, "snsapi_base", &format!("{WEB_ORIGIN}/p")).await;
    let back2 = authorize(&url2, &[]).await;
    let (status, body) = read(callback(&back2, "wechat_edge_oauth=0123").await).await;
    assert_eq!((status, error_code(&body)), (400, "state_not_bound".to_owned()), "{body}");

    // Expired: WEB_LOGIN_TTL_SECONDS is 3 here.
    let (url3, cookie3) = start(&app, "snsapi_base", &format!("{WEB_ORIGIN}/p")).await;
    let back3 = authorize(&url3, &[]).await;
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (status, body) = read(callback(&back3, &cookie3).await).await;
    assert_eq!((status, error_code(&body)), (400, "state_expired".to_owned()), "{body}");
}

#[tokio::test]
async fn refusals_snapshot_users_and_bad_codes_return_to_the_page_with_an_error() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let page = format!("{WEB_ORIGIN}/p#top");
    // The user refuses: WeChat calls back with the state only.
    let (url, cookie) = start(&app, "snsapi_userinfo", &page).await;
    let back = authorize(&url, &[("X-Sim-Refuse", "1")]).await;
    assert!(param(&back, "code").is_none(), "{back}");
    let to = location(&callback(&back, &cookie).await);
    assert_eq!(to, format!("{WEB_ORIGIN}/p?login_error=access_denied#top"));
    // A snapshot-page virtual user (§1.6): nothing is created.
    let (url, cookie) = start(&app, "snsapi_userinfo", &page).await;
    let back = authorize(&url, &[("X-Sim-Snapshot", "1")]).await;
    let to = location(&callback(&back, &cookie).await);
    assert_eq!(to, format!("{WEB_ORIGIN}/p?login_error=snapshot_user#top"));
    // A code WeChat does not know (40029).
    let (url, cookie) = start(&app, "snsapi_base", &page).await;
    let back = authorize(&url, &[]).await;
    let bad = back.replace(&param(&back, "code").unwrap(), "not-a-real-code");
    let to = location(&callback(&bad, &cookie).await);
    assert_eq!(to, format!("{WEB_ORIGIN}/p?login_error=oauth_code_invalid#top"));
    // Nobody was recorded by any of these.
    let (status, _) = app.internal_get(&format!("/internal/users?appid={OA_APPID}&openid=o")).await;
    assert_eq!(status, 404);
    // A bad hand-off code.
    let (status, body) = app.post_json("/api/oa/session", &json!({ "code": "zz" })).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_field".to_owned()), "{body}");
    let (status, body) = app.post_json("/api/oa/session", &json!({ "code": "0".repeat(64) })).await;
    assert_eq!((status, error_code(&body)), (400, "handoff_invalid".to_owned()), "{body}");
}

#[tokio::test]
async fn web_pages_on_listed_origins_get_cors_and_others_do_not() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/oa/session"))
        .header("Origin", WEB_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(r.headers()["access-control-allow-origin"], WEB_ORIGIN);
    assert!(r.headers()["access-control-allow-headers"].to_str().unwrap().contains("Authorization"));
    let r = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/oa/session"))
        .header("Origin", "https://evil.example.net")
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    let r = app.client.get(app.url("/api/me")).header("Origin", WEB_ORIGIN).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["access-control-allow-origin"], WEB_ORIGIN, "errors carry CORS too, so the page can read them");
}

fn form_urlencoded_encode(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}
