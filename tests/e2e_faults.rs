//! End to end: faults. WeChat answering -1, 5xx, malformed JSON or too slowly on every
//! endpoint we call; the token superseded during a burst; `wrangler dev` restarted mid-run on
//! the same persistence directory. Requests that can succeed do; the rest fail fast with a
//! clear error; upstream calls stay bounded; state survives.

mod common;

use common::push::*;
use common::*;
use serde_json::json;
use std::time::{Duration, Instant};
use wechat_sim::wire::{Format, Mode};

/// Builds a request to one of our routes from (app, session token, openid).
type Call = Box<dyn Fn(&TestApp, &str, &str) -> reqwest::RequestBuilder>;

/// One route of ours, the WeChat endpoint behind it, and how to call it.
struct Case {
    wechat: &'static str,
    call: Call,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            wechat: "/wxa/business/getuserphonenumber",
            call: Box::new(|app, token, _| {
                app.client.post(app.url("/api/phone")).bearer_auth(token).json(&json!({ "code": "phone-code-x" }))
            }),
        },
        Case {
            wechat: "/wxa/checksession",
            call: Box::new(|app, token, _| app.client.get(app.url("/api/me?check=1")).bearer_auth(token)),
        },
        Case {
            wechat: "/wxa/getwxacodeunlimit",
            call: Box::new(|app, token, _| {
                app.client.post(app.url("/api/qrcode")).bearer_auth(token).json(&json!({ "scene": "fault" }))
            }),
        },
        Case {
            wechat: "/cgi-bin/message/custom/send",
            call: Box::new(|app, _, openid| {
                let body = json!({ "touser": openid, "msgtype": "text", "text": { "content": "hi" } });
                app.client.post(app.url("/internal/messages/custom")).bearer_auth(INTERNAL_KEY).json(&body)
            }),
        },
        Case {
            wechat: "/wxa/msg_sec_check",
            call: Box::new(|app, _, openid| {
                let body = json!({ "content": "hello", "openid": openid, "scene": 2 });
                app.client.post(app.url("/internal/security/text")).bearer_auth(INTERNAL_KEY).json(&body)
            }),
        },
        Case {
            wechat: "/wxaapi/newtmpl/gettemplate",
            call: Box::new(|app, _, _| app.client.get(app.url("/internal/templates")).bearer_auth(INTERNAL_KEY)),
        },
    ]
}

