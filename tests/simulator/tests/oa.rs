//! Official accounts: the app kinds, web authorization (the authorize page, the code exchange,
//! refresh, userinfo, auth, snapshot users), one person's unionid across a mini-program and an
//! account, `user/info` and followers, and the IP whitelist on the new calls.

mod common;
mod oa_common;

use common::*;
use oa_common::*;
use serde_json::json;
use wechat_sim::{Config, WhitelistScope};

#[tokio::test]
async fn health_lists_the_official_accounts_beside_the_mini_programs() {
    let sim = spawn_oa().await;
    let health = sim.control_get("/_sim/health", &[]).await;
    assert_eq!(health["apps"], json!([APPID, OA, LONE_OA]));
    assert_eq!(health["official_accounts"], json!([OA, LONE_OA]));
}

#[tokio::test]
async fn a_mini_programs_credentials_are_unauthorized_on_official_account_calls() {
    let sim = spawn_oa().await;
    let mini = sim.token().await;
    for (path, query) in [
        ("/cgi-bin/ticket/getticket", vec![("type", "jsapi")]),
        ("/cgi-bin/user/info", vec![("openid", "oSomebody")]),
        ("/cgi-bin/template/get_all_private_template", vec![]),
    ] {
        let mut query = query;
        query.push(("access_token", &mini));
        let answer = sim.get(path, &query).await;
        assert_eq!(answer.errcode(), 48001, "{path}: {}", answer.text);
        assert!(answer.json()["errmsg"].as_str().unwrap().starts_with("api unauthorized rid: "));
    }
    for path in ["/cgi-bin/message/template/send", "/cgi-bin/message/subscribe/bizsend"] {
        let answer = sim.post(path, &[("access_token", &mini)], &json!({"touser": "o", "template_id": "t"})).await;
        assert_eq!(answer.errcode(), 48001, "{path}");
    }
    assert_eq!(exchange_with(&sim, APPID, SECRET, "somecode").await.errcode(), 48001);
    let refresh = [("appid", APPID), ("grant_type", "refresh_token"), ("refresh_token", "r")];
    assert_eq!(sim.get("/sns/oauth2/refresh_token", &refresh).await.errcode(), 48001);
    // And the authorize page refuses a mini-program's appid.
    let visit = visit(&sim, &link(APPID, "snsapi_base", ""), &[]).await;
    assert_eq!(visit.status, 400);
    assert!(visit.body.contains("mini-program"), "{}", visit.body);
}

#[tokio::test]
async fn the_authorize_page_redirects_with_a_code_and_the_state() {
    let sim = spawn_oa().await;
    let visit1 = visit(&sim, &link(OA, "snsapi_base", "Ab9"), &[]).await;
    assert_eq!(visit1.status, 302);
    let location = visit1.location.clone().unwrap();
    assert!(location.starts_with(&format!("{CALLBACK}?code=")), "{location}");
    assert!(location.ends_with("&state=Ab9"), "{location}");
    assert_eq!(visit1.code().len(), 32);

    // No state: `state=` stays; a callback with a query gets `&`; a fragment stays last.
    let no_state =
        format!("appid={OA}&redirect_uri=https%3A%2F%2Fh5.example.com%2Fcb%3Fx%3D1&response_type=code&scope=snsapi_base");
    let visit2 = visit(&sim, &no_state, &[]).await;
    let location = visit2.location.clone().unwrap();
    assert!(location.starts_with("https://h5.example.com/cb?x=1&code="), "{location}");
    assert!(location.ends_with("&state="), "{location}");
    let hashed =
        format!("appid={OA}&redirect_uri=https%3A%2F%2Fh5.example.com%2F%23%2Fcb&response_type=code&scope=snsapi_base&state=s");
    let location = visit(&sim, &hashed, &[]).await.location.unwrap();
    assert!(location.starts_with("https://h5.example.com/?code=") && location.ends_with("&state=s#/cb"), "{location}");
    // Trailing switches SDKs add are tolerated.
    let with_connect = format!("{}&connect_redirect=1", link(OA, "snsapi_base", "s"));
    assert_eq!(visit(&sim, &with_connect, &[]).await.status, 302);
    assert_eq!(sim.calls("/connect/oauth2/authorize").await.len(), 4);
}

