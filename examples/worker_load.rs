//! Issue 8, item 4: the Worker end to end under `wrangler dev` on loopback, through the e2e
//! harness (the WeChat simulator and `wrangler dev` on free ports, stopped on drop).
//!
//! After a warm-up of each case, every request is timed on its own, from sending it to the last
//! byte of the answer, and checked (status, shape, content) before it counts: `GET /health`,
//! pushes (plain XML and safe-mode JSON text messages, answered with a transfer to customer
//! service; every push a fresh message from a new user) and `GET /internal/token` on a warm
//! isolate, each at 1 and at 32 concurrent (32 tasks sharing one client); `POST /api/login` with
//! login codes made before timing; a cached `POST /api/qrcode` (`X-Cache: hit`). Then a second,
//! fresh app takes 500 concurrent cold `GET /internal/token` reads at once, and the simulator
//! says how many upstream token calls they caused.
//!
//! Prints a summary on stderr and one JSON line on stdout, or into the file named by the first
//! argument (scripts/bench.sh: target/bench-results/worker.json). Asserts nothing about speed.
//! A wrong answer is left out of the figures and counted (`errors`, with a few `error_samples`),
//! so BENCHMARKS.md says so; the summary on stderr ends with the count.
//!
//! Run: `WORKER_LOAD_N=1000 cargo run --release --example worker_load [out.json]`, where N is
//! the number of timed requests per case and concurrency (default 1000).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/run.rs"]
mod run;
use run::{gather, latency, ms, record_errors, write_line, Run};

use common::push::{build, crypt, text};
use common::{spawn_app, spawn_app_with, Options, TestApp, APPID, INTERNAL_KEY, PUSH_TOKEN};
use futures::future::{join_all, BoxFuture};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wechat_sim::wire::msg_signature;
use wechat_sim::wire::xml_read::read_document as parse_document;
use wechat_sim::wire::{Format, Mode};

const CONCURRENT: usize = 32;
const COLD_READS: usize = 500;
/// Untimed requests before each case, at the case's concurrency (32 opens the connections).
const WARM_UP: [(usize, usize); 2] = [(1, 100), (CONCURRENT, 10 * CONCURRENT)];

/// One request of a case, given its index: built, then sent and timed, then checked.
type Job = Arc<dyn Fn(usize) -> BoxFuture<'static, Result<Duration, String>> + Send + Sync>;

/// An answer read to its last byte, with the time from sending the request.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Vec<u8>,
    took: Duration,
}

async fn send(req: reqwest::RequestBuilder) -> Result<Answer, String> {
    let started = Instant::now();
    let mut r = req.send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = r.status().as_u16();
    let headers = std::mem::take(r.headers_mut());
    let body = r.bytes().await.map_err(|e| format!("the body did not arrive: {e}"))?.to_vec();
    Ok(Answer { status, headers, body, took: started.elapsed() })
}

impl Answer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).chars().take(300).collect()
    }

    fn status_200(&self) -> Result<(), String> {
        if self.status == 200 {
            Ok(())
        } else {
            Err(format!("status {}: {}", self.status, self.text()))
        }
    }

    fn json_200(&self) -> Result<Value, String> {
        self.status_200()?;
        serde_json::from_slice(&self.body).map_err(|e| format!("not JSON ({e}): {}", self.text()))
    }

    fn header(&self, name: &str) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }
}

/// The names of a JSON answer's fields: what an error may show of an answer that can carry a
/// token (never its values).
fn fields(v: &Value) -> String {
    v.as_object().map_or_else(|| "none (not an object)".into(), |o| o.keys().cloned().collect::<Vec<_>>().join(", "))
}

/// Where the requests go: cheap to clone into each task.
#[derive(Clone)]
struct Target {
    client: reqwest::Client,
    base: String,
}

