//! Measures how fast the worker answers pushes under `wrangler dev` on loopback, beside
//! `GET /health` measured the same way: median and p99 over N sequential requests.
//! Prints figures; asserts nothing. Run: `cargo run --release --example push_latency [N]`.

#[path = "../tests/common/mod.rs"]
mod common;

use common::push::*;
use common::*;
use std::time::{Duration, Instant};
use wechat_edge::push::{Format, Mode};

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{name:<28} n={:<5} median {:>7.2} ms   p99 {:>7.2} ms   max {:>7.2} ms",
        samples.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        at(1.0).as_secs_f64() * 1e3
    );
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(1000);
    let app = spawn_app().await;
    let user = "o_latency_user_00000000000001";

    // Warm the isolate, the ledger objects and the connection.
    for _ in 0..50 {
        app.get("/health").await;
        app.push(&build(&text(user, "warm-up"), Format::Xml, Mode::Plain)).await;
    }

    let mut health = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        let (status, _) = app.get("/health").await;
        health.push(t.elapsed());
        assert_eq!(status, 200);
    }
    let mut plain_xml = Vec::with_capacity(n);
    for _ in 0..n {
        let push = build(&text(user, "我想问一下订单的发货时间，谢谢"), Format::Xml, Mode::Plain);
        let t = Instant::now();
        let (status, _) = app.push(&push).await;
        plain_xml.push(t.elapsed());
        assert_eq!(status, 200);
    }
    let mut safe_json = Vec::with_capacity(n);
    for _ in 0..n {
        let push = build(&text(user, "我想问一下订单的发货时间，谢谢"), Format::Json, Mode::Safe);
        let t = Instant::now();
        let (status, _) = app.push(&push).await;
        safe_json.push(t.elapsed());
        assert_eq!(status, 200);
    }
    println!("wrangler dev on loopback, sequential requests (concurrency 1):");
    summary("GET /health", health);
    summary("push, plain XML (transfer)", plain_xml);
    summary("push, safe-mode JSON", safe_json);
}