#[tokio::test]
async fn a_bad_authorize_link_is_an_error_page_naming_the_problem() {
    let sim = spawn_oa().await;
    let cases = [
        (format!("redirect_uri=https%3A%2F%2Fh5.example.com%2F&appid={OA}&response_type=code&scope=snsapi_base"), "order"),
        (format!("appId={OA}&redirect_uri=https%3A%2F%2Fh5.example.com%2F&response_type=code&scope=snsapi_userinfo"), "order"),
        // An unencoded redirect_uri with a query splits into parameters of its own.
        (format!("appid={OA}&redirect_uri=https://h5.example.com/cb?a=1&b=2&response_type=code&scope=snsapi_base"), "order"),
        (
            format!("appid={OA}&redirect_uri=https%3A%2F%2Fh5.example.com%2F&response_type=token&scope=snsapi_base"),
            "response_type",
        ),
        (format!("appid={OA}&redirect_uri=https%3A%2F%2Fh5.example.com%2F&response_type=code&scope=snsapi_login"), "scope"),
        (link(OA, "snsapi_base", "with-dash"), "state"),
        (link(OA, "snsapi_base", &"a".repeat(129)), "state"),
        (format!("appid={OA}&redirect_uri=%2Fcallback&response_type=code&scope=snsapi_base"), "redirect_uri"),
        (link("wx00000000000000ff", "snsapi_base", ""), "no such app"),
        (format!("{}&extra=1", link(OA, "snsapi_base", "s")), "order"),
    ];
    for (query, problem) in cases {
        let visit = visit(&sim, &query, &[]).await;
        assert_eq!(visit.status, 400, "{query}");
        assert!(visit.location.is_none());
        assert!(visit.body.contains(problem), "{query}: {}", visit.body);
    }
    assert_eq!(visit(&sim, &link(OA, "snsapi_base", &"a".repeat(128)), &[]).await.status, 302);
}

#[tokio::test]
async fn a_code_is_exchanged_once_within_five_minutes() {
    let sim = spawn_oa().await;
    let code = code_for(&sim, "snsapi_base", &[("X-Sim-Openid", "oOaUser1")]).await;
    let answer = exchange(&sim, &code).await;
    let body = answer.json();
    assert!(body.get("errcode").is_none(), "{}", answer.text);
    assert_eq!(body["openid"], "oOaUser1");
    assert_eq!(body["scope"], "snsapi_base");
    assert_eq!(body["expires_in"], 7200);
    assert!(body.get("is_snapshotuser").is_none());
    assert!(body.get("unionid").is_none(), "no unionid for snsapi_base unless --unionid-on-base");
    assert!(body["refresh_token"].as_str().is_some());
    assert_eq!(exchange(&sim, &code).await.errcode(), 40163);

    let late = code_for(&sim, "snsapi_base", &[]).await;
    sim.advance(299).await;
    let on_time = code_for(&sim, "snsapi_base", &[]).await;
    sim.advance(1).await;
    assert_eq!(exchange(&sim, &late).await.errcode(), 42003);
    assert_eq!(exchange(&sim, &on_time).await.errcode(), 0);

    assert_eq!(exchange(&sim, "NoSuchCode000000000000000000000").await.errcode(), 40029);
    let other = visit(&sim, &link(LONE_OA, "snsapi_base", ""), &[]).await.code();
    assert_eq!(exchange(&sim, &other).await.errcode(), 40029, "another account's code");
    assert_eq!(exchange_with(&sim, OA, "wrong-secret", &other).await.errcode(), 40125);
    assert_eq!(exchange_with(&sim, OA, OA_SECRET, "").await.errcode(), 41008);
    let wrong_grant = [("appid", OA), ("secret", OA_SECRET), ("code", "x"), ("grant_type", "client_credential")];
    assert_eq!(sim.get("/sns/oauth2/access_token", &wrong_grant).await.errcode(), 40002);
}

