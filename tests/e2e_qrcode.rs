//! End to end: mini-program codes (validated before quota is spent, cached with ETags),
//! official-account ticket QR codes, and links.

mod common;

use common::*;
use serde_json::{json, Value};

async fn qr(app: &TestApp, token: &str, body: &Value, if_none_match: Option<&str>) -> reqwest::Response {
    let mut r = app.client.post(app.url("/api/qrcode")).bearer_auth(token).json(body);
    if let Some(tag) = if_none_match {
        r = r.header("If-None-Match", tag);
    }
    r.send().await.unwrap()
}

async fn unlimited_calls(app: &TestApp) -> usize {
    app.sim_calls("/wxa/getwxacodeunlimit").await.len()
}

#[tokio::test]
async fn a_code_is_a_real_image_cached_with_an_etag_and_served_again_without_wechat() {
    let app = spawn_app().await;
    let (token, _) = app.login().await;
    let body = json!({ "scene": "id=42&src=poster", "page": "pages/detail/detail", "width": 300 });

    let r = qr(&app, &token, &body, None).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["x-cache"], "miss");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    assert!(r.headers()["cache-control"].to_str().unwrap().contains("max-age"));
    let bytes = r.bytes().await.unwrap();
    let img = image::load_from_memory(&bytes).expect("the answer decodes as an image");
    assert!((280..=320).contains(&img.width()), "about the requested width: {}", img.width());
    assert_eq!(unlimited_calls(&app).await, 1);

    // The same parameters, in another order and with the defaults spelled out: a cache hit.
    let same = json!({ "width": 300, "page": "pages/detail/detail", "check_path": true, "env_version": "release", "scene": "id=42&src=poster" });
    let r = qr(&app, &token, &same, None).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["x-cache"], "hit");
    assert_eq!(r.bytes().await.unwrap(), bytes);
    let r = qr(&app, &token, &same, Some(&etag)).await;
    assert_eq!(r.status().as_u16(), 304);
    assert_eq!(unlimited_calls(&app).await, 1, "no further WeChat call");

    let r = qr(&app, &token, &json!({ "scene": "clear", "is_hyaline": true }), None).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn each_invalid_field_is_a_400_naming_it_and_spends_no_quota() {
    let app = spawn_app().await;
    let (token, _) = app.login().await;
    let cases = [
        (json!({}), "scene"),
        (json!({ "scene": "" }), "scene"),
        (json!({ "scene": "x".repeat(33) }), "scene"),
        (json!({ "scene": "中文" }), "scene"),
        (json!({ "scene": "a%20b" }), "scene"),
        (json!({ "scene": "a", "page": "/pages/index/index" }), "page"),
        (json!({ "scene": "a", "page": "pages/index/index?x=1" }), "page"),
        (json!({ "scene": "a", "width": 279 }), "width"),
        (json!({ "scene": "a", "width": 1281 }), "width"),
        (json!({ "scene": "a", "width": "430" }), "width"),
        (json!({ "scene": "a", "env_version": "beta" }), "env_version"),
        (json!({ "scene": "a", "check_path": "false" }), "check_path"),
        (json!({ "scene": "a", "line_color": { "r": 256, "g": 0, "b": 0 } }), "line_color.r"),
        (json!({ "scene": "a", "widht": 300 }), "widht"),
    ];
    for (body, field) in cases {
        let r = qr(&app, &token, &body, None).await;
        let (status, resp) = read(r).await;
        assert_eq!(status, 400, "{body} → {resp}");
        assert_eq!(error_code(&resp), "invalid_field");
        assert!(resp["error"]["message"].as_str().unwrap().starts_with(&format!("`{field}`")), "{body} → {resp}");
    }
    assert_eq!(unlimited_calls(&app).await, 0, "nothing reached WeChat");

    let r = app.client.post(app.url("/api/qrcode")).json(&json!({ "scene": "a" })).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "a session is required");
}

#[tokio::test]
async fn an_unpublished_page_is_invalid_page_and_errors_are_never_cached() {
    let app = spawn_app().await;
    let (token, _) = app.login().await;
    let body = json!({ "scene": "a", "page": "pages/new/new" });
    for _ in 0..2 {
        let (status, resp) = read(qr(&app, &token, &body, None).await).await;
        assert_eq!(status, 400, "{resp}");
        assert_eq!(error_code(&resp), "invalid_page");
        assert_eq!(resp["error"]["wechat_errcode"], 41030);
        assert!(resp["error"]["message"].as_str().unwrap().contains("check_path"));
    }
    assert_eq!(unlimited_calls(&app).await, 2, "the error was not cached");

    // check_path=false is for the team's own servers (issue 20, item 4), not for a session.
    let ok = json!({ "scene": "a", "page": "pages/new/new", "check_path": false });
    let (status, resp) = read(qr(&app, &token, &ok, None).await).await;
    assert_eq!((status, error_code(&resp).as_str()), (400, "invalid_field"), "{resp}");
    let r = app.client.post(app.url("/internal/qrcode/unlimited")).bearer_auth(INTERNAL_KEY).json(&ok).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);

    app.sim_fault(json!({ "path": "/wxa/getwxacodeunlimit", "errcode": 45009 })).await;
    let (status, resp) = read(qr(&app, &token, &json!({ "scene": "b" }), None).await).await;
    assert_eq!((status, resp["error"]["wechat_errcode"].as_i64()), (429, Some(45009)));
}

