//! End to end: the JS-SDK's jsapi_ticket under central control (wechat-oa.md §2): one writer,
//! one upstream `getticket` however many readers, its own expiry, a refresh when a page
//! reports WeChat rejected it, and signatures the simulator's `wx.config` check accepts.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::Duration;

const PAGE: &str = "https://shop.example.com/product?id=1&from=share";

async fn config(app: &TestApp, url: &str, extra: &[(&str, &str)]) -> (u16, Value) {
    let mut query = vec![("url", url)];
    query.extend_from_slice(extra);
    let r = app.client.get(app.url("/api/oa/jssdk-config")).query(&query).send().await.unwrap();
    read(r).await
}

/// What WeChat's client says of a `wx.config` with these values.
async fn wx_config_ok(app: &TestApp, cfg: &Value, url: &str) -> bool {
    let check = app
        .sim_post(
            "/_sim/jssdk/check",
            &json!({ "appId": cfg["appId"], "timestamp": cfg["timestamp"], "nonceStr": cfg["nonceStr"],
                     "signature": cfg["signature"], "url": url }),
        )
        .await;
    check["ok"] == true
}

#[tokio::test]
async fn a_hundred_cold_readers_cause_one_getticket_and_valid_signatures() {
    let app = spawn_app_with(Options::default().official_account().var("RATE_LIMITS", "false")).await;
    let reads = (0..100).map(|_| config(&app, PAGE, &[]));
    let answers = futures::future::join_all(reads).await;
    for (status, cfg) in &answers {
        assert_eq!(*status, 200, "{cfg}");
    }
    assert_eq!(app.sim_calls("/cgi-bin/ticket/getticket").await.len(), 1, "exactly one upstream call");
    let cfg = &answers[0].1;
    assert_eq!(cfg["appId"], OA_APPID);
    assert_eq!(cfg["url"], PAGE);
    assert!(wx_config_ok(&app, cfg, PAGE).await, "the simulator accepts our signature: {cfg}");
    // The fragment is not signed: the page sends location.href, we sign without #...
    let (_, with_fragment) = config(&app, &format!("{PAGE}#/cart"), &[]).await;
    assert_eq!(with_fragment["url"], PAGE);
    assert!(wx_config_ok(&app, &with_fragment, PAGE).await);
    // The token status shows the ticket beside the token, never the ticket itself.
    let (_, status) = app.internal_get(&format!("/internal/token/status?appid={OA_APPID}")).await;
    assert_eq!(status["jsapi_ticket"]["state"], "fresh", "{status}");
    assert_eq!(status["jsapi_ticket"]["stats"]["upstream_calls"], 1);
    let tickets = app.sim_get(&format!("/_sim/tickets?appid={OA_APPID}")).await;
    let ticket = tickets["jsapi"]["current"].as_str().unwrap();
    assert!(!status.to_string().contains(ticket), "the status never shows the ticket");
}

#[tokio::test]
async fn the_official_example_ticket_signs_as_the_doc_says() {
    let app = spawn_app_with(Options::default().official_account()).await;
    // The doc's ticket (wechat-oa.md §2.2) handed out by the simulator's next getticket.
    let ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
    app.sim_post("/_sim/tickets/next", &json!({ "appid": OA_APPID, "ticket": ticket })).await;
    let url = "https://shop.example.com?params=value";
    let (status, cfg) = config(&app, url, &[]).await;
    assert_eq!(status, 200, "{cfg}");
    assert!(wx_config_ok(&app, &cfg, url).await);
}