impl Target {
    fn of(app: &TestApp) -> Self {
        Target { client: app.client.clone(), base: app.base.clone() }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

fn health(t: Target) -> Job {
    Arc::new(move |_| {
        let t = t.clone();
        Box::pin(async move {
            let a = send(t.client.get(t.url("/health"))).await?;
            let v = a.json_200()?;
            if v["status"] != "ok" {
                return Err(format!("not ok: {v}"));
            }
            Ok(a.took)
        })
    })
}

/// A passive reply as a map of its fields, decrypted (its MsgSignature checked) when it is an
/// encrypted envelope. Like `common::push::open_reply`, but it says what is wrong instead of
/// panicking: the release profile aborts on a panic.
fn open_reply(body: &str, format: Format) -> Result<Map<String, Value>, String> {
    let doc = match format {
        Format::Xml => parse_document(body.as_bytes()).map_err(|e| format!("not XML ({e:?}): {body}"))?,
        Format::Json => serde_json::from_str(body).map_err(|e| format!("not JSON ({e}): {body}"))?,
    };
    let Some(encrypt) = doc.get("Encrypt").and_then(Value::as_str) else { return Ok(doc) };
    let field = |k: &str| match doc.get(k) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(v) => Ok(v.to_string()),
        None => Err(format!("the encrypted reply lacks {k}: {body}")),
    };
    if field("MsgSignature")? != msg_signature(PUSH_TOKEN, &field("TimeStamp")?, &field("Nonce")?, encrypt) {
        return Err(format!("the reply's MsgSignature does not verify: {body}"));
    }
    let inner = crypt().decrypt(encrypt).map_err(|e| format!("the reply does not decrypt ({e:?})"))?;
    open_reply(&inner, format)
}

static NEXT_USER: AtomicUsize = AtomicUsize::new(0);

/// A text message from a new user (and a new MsgId), in `format` and `mode`; the answer must be
/// a transfer of that user to customer service.
fn push(t: Target, format: Format, mode: Mode) -> Job {
    Arc::new(move |_| {
        let t = t.clone();
        Box::pin(async move {
            let user = format!("o_worker_load_{:014}", NEXT_USER.fetch_add(1, Ordering::Relaxed));
            let p = build(&text(&user, "我想问一下订单的发货时间，谢谢"), format, mode);
            let content_type = if format == Format::Xml { "text/xml" } else { "application/json" };
            let req =
                t.client.post(t.url(&format!("/wechat/push?{}", p.query))).header("Content-Type", content_type).body(p.body);
            let a = send(req).await?;
            a.status_200()?;
            let reply = open_reply(&String::from_utf8_lossy(&a.body), format)?;
            if reply.get("MsgType").and_then(Value::as_str) != Some("transfer_customer_service")
                || reply.get("ToUserName").and_then(Value::as_str) != Some(user.as_str())
            {
                return Err(format!("not a transfer of {user}: {reply:?}"));
            }
            Ok(a.took)
        })
    })
}

/// `POST /api/login` with the i-th of `codes` (made beforehand): the answer must be a session
/// for that code's user.
fn login(t: Target, codes: Arc<Vec<(String, String)>>) -> Job {
    Arc::new(move |i| {
        let (t, codes) = (t.clone(), codes.clone());
        Box::pin(async move {
            let (code, openid) = &codes[i];
            let a = send(t.client.post(t.url("/api/login")).json(&json!({ "code": code }))).await?;
            let v = a.json_200()?;
            if v["openid"] != openid.as_str() || v["token"].as_str().is_none_or(str::is_empty) || v.get("session_key").is_some() {
                return Err(format!("not a session for {openid}: fields {}", fields(&v)));
            }
            Ok(a.took)
        })
    })
}

/// The same mini-program code again: it must come from the cache, the same image.
fn qrcode_cached(t: Target, session: String, body: Value, image: Arc<Vec<u8>>) -> Job {
    Arc::new(move |_| {
        let (t, session, body, image) = (t.clone(), session.clone(), body.clone(), image.clone());
        Box::pin(async move {
            let a = send(t.client.post(t.url("/api/qrcode")).bearer_auth(&session).json(&body)).await?;
            a.status_200()?;
            if a.header("x-cache") != "hit" || !a.header("content-type").starts_with("image/") || a.body != *image {
                return Err(format!(
                    "not the cached image: X-Cache {:?}, Content-Type {:?}, {} bytes",
                    a.header("x-cache"),
                    a.header("content-type"),
                    a.body.len()
                ));
            }
            Ok(a.took)
        })
    })
}

/// The token a `GET /internal/token` answer carries, if it is one.
fn token_of(a: &Answer) -> Result<String, String> {
    let v = a.json_200()?;
    match v["access_token"].as_str() {
        Some(t) if !t.is_empty() && v["expires_in"].as_u64().is_some_and(|s| s > 0) => Ok(t.to_owned()),
        _ => Err(format!("not a token and its life: fields {}", fields(&v))),
    }
}

/// `GET /internal/token`: the answer must carry `expected`, the token of the first read.
fn token(t: Target, expected: String) -> Job {
    Arc::new(move |_| {
        let (t, expected) = (t.clone(), expected.clone());
        Box::pin(async move {
            let a = send(t.client.get(t.url("/internal/token")).bearer_auth(INTERNAL_KEY)).await?;
            let got = token_of(&a)?;
            if got != expected {
                return Err("not the token of the first read".into());
            }
            Ok(a.took)
        })
    })
}

/// `n` requests of `job` from `concurrency` tasks, each taking the next index until none is left.
async fn drive(job: &Job, n: usize, concurrency: usize) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let tasks = (0..concurrency.min(n)).map(|_| {
        let (job, next) = (job.clone(), next.clone());
        tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return out;
                }
                out.push(job(i).await);
            }
        })
    });
    gather(tasks.collect(), started).await
}