#[tokio::test]
async fn a_superseded_token_is_recovered_transparently() {
    let app = spawn_app().await;
    let (token, _) = app.login().await;
    app.internal_get("/internal/token").await;
    app.sim_post("/_sim/tokens/invalidate", &json!({ "appid": APPID, "kind": "stable" })).await;

    let r = qr(&app, &token, &json!({ "scene": "after-rotation" }), None).await;
    assert_eq!(r.status().as_u16(), 200);
    let calls = app.sim_calls("/wxa/getwxacodeunlimit").await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["errcode"], 40001);
    assert_eq!(app.sim_calls("/cgi-bin/stable_token").await.len(), 2);
}

#[tokio::test]
async fn limited_and_classic_codes_are_cached_and_the_lifetime_quota_is_reported_plainly() {
    let app = spawn_app().await;
    let limited = json!({ "path": "pages/detail/detail?id=7" });
    let r = app.client.post(app.url("/internal/qrcode/limited")).bearer_auth(INTERNAL_KEY).json(&limited).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = app.client.post(app.url("/internal/qrcode/limited")).bearer_auth(INTERNAL_KEY).json(&limited).send().await.unwrap();
    assert_eq!(r.headers()["x-cache"], "hit");
    assert_eq!(app.sim_calls("/wxa/getwxacode").await.len(), 1, "a repeat costs no quota");

    let (status, resp) =
        app.internal_post("/internal/qrcode/classic", &json!({ "path": format!("pages/a?{}", "x".repeat(130)) })).await;
    assert_eq!(status, 400, "{resp}");
    assert!(app.sim_calls("/cgi-bin/wxaapp/createwxaqrcode").await.is_empty());

    app.sim_post("/_sim/qr_quota", &json!({ "appid": APPID, "used": 100000 })).await;
    let (status, resp) = app.internal_post("/internal/qrcode/classic", &json!({ "path": "pages/index/index" })).await;
    assert_eq!(status, 409, "{resp}");
    assert_eq!(error_code(&resp), "quota_exhausted");
    assert_eq!(resp["error"]["wechat_errcode"], 45029);

    let r = app.client.post(app.url("/internal/qrcode/limited")).json(&limited).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn schemes_and_url_links_are_generated() {
    let app = spawn_app().await;
    let (status, v) = app
        .internal_post("/internal/links/scheme", &json!({ "path": "pages/index/index", "query": "a=1", "expire_interval": 7 }))
        .await;
    assert_eq!(status, 200, "{v}");
    assert!(v["openlink"].as_str().unwrap().starts_with("weixin://dl/business/?t="));
    let (status, v) = app.internal_post("/internal/links/urllink", &json!({ "path": "pages/detail/detail" })).await;
    assert_eq!(status, 200, "{v}");
    assert!(v["url_link"].as_str().unwrap().starts_with("https://wxaurl.cn/"));
    let (status, v) = app.internal_post("/internal/links/scheme", &json!({ "expire_interval": 31 })).await;
    assert_eq!(status, 400, "{v}");
    assert_eq!(app.sim_calls("/wxa/generatescheme").await.len(), 1);
}

#[tokio::test]
async fn an_official_account_gets_a_ticket_and_its_image_and_an_invalid_ticket_is_a_clear_502() {
    let oa = "wx00000000000000a1";
    let app = spawn_app_with(
        Options::default()
            .var("WECHAT_APPS", &format!(r#"["{APPID_B}", {{"appid": "{oa}", "app_type": "official_account"}}]"#))
            .var(&format!("WECHAT_APP_SECRET_{oa}"), "sim-secret-00a1")
            .sim_arg("--app")
            .sim_arg(&format!("{oa}:sim-secret-00a1")),
    )
    .await;

    let (status, mp) = app.internal_post("/internal/oa/qrcode", &json!({ "scene_id": 7 })).await;
    assert_eq!(status, 400, "a mini program has no ticket QR codes: {mp}");
    assert_eq!(error_code(&mp), "not_an_official_account");

    let (status, t) = app
        .internal_post(&format!("/internal/oa/qrcode?appid={oa}"), &json!({ "scene_str": "promo", "expire_seconds": 120 }))
        .await;
    assert_eq!(status, 200, "{t}");
    assert!(t["ticket"].as_str().is_some() && t["url"].as_str().is_some());
    assert_eq!(t["expire_seconds"], 120);

    let r = app
        .client
        .post(app.url(&format!("/internal/oa/qrcode?appid={oa}&image=1")))
        .bearer_auth(INTERNAL_KEY)
        .json(&json!({ "scene_id": 9 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    image::load_from_memory(&r.bytes().await.unwrap()).expect("a real image");

    // WeChat answers showqrcode with HTTP 404 for a ticket it no longer knows.
    app.sim_fault(json!({ "path": "/cgi-bin/showqrcode", "status": 404 })).await;
    let r = app
        .client
        .post(app.url(&format!("/internal/oa/qrcode?appid={oa}&image=1")))
        .bearer_auth(INTERNAL_KEY)
        .json(&json!({ "scene_id": 5 }))
        .send()
        .await
        .unwrap();
    let (status, resp) = read(r).await;
    assert_eq!(status, 502, "{resp}");
    assert_eq!(error_code(&resp), "invalid_ticket");
    let (status, resp) = app.internal_post(&format!("/internal/oa/qrcode?appid={oa}"), &json!({ "scene_id": 0 })).await;
    assert_eq!(status, 400, "scene_id 0 is refused: {resp}");
}