#[tokio::test]
async fn a_rejected_ticket_is_refreshed_exactly_once() {
    let app = spawn_app_with(
        Options::default().official_account().var("RATE_LIMITS", "false").var("JSAPI_TICKET_MIN_REFRESH_SECONDS", "0"),
    )
    .await;
    let (_, cfg) = config(&app, PAGE, &[]).await;
    assert!(wx_config_ok(&app, &cfg, PAGE).await);
    // WeChat stops accepting the ticket; every open page's wx.config fails and reports it.
    app.sim_post("/_sim/tickets/invalidate", &json!({ "appid": OA_APPID })).await;
    assert!(!wx_config_ok(&app, &cfg, PAGE).await);
    let ts = cfg["timestamp"].to_string();
    let (sig, nonce) = (cfg["signature"].as_str().unwrap(), cfg["nonceStr"].as_str().unwrap());
    let report = [("rejected", sig), ("timestamp", ts.as_str()), ("nonceStr", nonce)];
    let reports = (0..20).map(|_| config(&app, PAGE, &report));
    let answers = futures::future::join_all(reports).await;
    assert_eq!(app.sim_calls("/cgi-bin/ticket/getticket").await.len(), 2, "one refresh for twenty reports");
    for (status, fresh) in &answers {
        assert_eq!(*status, 200);
        assert!(wx_config_ok(&app, fresh, PAGE).await, "signed with the new ticket: {fresh}");
    }
    // A stale report (a signature of the old ticket) refreshes nothing more.
    config(&app, PAGE, &[("rejected", sig), ("timestamp", &ts), ("nonceStr", nonce)]).await;
    assert_eq!(app.sim_calls("/cgi-bin/ticket/getticket").await.len(), 2);
    // The access token was never touched.
    assert_eq!(app.sim_calls("/cgi-bin/stable_token").await.len(), 1);
}

#[tokio::test]
async fn reports_cannot_burn_the_ticket_quota() {
    // The default JSAPI_TICKET_MIN_REFRESH_SECONDS (60): a young ticket is kept.
    let app = spawn_app_with(Options::default().official_account()).await;
    let (_, cfg) = config(&app, PAGE, &[]).await;
    let ts = cfg["timestamp"].to_string();
    let (status, again) = config(
        &app,
        PAGE,
        &[("rejected", cfg["signature"].as_str().unwrap()), ("timestamp", &ts), ("nonceStr", cfg["nonceStr"].as_str().unwrap())],
    )
    .await;
    assert_eq!(status, 200);
    assert!(wx_config_ok(&app, &again, PAGE).await);
    assert_eq!(app.sim_calls("/cgi-bin/ticket/getticket").await.len(), 1);
}

#[tokio::test]
async fn the_ticket_expires_and_refreshes_on_its_own_clock() {
    // Tickets live 8 s here, the token two hours: the ticket is refreshed by the object's
    // alarm before it expires, and the token is not.
    let app = spawn_app_with(Options::default().official_account().sim_arg("--ticket-lifetime").sim_arg("8")).await;
    let (_, first) = config(&app, PAGE, &[]).await;
    let mut calls = 0;
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        calls = app.sim_calls("/cgi-bin/ticket/getticket").await.len();
        if calls >= 2 {
            break;
        }
    }
    assert!(calls >= 2, "the alarm refreshed the ticket before it expired");
    assert_eq!(app.sim_calls("/cgi-bin/stable_token").await.len(), 1, "the token lives on");
    let (_, second) = config(&app, PAGE, &[]).await;
    assert!(wx_config_ok(&app, &second, PAGE).await);
    let (_, status) = app.internal_get(&format!("/internal/token/status?appid={OA_APPID}")).await;
    assert!(status["jsapi_ticket"]["stats"]["refreshes"].as_u64().unwrap() >= 2, "{status}");
    assert_eq!(status["stats"]["refreshes"], 1, "{status}");
    let _ = first;
}

#[tokio::test]
async fn only_listed_origins_and_official_accounts_get_signatures() {
    let app = spawn_app_with(Options::default().official_account()).await;
    let (status, body) = config(&app, "https://evil.example.net/page", &[]).await;
    assert_eq!((status, error_code(&body)), (403, "origin_not_allowed".to_owned()), "{body}");
    let (status, body) = config(&app, "not a url", &[]).await;
    assert_eq!((status, error_code(&body)), (400, "invalid_field".to_owned()), "{body}");
    let (status, body) = config(&app, PAGE, &[("appid", APPID)]).await;
    assert_eq!((status, error_code(&body)), (400, "not_an_official_account".to_owned()), "{body}");
    assert!(app.sim_calls("/cgi-bin/ticket/getticket").await.is_empty());
}