/// Median, p99 (nearest rank), max and mean in ms; None without samples.
fn stats(samples: &[Duration]) -> Option<Value> {
    (!samples.is_empty()).then(|| latency(samples))
}

/// Every figure of the run, and the wrong answers.
#[derive(Default)]
struct Report {
    cases: Vec<Value>,
    errors: usize,
    error_samples: Vec<String>,
}

impl Report {
    fn errors(&mut self, what: &str, errors: &[String]) {
        record_errors(&mut self.errors, &mut self.error_samples, what, errors);
    }

    /// Warms up, then times `n` requests of `job` at `concurrency`; records `workload c<concurrency>`.
    async fn case(&mut self, workload: &str, endpoint: &str, job: Job, n: usize, concurrency: usize) {
        let warm = WARM_UP.iter().find(|(c, _)| *c == concurrency).map_or(100, |(_, w)| *w);
        let w = drive(&job, warm, concurrency).await;
        self.errors(&format!("{workload} warm-up"), &w.errors);
        let run = drive(&job, n, concurrency).await;
        self.record(workload, endpoint, concurrency, &run);
    }

    fn record(&mut self, workload: &str, endpoint: &str, concurrency: usize, run: &Run) {
        let key = format!("{workload} c{concurrency}");
        self.errors(&key, &run.errors);
        let mut r = json!({
            "workload": key, "case": endpoint, "concurrency": concurrency,
            "n": run.samples.len(), "errors": run.errors.len(),
            "wall_s": (run.wall.as_secs_f64() * 1e3).round() / 1e3,
            "per_s": ((run.samples.len() + run.errors.len()) as f64 / run.wall.as_secs_f64().max(1e-9)).round() as u64,
        });
        if let (Some(Value::Object(s)), Value::Object(r)) = (stats(&run.samples), &mut r) {
            r.extend(s);
        }
        if r.get("median_ms").is_some() {
            eprintln!(
                "{:<34} c={:<3} n={:<5} median {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  {:>6} /s",
                endpoint,
                concurrency,
                run.samples.len(),
                r["median_ms"].as_f64().unwrap_or(0.0),
                r["p99_ms"].as_f64().unwrap_or(0.0),
                r["max_ms"].as_f64().unwrap_or(0.0),
                r["per_s"]
            );
        }
        self.cases.push(r);
    }

