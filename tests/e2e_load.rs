//! End to end: redelivery under load. The simulator pushes many user actions from many users
//! in mixed formats and modes; 30 % are redelivered (a third of those concurrently with the
//! first delivery). Every action must cause exactly one side effect (a forward to the business
//! webhook; a greeting for entering the session), none may be lost, all answered under 5 s.
//!
//! The test command runs a reduced size; the full run is
//! `LOAD_PUSHES=10000 LOAD_USERS=500 cargo test --release --test e2e_load -- --nocapture`.

mod common;

use common::*;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test]
async fn redelivered_pushes_under_load_are_handled_exactly_once_and_none_is_lost() {
    let pushes = env_or("LOAD_PUSHES", 600);
    let users = env_or("LOAD_USERS", 100);
    let sink = Sink::start().await;
    let app = spawn_app_with(
        // Every mode at once: plain mode accepts encrypted pushes too.
        Options::default()
            .var("WECHAT_PUSH_MODE", "plain")
            .var("BUSINESS_WEBHOOK_URL", &sink.url)
            .var("BUSINESS_WEBHOOK_SECRET", "load-secret"),
    )
    .await;
    app.internal_get("/internal/token").await;
    let mut openids = Vec::new();
    for _ in 0..users {
        openids.push(app.login_code(APPID, None).await.1);
    }

    let formats = ["xml", "json"];
    let modes = ["plain", "compatible", "safe"];
    let started = Instant::now();
    let results: Vec<Value> = stream::iter(0..pushes)
        .map(|i| {
            let openid = openids[i % users].clone();
            let action = if i % 4 == 0 {
                json!({ "type": "enter_session", "openid": openid })
            } else {
                json!({ "type": "text", "openid": openid, "content": format!("load message {i}") })
            };
            let mut body = json!({
                "url": app.url("/wechat/push"), "appid": APPID, "token": PUSH_TOKEN, "aes_key": AES_KEY,
                "format": formats[i % 2], "mode": modes[(i / 2) % 3], "action": action,
            });
            // 30 % redelivered; a third of those at the same time as the first delivery.
            match i % 10 {
                0 => {
                    body["force_deliveries"] = json!(3);
                    body["concurrent"] = json!(true);
                }
                1 | 2 => body["force_deliveries"] = json!(2),
                _ => {}
            }
            let app = &app;
            async move { app.sim_post("/_sim/push", &body).await }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    let elapsed = started.elapsed();

    // What was delivered, and what each unique action must cause.
    let mut deliveries = 0;
    let mut slowest = 0;
    let mut unique_messages = HashSet::new();
    let mut unique_events = HashSet::new();
    for r in &results {
        assert!(matches!(r["outcome"].as_str(), Some("transfer" | "success")), "every push answered: {r}");
        for d in r["deliveries"].as_array().unwrap() {
            deliveries += 1;
            slowest = slowest.max(d["elapsed_ms"].as_u64().unwrap());
            assert_eq!(d["status"], 200, "{d}");
        }
        match r["msg_id"].as_u64() {
            Some(id) => unique_messages.insert(id),
            None => unique_events.insert((r["openid"].as_str().unwrap().to_owned(), r["create_time"].as_u64().unwrap())),
        };
    }
    assert!(slowest < 5000, "every delivery answered within WeChat's 5 s: slowest {slowest} ms");

    // Side effects: one forward per unique action, one greeting attempt per unique event.
    let expected = unique_messages.len() + unique_events.len();
    for _ in 0..300 {
        if sink.received().len() >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // A little longer, so a duplicate would have time to arrive.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let forwarded = sink.received();
    let mut per_action: HashMap<String, usize> = HashMap::new();
    for (_, payload) in &forwarded {
        let v: Value = serde_json::from_str(payload).unwrap();
        let key = match v["MsgId"].as_u64() {
            Some(id) => format!("msg:{id}"),
            None => format!("evt:{}:{}", v["FromUserName"].as_str().unwrap(), v["CreateTime"]),
        };
        *per_action.entry(key).or_default() += 1;
    }
    let duplicated: Vec<_> = per_action.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "forwarded more than once: {duplicated:?}");
    assert_eq!(per_action.len(), expected, "every unique action forwarded, none lost");

    let greetings = app.sim_calls("/cgi-bin/message/custom/send").await;
    assert_eq!(greetings.len(), unique_events.len(), "one greeting attempt per unique session entry");

    println!(
        "load: {pushes} pushes from {users} users, {deliveries} deliveries in {:.1} s ({:.0} deliveries/s); slowest answer {slowest} ms; \
         {} unique messages + {} unique events → {} forwards, {} greetings",
        elapsed.as_secs_f64(),
        deliveries as f64 / elapsed.as_secs_f64(),
        unique_messages.len(),
        unique_events.len(),
        forwarded.len(),
        greetings.len()
    );
}