#[tokio::test]
async fn userinfo_needs_a_snsapi_userinfo_token_of_that_openid() {
    let sim = spawn_oa().await;
    let code = code_for(&sim, "snsapi_userinfo", &[("X-Sim-Unionid", "uPersonA")]).await;
    let grant = exchange(&sim, &code).await.json();
    assert_eq!(grant["scope"], "snsapi_userinfo");
    assert_eq!(grant["unionid"], "uPersonA");
    let (token, openid) = (grant["access_token"].as_str().unwrap(), grant["openid"].as_str().unwrap());

    let profile = userinfo(&sim, token, openid).await.json();
    assert_eq!(profile["openid"], openid);
    assert_eq!(profile["unionid"], "uPersonA");
    assert_eq!(profile["sex"], 0);
    assert_eq!(profile["province"], "");
    assert_eq!(profile["privilege"], json!([]));
    assert!(profile["headimgurl"].as_str().unwrap().ends_with("/132"));
    assert!(!profile["nickname"].as_str().unwrap().is_empty());
    assert_eq!(userinfo(&sim, token, "oSomeoneElse").await.errcode(), 40003);
    assert_eq!(sim.get("/sns/auth", &[("access_token", token), ("openid", openid)]).await.errcode(), 0);
    assert_eq!(sim.get("/sns/auth", &[("access_token", token), ("openid", "oX")]).await.errcode(), 40003);

    // The user token is no base token, and a base token is no user token.
    assert_eq!(user_info(&sim, token, openid).await.errcode(), 40001);
    let base = oa_token(&sim).await;
    assert_eq!(userinfo(&sim, &base, openid).await.errcode(), 40001);
    assert_eq!(userinfo(&sim, "garbage", openid).await.errcode(), 40014);

    let base_code = code_for(&sim, "snsapi_base", &[]).await;
    let base_grant = exchange(&sim, &base_code).await.json();
    let answer = userinfo(&sim, base_grant["access_token"].as_str().unwrap(), base_grant["openid"].as_str().unwrap()).await;
    assert_eq!(answer.errcode(), 48001, "{}", answer.text);

    sim.advance(7200).await;
    assert_eq!(userinfo(&sim, token, openid).await.errcode(), 42001);
    assert_eq!(sim.get("/sns/auth", &[("access_token", token), ("openid", openid)]).await.errcode(), 42001);
    // The user calls carry the account's appid in the log.
    let logged = sim.calls("/sns/userinfo").await;
    assert_eq!(logged[0]["appid"], OA);
}

async fn refresh(sim: &TestSim, token: &str) -> Answer {
    sim.get("/sns/oauth2/refresh_token", &[("appid", OA), ("grant_type", "refresh_token"), ("refresh_token", token)]).await
}

#[tokio::test]
async fn a_refresh_gives_a_new_token_until_the_refresh_token_expires() {
    let sim = spawn_oa().await;
    let grant = exchange(&sim, &code_for(&sim, "snsapi_userinfo", &[]).await).await.json();
    let refresh_token = grant["refresh_token"].as_str().unwrap();
    sim.advance(7200).await;
    let renewed = refresh(&sim, refresh_token).await.json();
    assert_ne!(renewed["access_token"], grant["access_token"]);
    assert_eq!(renewed["refresh_token"], refresh_token);
    assert_eq!(renewed["openid"], grant["openid"]);
    let profile = userinfo(&sim, renewed["access_token"].as_str().unwrap(), grant["openid"].as_str().unwrap()).await;
    assert_eq!(profile.errcode(), 0, "{}", profile.text);
    assert_eq!(refresh(&sim, "NotARefreshToken").await.errcode(), 40030);
    let no_grant = [("appid", OA), ("grant_type", "authorization_code"), ("refresh_token", refresh_token)];
    assert_eq!(sim.get("/sns/oauth2/refresh_token", &no_grant).await.errcode(), 40002);
    sim.advance(30 * 86_400).await;
    assert_eq!(refresh(&sim, refresh_token).await.errcode(), 42002);
}