    fn result(&self, key: &str) -> Option<&Value> {
        self.cases.iter().find(|r| r["workload"] == key)
    }
}

/// A fresh app (new simulator, new persistence directory) takes `COLD_READS` concurrent
/// `GET /internal/token` at once: how many answered 200, with the same token, at how many
/// upstream token calls.
async fn cold_reads(report: &mut Report) -> Value {
    let app = spawn_app().await;
    let t = Target::of(&app);
    let barrier = Arc::new(tokio::sync::Barrier::new(COLD_READS));
    let started = Instant::now();
    let reads = (0..COLD_READS).map(|_| {
        let (t, barrier) = (t.clone(), barrier.clone());
        tokio::spawn(async move {
            barrier.wait().await;
            send(t.client.get(t.url("/internal/token")).bearer_auth(INTERNAL_KEY)).await.and_then(|a| Ok((a.took, token_of(&a)?)))
        })
    });
    let answers = join_all(reads.collect::<Vec<_>>()).await;
    let wall = started.elapsed();
    let upstream_calls = app.sim_calls("/cgi-bin/stable_token").await.len();
    drop(app);

    let (mut samples, mut errors, mut tokens) = (Vec::new(), Vec::new(), HashMap::<String, usize>::new());
    for a in answers {
        match a.unwrap_or_else(|e| Err(format!("a read task failed: {e}"))) {
            Ok((took, token)) => {
                samples.push(took);
                *tokens.entry(token).or_default() += 1;
            }
            Err(e) => errors.push(e),
        }
    }
    report.errors("cold token reads", &errors);
    let same = tokens.values().copied().max().unwrap_or(0);
    eprintln!(
        "{COLD_READS} concurrent cold GET /internal/token on a fresh app: {} answered 200, {same} with the same token ({} distinct), \
         {upstream_calls} upstream token call(s); the burst took {:.0} ms",
        samples.len(),
        tokens.len(),
        ms(wall)
    );
    json!({
        "reads": COLD_READS, "ok": samples.len(), "same_token": same, "distinct_tokens": tokens.len(),
        "upstream_token_calls": upstream_calls, "wall_ms": ms(wall), "answer": stats(&samples),
    })
}

/// `cargo run` on the release profile aborts on a panic (the harness panics when a start
/// fails): stop the process groups we started (the simulator, wrangler and workerd), which
/// the harness's drop would have stopped.
fn stop_children_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        let me = std::process::id().to_string();
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else { continue };
            let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
            // pid (comm) state ppid pgrp ...
            let fields: Vec<&str> = stat.rsplit(')').next().unwrap_or("").split_whitespace().collect();
            if fields.get(1) == Some(&me.as_str()) && fields.get(2) == Some(&pid.to_string().as_str()) {
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
        }
    }));
}

fn version_of(package: &str) -> Value {
    let path = common::root().join("node_modules").join(package).join("package.json");
    let v: Value = std::fs::read_to_string(path).ok().and_then(|s| serde_json::from_str(&s).ok()).unwrap_or(Value::Null);
    v["version"].clone()
}