#[tokio::test]
async fn every_wechat_endpoint_failing_gives_a_clear_bounded_answer() {
    let app = spawn_app().await;
    let (token, openid) = app.login().await;
    app.sim_post("/_sim/user_action", &json!({ "appid": APPID, "openid": openid, "kind": "message" })).await;
    app.internal_get("/internal/token").await;

    let faults = [
        ("system error", json!({ "errcode": -1, "times": 0 }), 503),
        ("HTTP 500", json!({ "status": 500, "times": 0 }), 503),
        ("malformed JSON", json!({ "malformed": true, "times": 0 }), 502),
        ("too slow", json!({ "delay_ms": 7000, "times": 0 }), 503),
    ];
    for (what, fault, expected) in faults {
        let runs = cases().into_iter().map(|case| {
            let (app, token, openid, fault) = (&app, token.clone(), openid.clone(), fault.clone());
            async move {
                let mut rule = fault;
                let rule_is_slow = rule.get("delay_ms").is_some();
                rule["path"] = json!(case.wechat);
                app.sim_fault(rule).await;
                let before = app.sim_calls(case.wechat).await.len();
                let started = Instant::now();
                let (status, body) = read((case.call)(app, &token, &openid).send().await.unwrap()).await;
                let took = started.elapsed();
                let calls = app.sim_calls(case.wechat).await.len() - before;
                let _ = app.client.delete(format!("{}/_sim/faults", app.sim)).send().await;
                // A call we gave up on is dropped by the simulator unlogged: it may count 0.
                let least = if rule_is_slow { 0 } else { 1 };
                (case.wechat, status, body, took, calls, least)
            }
        });
        // One endpoint at a time (the fault list is shared), each bounded.
        for run in runs {
            let (wechat, status, body, took, calls, least) = run.await;
            let shown: String = body.to_string().chars().take(300).collect();
            assert_eq!(status, expected, "{what} on {wechat}: {shown}");
            let code = error_code(&body);
            // /api/* answers a generic 5xx (issue 20, item 8); /internal/* names WeChat's failure.
            let generic = ["temporarily_unavailable", "wechat_error"].contains(&code.as_str());
            assert!(code.starts_with("wechat_") || generic, "{what} on {wechat}: {code}");
            assert!(took < Duration::from_secs(13), "{what} on {wechat}: bounded, took {took:?}");
            assert!((least..=2).contains(&calls), "{what} on {wechat}: {calls} upstream calls");
        }
    }
    // Afterwards everything works again.
    let (status, body) = read(app.client.get(app.url("/api/me?check=1")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_login_is_retried_once_on_a_wechat_fault_and_then_fails_fast() {
    let app = spawn_app().await;
    let (code, _) = app.login_code(APPID, None).await;
    app.sim_fault(json!({ "path": "/sns/jscode2session", "errcode": -1, "times": 1 })).await;
    let (status, body) = app.post_json("/api/login", &json!({ "code": code })).await;
    assert_eq!(status, 200, "one -1 is absorbed by one retry: {body}");

    let (code, _) = app.login_code(APPID, None).await;
    app.sim_fault(json!({ "path": "/sns/jscode2session", "status": 503, "times": 0 })).await;
    let before = app.sim_calls("/sns/jscode2session").await.len();
    let (status, body) = app.post_json("/api/login", &json!({ "code": code })).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(app.sim_calls("/sns/jscode2session").await.len() - before, 2, "one try and one retry");
}

#[tokio::test]
async fn a_token_superseded_during_a_burst_costs_a_bounded_number_of_refreshes() {
    // 40 new codes from one session: far over its QR budget, which is not what this tests.
    let app = spawn_app_with(Options::default().var("RATE_LIMITS", "false")).await;
    let (token, _) = app.login().await;
    app.internal_get("/internal/token").await;

    let burst = |n: usize| {
        let token = token.clone();
        let app = &app;
        futures::future::join_all((0..n).map(move |i| {
            let token = token.clone();
            async move {
                let r = app
                    .client
                    .post(app.url("/api/qrcode"))
                    .bearer_auth(&token)
                    .json(&json!({ "scene": format!("burst{i}") }))
                    .send()
                    .await
                    .unwrap();
                r.status().as_u16()
            }
        }))
    };
    let first = burst(20);
    let invalidate = async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        app.sim_post("/_sim/tokens/invalidate", &json!({ "appid": APPID, "kind": "stable" })).await;
    };
    let (statuses, _) = tokio::join!(first, invalidate);
    let second = burst(20).await;
    assert!(statuses.iter().chain(second.iter()).all(|s| *s == 200), "{statuses:?} {second:?}");
    let token_calls = app.sim_calls("/cgi-bin/stable_token").await.len();
    assert!(token_calls <= 3, "refreshes stay bounded: {token_calls} token calls");
}

async fn greeted(app: &TestApp, openid: &str) -> usize {
    app.sim_calls("/cgi-bin/message/custom/send").await.into_iter().filter(|c| c["body"]["touser"] == openid).count()
}

#[tokio::test]
async fn sessions_tokens_and_push_claims_survive_a_restart() {
    let mut app = spawn_app().await;
    let (token, openid) = app.login().await;
    app.sim_post("/_sim/user_action", &json!({ "appid": APPID, "openid": openid, "kind": "enter_session" })).await;
    let push = build(&enter_session(&openid), Format::Xml, Mode::Safe);
    assert_eq!(app.push(&push).await.0, 200);
    let (_, before) = app.internal_get("/internal/token").await;
    for _ in 0..50 {
        if greeted(&app, &openid).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(greeted(&app, &openid).await, 1, "greeted once before the restart");

    app.restart_worker().await;

    let (status, me) = read(app.client.get(app.url("/api/me")).bearer_auth(&token).send().await.unwrap()).await;
    assert_eq!(status, 200, "the session survived: {me}");
    let (_, after) = app.internal_get("/internal/token").await;
    assert_eq!(before["access_token"], after["access_token"]);
    assert_eq!(app.sim_calls("/cgi-bin/stable_token").await.len(), 1);
    // WeChat redelivers the push after the restart: no second greeting.
    assert_eq!(app.push(&push).await, (200, "success".to_owned()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(greeted(&app, &openid).await, 1, "no second greeting after the restart");
}