#[tokio::test]
async fn a_snapshot_user_gets_virtual_ids_and_no_profile() {
    let sim = spawn_oa().await;
    let headers = [("X-Sim-Openid", "oRealUser"), ("X-Sim-Snapshot", "1")];
    let grant = exchange(&sim, &code_for(&sim, "snsapi_userinfo", &headers).await).await.json();
    assert_eq!(grant["is_snapshotuser"], 1);
    let openid = grant["openid"].as_str().unwrap();
    assert_ne!(openid, "oRealUser");
    assert_eq!(openid.len(), 28);
    assert!(grant["unionid"].as_str().is_some(), "a virtual unionid for a bound account");
    assert_eq!(userinfo(&sim, grant["access_token"].as_str().unwrap(), openid).await.errcode(), 48001);
    // Nobody else knows the virtual openid.
    assert_eq!(user_info(&sim, &oa_token(&sim).await, openid).await.errcode(), 40003);
    // Snapshot pages only come with snsapi_userinfo.
    assert_eq!(visit(&sim, &link(OA, "snsapi_base", ""), &[("X-Sim-Snapshot", "1")]).await.status, 400);
}

#[tokio::test]
async fn a_user_who_refuses_comes_back_with_the_state_only() {
    let sim = spawn_oa().await;
    let refused = visit(&sim, &link(OA, "snsapi_userinfo", "xyz"), &[("X-Sim-Refuse", "1")]).await;
    assert_eq!(refused.status, 302);
    assert_eq!(refused.location.as_deref(), Some(&*format!("{CALLBACK}?state=xyz")));
    assert_eq!(visit(&sim, &link(OA, "snsapi_base", "xyz"), &[("X-Sim-Refuse", "1")]).await.status, 400);
    assert_eq!(visit(&sim, &link(APPID, "snsapi_userinfo", "xyz"), &[("X-Sim-Refuse", "1")]).await.status, 400);
}

#[tokio::test]
async fn one_person_has_an_openid_per_app_and_one_unionid() {
    let sim = spawn_oa().await;
    let minted = sim.control("/_sim/login_code", json!({"unionid": "uPerson1"})).await;
    let session = sim.jscode2session(APPID, SECRET, minted["code"].as_str().unwrap()).await.json();
    assert_eq!(session["unionid"], "uPerson1");
    // The same person logging in again is the same mini-program user.
    assert_eq!(sim.control("/_sim/login_code", json!({"unionid": "uPerson1"})).await["openid"], session["openid"]);

    let grant = exchange(&sim, &code_for(&sim, "snsapi_userinfo", &[("X-Sim-Unionid", "uPerson1")]).await).await.json();
    assert_eq!(grant["unionid"], "uPerson1");
    assert_ne!(grant["openid"], session["openid"]);
    let again = exchange(&sim, &code_for(&sim, "snsapi_userinfo", &[("X-Sim-Unionid", "uPerson1")]).await).await.json();
    assert_eq!(again["openid"], grant["openid"], "the account knows the person");
    let followed = follow(&sim, json!({"appid": OA, "unionid": "uPerson1"})).await;
    assert_eq!(followed["openid"], grant["openid"]);
    assert_eq!(followed["unionid"], "uPerson1");

    // An account outside the Open Platform account gives its own openid and no unionid.
    let lone = visit(&sim, &link(LONE_OA, "snsapi_userinfo", ""), &[("X-Sim-Unionid", "uPerson1")]).await.code();
    let lone = exchange_with(&sim, LONE_OA, LONE_OA_SECRET, &lone).await.json();
    assert!(lone.get("unionid").is_none(), "{lone}");
    assert_ne!(lone["openid"], grant["openid"]);
    let lone_again = visit(&sim, &link(LONE_OA, "snsapi_base", ""), &[("X-Sim-Unionid", "uPerson1")]).await.code();
    assert_eq!(exchange_with(&sim, LONE_OA, LONE_OA_SECRET, &lone_again).await.json()["openid"], lone["openid"]);
}

#[tokio::test]
async fn the_unionid_on_snsapi_base_is_a_switch() {
    let sim = spawn_oa().await;
    sim.control("/_sim/limits", json!({"oauth_unionid_on_base": true})).await;
    let grant = exchange(&sim, &code_for(&sim, "snsapi_base", &[("X-Sim-Unionid", "uBase")]).await).await.json();
    assert_eq!(grant["unionid"], "uBase");
}