#[tokio::main]
async fn main() {
    stop_children_on_panic();
    let n: usize = std::env::var("WORKER_LOAD_N").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(1000);
    let out_path = std::env::args().nth(1);
    let mut report = Report::default();

    // Plain XML and safe JSON pushes side by side: plain mode accepts both...
    // ...and no rate limits: the login and QR cases send far more than a client may.
    let app = spawn_app_with(Options::default().var("WECHAT_PUSH_MODE", "plain").var("RATE_LIMITS", "false")).await;
    let t = Target::of(&app);
    eprintln!("wrangler dev on loopback, {n} timed requests per case after a warm-up:");

    // Health beside pushes at each concurrency, measured one after the other.
    for concurrency in [1, CONCURRENT] {
        report.case("health", "GET /health", health(t.clone()), n, concurrency).await;
        report
            .case("push-plain-xml", "push, plain XML (transfer)", push(t.clone(), Format::Xml, Mode::Plain), n, concurrency)
            .await;
        report
            .case("push-safe-json", "push, safe-mode JSON (transfer)", push(t.clone(), Format::Json, Mode::Safe), n, concurrency)
            .await;
    }

    // The token on a warm isolate: the first read fetches it; every later one must be the same.
    match send(t.client.get(t.url("/internal/token")).bearer_auth(INTERNAL_KEY)).await.and_then(|a| token_of(&a)) {
        Ok(first) => {
            for concurrency in [1, CONCURRENT] {
                report.case("token-warm", "GET /internal/token (warm)", token(t.clone(), first.clone()), n, concurrency).await;
            }
        }
        Err(e) => report.errors("token first read", &[e]),
    }

    // Login: the codes are made before timing, so only our endpoint is timed.
    let warm = WARM_UP[0].1;
    let mut codes = Vec::with_capacity(warm + n);
    for _ in 0..warm + n {
        codes.push(app.login_code(APPID, None).await);
    }
    let (warm_codes, timed_codes) = codes.split_at(warm);
    let w = drive(&login(t.clone(), Arc::new(warm_codes.to_vec())), warm, 1).await;
    report.errors("login warm-up", &w.errors);
    let run = drive(&login(t.clone(), Arc::new(timed_codes.to_vec())), n, 1).await;
    report.record("login", "POST /api/login", 1, &run);

    // A cached mini-program code: the first request fills the cache.
    let (session, _) = app.login().await;
    let body = json!({ "scene": "id=42&src=poster", "page": "pages/detail/detail", "width": 300 });
    let fill = send(app.client.post(app.url("/api/qrcode")).bearer_auth(&session).json(&body)).await;
    match fill {
        Ok(a) if a.status == 200 && a.header("content-type").starts_with("image/") => {
            let job = qrcode_cached(t.clone(), session, body, Arc::new(a.body));
            for concurrency in [1, CONCURRENT] {
                report.case("qrcode-cached", "POST /api/qrcode (cached)", job.clone(), n, concurrency).await;
            }
        }
        Ok(a) => report.errors("qrcode first request", &[format!("status {}: {}", a.status, a.text())]),
        Err(e) => report.errors("qrcode first request", &[e]),
    }

    let ratios: Vec<Value> = ["push-plain-xml", "push-safe-json"]
        .iter()
        .flat_map(|p| [1, CONCURRENT].map(|c| format!("{p} c{c}")))
        .filter_map(|key| {
            let push = report.result(&key)?;
            let health = report.result(&format!("health c{}", push["concurrency"]))?;
            let (p, h) = (push["median_ms"].as_f64()?, health["median_ms"].as_f64()?);
            let ratio = (p / h * 100.0).round() / 100.0;
            eprintln!("{} / GET /health, c={}: median {p:.2} / {h:.2} ms = {ratio}×", push["case"].as_str().unwrap_or(""), push["concurrency"]);
            Some(json!({ "case": push["case"], "concurrency": push["concurrency"], "push_median_ms": p, "health_median_ms": h, "ratio_to_health": ratio }))
        })
        .collect();
    drop(app);

    // A fresh app (new simulator, new persistence directory): 500 cold reads at once.
    let cold_json = cold_reads(&mut report).await;

    let doc = json!({
        "runner": "worker_load", "n": n, "concurrency": CONCURRENT,
        "warm_up": WARM_UP.iter().map(|(c, w)| json!({ "concurrency": c, "requests": w })).collect::<Vec<_>>(),
        "versions": { "wrangler": version_of("wrangler"), "workerd": version_of("workerd") },
        "cases": report.cases, "push_to_health": ratios, "cold_reads": cold_json,
        "errors": report.errors, "error_samples": report.error_samples,
    });
    write_line(&doc, out_path, report.errors);
}