#[tokio::test]
async fn user_info_shows_followers_and_only_the_openid_of_others() {
    let sim = spawn_oa().await;
    let token = oa_token(&sim).await;
    assert_eq!(user_info(&sim, &token, "oNeverSeen").await.errcode(), 40003);

    let visitor = exchange(&sim, &code_for(&sim, "snsapi_base", &[("X-Sim-Unionid", "uVisitor")]).await).await.json();
    let openid = visitor["openid"].as_str().unwrap();
    assert_eq!(user_info(&sim, &token, openid).await.json(), json!({"subscribe": 0, "openid": openid}));

    let now = sim.now().await;
    let followed = follow(&sim, json!({"openid": openid})).await;
    assert_eq!(followed["following"], true);
    let info = user_info(&sim, &token, openid).await.json();
    assert_eq!(info["subscribe"], 1);
    assert_eq!(info["subscribe_time"], now);
    assert_eq!(info["unionid"], "uVisitor");
    assert_eq!(info["subscribe_scene"], "ADD_SCENE_SEARCH");
    assert_eq!(info["qr_scene"], 0);
    assert_eq!(info["qr_scene_str"], "");
    assert_eq!(info["nickname"], "");
    assert_eq!(info["tagid_list"], json!([]));

    follow(&sim, json!({"openid": openid, "following": false})).await;
    assert_eq!(user_info(&sim, &token, openid).await.json()["subscribe"], 0);
    let lang = [("access_token", token.as_str()), ("openid", openid), ("lang", "fr")];
    assert_eq!(sim.get("/cgi-bin/user/info", &lang).await.errcode(), 40097);

    // The follow hook: a new user, a bad scene, a mini-program.
    let fresh = follow(&sim, json!({"scene": "ADD_SCENE_PROFILE_CARD"})).await;
    assert_eq!(fresh["openid"].as_str().map(str::len), Some(28));
    assert_eq!(fresh["subscribe_scene"], "ADD_SCENE_PROFILE_CARD");
    assert!(fresh["unionid"].as_str().is_some());
    assert_eq!(sim.post("/_sim/oa/follow", &[], &json!({"scene": "ADD_SCENE_NOPE"})).await.status, 400);
    assert_eq!(sim.post("/_sim/oa/follow", &[], &json!({"appid": APPID})).await.status, 400);
}

#[tokio::test]
async fn the_whitelist_covers_the_code_exchange_as_a_secret_call_and_not_the_user_token_calls() {
    let config = Config { relay_port: Some(0), ip_whitelist: [(OA.to_string(), WhitelistScope::All)].into(), ..oa_config() };
    let sim = spawn_sim_with(config).await;
    let relay = sim.through_relay();
    let code = code_for(&sim, "snsapi_userinfo", &[]).await;
    assert_eq!(exchange(&sim, &code).await.errcode(), 40164);
    let grant = exchange(&relay, &code).await.json();
    let (token, openid) = (grant["access_token"].as_str().unwrap(), grant["openid"].as_str().unwrap());
    assert_eq!(userinfo(&sim, token, openid).await.errcode(), 0, "user tokens are not checked");
    let base = oa_token(&relay).await;
    assert_eq!(user_info(&sim, &base, openid).await.errcode(), 40164);
    assert_eq!(sim.get("/cgi-bin/ticket/getticket", &[("access_token", &base), ("type", "jsapi")]).await.errcode(), 40164);
    assert_eq!(user_info(&relay, &base, openid).await.errcode(), 0);
}

#[tokio::test]
async fn a_reset_keeps_the_accounts_and_forgets_their_users() {
    let sim = spawn_oa().await;
    let followed = follow(&sim, json!({"openid": "oFollower"})).await;
    assert_eq!(followed["following"], true);
    sim.control("/_sim/reset", json!({})).await;
    let token = oa_token(&sim).await;
    assert_eq!(user_info(&sim, &token, "oFollower").await.errcode(), 40003);
    assert_eq!(sim.control_get("/_sim/health", &[]).await["official_accounts"], json!([OA, LONE_OA]));
}
