//! Issue 18, item 3: the push webhook side by side over HTTP, as a team choosing between them
//! would run it. The same streams of signed pushes go to
//!   (a) our Worker under `wrangler dev` (the e2e harness: the simulator and `wrangler dev` on
//!       free loopback ports, default configuration but for the two settings said below),
//!   (b) an Express server with the npm `wechat` middleware (scripts/bench/http_express.mjs),
//!   (c) wechatpy in Flask under gunicorn's sync workers (scripts/bench/http_flask.py), with
//!       gunicorn's documented recommendation of (2 × cores) + 1 workers,
//! one server at a time, all with the harness's Token, EncodingAESKey and AppID.
//!
//! Streams: plain XML, safe-mode XML and safe-mode JSON, each cycling through a text message,
//! an image, a mini-program card and a `user_enter_tempsession` event; every push is fresh (a
//! new user and MsgId) and signed with the current time, built just before its case (the
//! Worker refuses timestamps more than 300 s off). User messages must be answered with a
//! transfer of that user to customer service (in safe mode encrypted, its MsgSignature
//! checked, and decrypted), the event with `success` or an empty body (WeChat's two ways of
//! saying "no reply"). A wrong answer is counted and left out of the latency figures.
//!
//! Each server first takes 1,000 untimed pushes of every stream at 32 in flight; then each
//! (stream, concurrency 1 / 32 / 128) case: an untimed warm-up at the case's concurrency, then N
//! timed requests from C tokio tasks sharing one client, each timed from send to the last byte.
//! Around the timed window only: the server's CPU (utime + stime summed over its processes: for
//! ours the workerd that runs the Worker, with its Durable Objects and local storage; gunicorn's
//! master and workers; the node process), what wrangler dev adds around the Worker and
//! production does not have (its dev-proxy workerd, which the client talks to, and its node
//! processes; reported apart), and this client's own. Peak RSS (VmHWM, summed over the
//! processes, and the largest one) and PSS per server after its last case. A case in which the
//! server's processes changed (wrangler dev reloads the Worker in a new workerd when a file under
//! src/ changes) gets no figures.
//!
//! Prints a summary on stderr and writes one JSON document to the path given as the first
//! argument (scripts/bench.sh: target/bench-results/http.json), or stdout.
//! Asserts nothing about speed; a peer that cannot start is recorded as missing.
//!
//! Run: `HTTP_COMPARE_N=2000 cargo run --release --example http_compare [out.json]`.
//! Environment: HTTP_COMPARE_N (timed requests per case, default 2000), HTTP_COMPARE_ONLY
//! (`worker,express,gunicorn`: a subset), HTTP_COMPARE_NODE_DIR (default target/bench-node,
//! holding node_modules with express and wechat), HTTP_COMPARE_PY_ENV (default target/bench-env,
//! a venv with wechatpy, flask and gunicorn), HTTP_COMPARE_GUNICORN_WORKERS (default 2×cores+1).

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/procfs.rs"]
mod procfs;
#[path = "support/run.rs"]
mod run;
use run::{gather, latency, record_errors, round, write_line, Run};

use common::{spawn_app_with, Group, Options, AES_KEY, APPID, PUSH_TOKEN};
use serde_json::{json, Value};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wechat_wire::{open_reply, seal, Format, Message, Mode, PushCipher, Sealing};

const CONCURRENCY: [usize; 3] = [1, 32, 128];
const ORIGINAL_ID: &str = "gh_0123456789ab";

/// Untimed pushes of each stream a server takes, once, before its first case.
const SERVER_WARM_UP: usize = 1000;

/// Untimed requests before each case: enough for every connection and every gunicorn worker
/// to have served a few of each kind.
fn warm_up(concurrency: usize) -> usize {
    (4 * concurrency).max(200)
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Stream {
    name: &'static str,
    label: &'static str,
    format: Format,
    mode: Mode,
}

const STREAMS: [Stream; 3] = [
    Stream { name: "plain-xml", label: "plain XML", format: Format::Xml, mode: Mode::Plain },
    Stream { name: "safe-xml", label: "safe-mode XML", format: Format::Xml, mode: Mode::Safe },
    Stream { name: "safe-json", label: "safe-mode JSON", format: Format::Json, mode: Mode::Safe },
];

/// What a correct answer is.
#[derive(Clone)]
enum Expect {
    /// `transfer_customer_service` to this user (encrypted when the push was).
    Transfer(String),
    /// `success` or an empty body.
    NoReply,
}

/// One signed push, ready to send.
struct Push {
    query: String,
    body: String,
    expect: Expect,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// The i-th message of a stream: text, image, mini-program card, event, in turn; each from a
/// new user, each user message with a new MsgId above 2^53 (as WeChat's are).
fn message(i: u64, user: &str) -> (Message, Expect) {
    let t = now();
    let msg_id = (1u64 << 60) + u64::from(std::process::id()) * 10_000_000 + i;
    let transfer = Expect::Transfer(user.to_owned());
    match i % 4 {
        0 => (Message::text(ORIGINAL_ID, user, t, "您好，请问订单 8841 什么时候发货？", msg_id), transfer),
        1 => (
            Message::new(ORIGINAL_ID, user, t, "image")
                .with_text("PicUrl", "http://mmbiz.qpic.cn/mmbiz_jpg/5d4c1b8e6f3a2c7d9e0f1a2b3c4d5e6f/0")
                .with_text("MediaId", "H3Q1b8dY0k2pXc7v9mZt4wLr6sNa5eFg8hJj2kLm3nOp4qRs5tUv6wXy7zAb8cD")
                .with_number("MsgId", msg_id),
            transfer,
        ),
        // The mini-program card of wechat-api.md §8.4 (the bench's `card`).
        2 => (
            Message::new(ORIGINAL_ID, user, t, "miniprogrampage")
                .with_text("Title", "圈本地")
                .with_text("AppId", "wx143cd4036f7c65c5")
                .with_text("PagePath", "pages/assist/gooddetail/gooddetail?isBackLuckyDraw=true&id=1411")
                .with_text(
                    "ThumbUrl",
                    "http://mmbiz.qpic.cn/sz_mmbiz_jpg/Qk3ezC9v7ibKibJ4nGmBfYfZTxr7oVHia0ic2Tg1lXc5lLdxOw1Gk6qjVxR0YH0pG3Zc0Wzq4nJQ/0",
                )
                .with_text("ThumbMediaId", "QVcY7qtwbD8AvdEsE37xAc8LKOU4I5Sx2lw-O0e-A7hAqch4qMptYe0VUuzYPOc5")
                .with_number("MsgId", msg_id),
            transfer,
        ),
        _ => (
            Message::event(ORIGINAL_ID, user, t, "user_enter_tempsession").with_text("SessionFrom", "bench"),
            Expect::NoReply,
        ),
    }
}

/// `n` fresh pushes of a stream, signed now.
fn build_stream(stream: Stream, n: usize, cipher: &PushCipher) -> Vec<Push> {
    (0..n)
        .map(|_| {
            let i = NEXT.fetch_add(1, Ordering::Relaxed);
            let user = format!("o_http_{:06}_{i:012}", std::process::id());
            let (msg, expect) = message(i, &user);
            let (nonce, timestamp) = ((1_000_000_000 + i * 7919 % 1_000_000_000).to_string(), now().to_string());
            let mut random16 = [0u8; 16];
            random16[..8].copy_from_slice(&i.to_le_bytes());
            let how = Sealing {
                format: stream.format,
                mode: stream.mode,
                token: PUSH_TOKEN,
                cipher: Some(cipher),
                timestamp: &timestamp,
                nonce: &nonce,
                random16,
            };
            let sealed = seal(&msg.render(stream.format), ORIGINAL_ID, &how).expect("a cipher is given");
            Push { query: sealed.query, body: sealed.body, expect }
        })
        .collect()
}

/// Checks an answer against what the push expects.
fn check(stream: Stream, expect: &Expect, status: u16, body: &str, cipher: &PushCipher) -> Result<(), String> {
    let short = || body.chars().take(200).collect::<String>();
    if status != 200 {
        return Err(format!("status {status}: {}", short()));
    }
    match expect {
        Expect::NoReply => match body.trim() {
            "" | "success" => Ok(()),
            _ => Err(format!("an event not answered with success: {}", short())),
        },
        Expect::Transfer(user) => {
            if stream.mode != Mode::Plain && !body.contains("Encrypt") {
                return Err(format!("a safe-mode push answered in plaintext: {}", short()));
            }
            let fields = open_reply(stream.format, body, PUSH_TOKEN, Some(cipher)).map_err(|e| format!("{e}: {}", short()))?;
            let text = |k: &str| fields.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
            if text("MsgType") != "transfer_customer_service" || text("ToUserName") != *user {
                return Err(format!("not a transfer of {user}: {fields:?}"));
            }
            Ok(())
        }
    }
}

/// Looks up a group of processes when asked (they can change while a server runs).
type Pids = Box<dyn Fn() -> Vec<u32>>;

/// A server under test: where to send, and which processes are its own.
struct Server {
    id: &'static str,
    label: String,
    base: String,
    /// The server's processes, looked up at each snapshot (gunicorn could replace a worker).
    pids: Pids,
    /// Processes beside the server, reported apart (wrangler dev's proxy and node for ours).
    side: Option<(&'static str, Pids)>,
    streams: Vec<&'static str>,
    skipped_why: &'static str,
    info: Value,
    /// Keeps it running; dropped (and stopped) when the server is done.
    _keep: Box<dyn std::any::Any>,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// Starts a peer in its own process group, its output in `log`, the harness's secrets in its
/// environment; waits until its port accepts connections.
fn spawn_peer(cmd: &mut Command, port: u16, log: &Path) -> Result<Group, String> {
    let out = std::fs::File::create(log).map_err(|e| format!("create {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| e.to_string())?;
    cmd.env("WECHAT_TOKEN", PUSH_TOKEN)
        .env("WECHAT_ENCODING_AES_KEY", AES_KEY)
        .env("WECHAT_APPID", APPID)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .process_group(0);
    let mut group = Group(cmd.spawn().map_err(|e| format!("spawn {cmd:?}: {e}"))?);
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = group.0.try_wait() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("exited ({status}): {}", text.lines().rev().take(8).collect::<Vec<_>>().join(" | ")));
        }
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(group);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Err(format!("no connection on port {port} within 30 s"))
}

fn package_version(node_modules: &Path, name: &str) -> Value {
    let v: Value = std::fs::read_to_string(node_modules.join(name).join("package.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or(Value::Null);
    v["version"].clone()
}

fn command_output(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

async fn start_worker() -> Server {
    // WECHAT_PUSH_MODE=plain: the console's plain mode, so plaintext pushes are taken; encrypted
    // ones are still checked, opened and answered encrypted. CS_GREETING empty: the greeting is a
    // customer-service message sent to WeChat after the answer, which the peers do not send.
    let app = spawn_app_with(Options::default().var("WECHAT_PUSH_MODE", "plain").var("CS_GREETING", "")).await;
    let root = common::root();
    let nm = root.join("node_modules");
    let info = json!({
        "versions": { "wrangler": package_version(&nm, "wrangler"), "workerd": package_version(&nm, "workerd") },
        "config": "harness defaults; WECHAT_PUSH_MODE=plain, CS_GREETING empty",
        "cpu_processes": "the workerd running the Worker (with its Durable Objects and local KV, D1 and storage)",
        "side_processes": "wrangler dev around it: the workerd of its dev proxy (which the client talks to) and wrangler's node processes",
    });
    Server {
        id: "worker",
        label: "wechat-edge (ours), wrangler dev".into(),
        base: app.base.clone(),
        pids: Box::new(|| procfs::wrangler_processes().0),
        side: Some(("wrangler dev (proxy workerd + node)", Box::new(|| procfs::wrangler_processes().1))),
        streams: STREAMS.iter().map(|s| s.name).collect(),
        skipped_why: "",
        info,
        _keep: Box::new(app) as Box<dyn std::any::Any>,
    }
}

fn start_express(node_dir: &Path, log_dir: &Path) -> Result<Server, String> {
    let nm = node_dir.join("node_modules");
    for package in ["express", "wechat"] {
        if !nm.join(package).is_dir() {
            return Err(format!("{} has no {package} (scripts/bench.sh installs it)", nm.display()));
        }
    }
    let port = free_port();
    let script = common::root().join("scripts/bench/http_express.mjs");
    let mut cmd = Command::new("node");
    cmd.arg(&script).arg(node_dir).arg(port.to_string()).env("NODE_ENV", "production");
    let group = spawn_peer(&mut cmd, port, &log_dir.join("express.log"))?;
    let pid = group.0.id();
    let info = json!({
        "versions": {
            "node": command_output(Command::new("node").arg("-v")),
            "express": package_version(&nm, "express"), "wechat": package_version(&nm, "wechat"),
        },
        "config": "one node process (NODE_ENV=production), app.use('/wechat/push', wechat(config, handler))",
        "cpu_processes": "the node process",
    });
    Ok(Server {
        id: "express",
        label: format!(
            "Express {} + wechat {}",
            info["versions"]["express"].as_str().unwrap_or("?"),
            info["versions"]["wechat"].as_str().unwrap_or("?")
        ),
        base: format!("http://127.0.0.1:{port}"),
        pids: Box::new(move || procfs::tree(pid).into_iter().map(|p| p.pid).collect()),
        side: None,
        streams: vec!["plain-xml", "safe-xml"],
        skipped_why: "the wechat middleware parses XML bodies only",
        info,
        _keep: Box::new(group) as Box<dyn std::any::Any>,
    })
}

fn start_gunicorn(py_env: &Path, workers: usize, cores: usize, log_dir: &Path) -> Result<Server, String> {
    let gunicorn = py_env.join("bin/gunicorn");
    let python = py_env.join("bin/python");
    if !gunicorn.is_file() {
        return Err(format!("{} is missing (scripts/bench.sh installs flask and gunicorn)", gunicorn.display()));
    }
    let versions = command_output(Command::new(&python).args([
        "-c",
        "import json, sys; from importlib.metadata import version as v; \
         print(json.dumps({'python': sys.version.split()[0], 'gunicorn': v('gunicorn'), 'flask': v('flask'), \
         'werkzeug': v('werkzeug'), 'wechatpy': v('wechatpy'), 'cryptography': v('cryptography')}))",
    ]))
    .and_then(|s| serde_json::from_str::<Value>(&s).ok())
    .ok_or_else(|| format!("{} cannot import gunicorn, flask and wechatpy", python.display()))?;
    let port = free_port();
    let mut cmd = Command::new(&gunicorn);
    cmd.arg("--chdir")
        .arg(common::root().join("scripts/bench"))
        .args(["--workers", &workers.to_string(), "--bind", &format!("127.0.0.1:{port}"), "--log-level", "warning"])
        .arg("http_flask:app");
    let group = spawn_peer(&mut cmd, port, &log_dir.join("gunicorn.log"))?;
    let master = group.0.id();
    // The port opens before the workers have imported the app: wait for all of them.
    let deadline = Instant::now() + Duration::from_secs(30);
    while procfs::tree(master).len() < workers + 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let info = json!({
        "versions": versions, "workers": workers,
        "config": format!(
            "gunicorn --workers {workers}, sync workers (gunicorn's default class); gunicorn's documentation recommends (2 × cores) + 1 = {} workers on these {cores} cores; Flask app http_flask:app, no reverse proxy",
            2 * cores + 1
        ),
        "cpu_processes": "gunicorn's master and its workers",
    });
    Ok(Server {
        id: "gunicorn",
        label: format!(
            "wechatpy {} + Flask {}, gunicorn {} ×{workers}",
            versions["wechatpy"].as_str().unwrap_or("?"),
            versions["flask"].as_str().unwrap_or("?"),
            versions["gunicorn"].as_str().unwrap_or("?")
        ),
        base: format!("http://127.0.0.1:{port}"),
        pids: Box::new(move || procfs::tree(master).into_iter().map(|p| p.pid).collect()),
        side: None,
        streams: STREAMS.iter().map(|s| s.name).collect(),
        skipped_why: "",
        info,
        _keep: Box::new(group) as Box<dyn std::any::Any>,
    })
}

/// Sends `pushes` from `concurrency` tasks, each taking the next until none is left.
async fn drive(client: &reqwest::Client, url: &str, stream: Stream, pushes: Arc<Vec<Push>>, concurrency: usize) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let cipher = Arc::new(PushCipher::new(AES_KEY, APPID).expect("the harness key is valid"));
    let content_type = stream.format.content_type();
    let started = Instant::now();
    let tasks = (0..concurrency.min(pushes.len())).map(|_| {
        let (next, pushes, client, cipher, url) = (next.clone(), pushes.clone(), client.clone(), cipher.clone(), url.to_owned());
        tokio::spawn(async move {
            let mut out = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = pushes.get(i) else { return out };
                let sent = Instant::now();
                let answer = async {
                    let r = client
                        .post(format!("{url}?{}", p.query))
                        .header("Content-Type", content_type)
                        .body(p.body.clone())
                        .send()
                        .await
                        .map_err(|e| format!("no answer: {e}"))?;
                    let status = r.status().as_u16();
                    let body = r.bytes().await.map_err(|e| format!("the body did not arrive: {e}"))?;
                    Ok::<_, String>((status, body))
                }
                .await;
                let took = sent.elapsed();
                out.push(answer.and_then(|(status, body)| {
                    check(stream, &p.expect, status, &String::from_utf8_lossy(&body), &cipher).map(|()| took)
                }));
            }
        })
    });
    gather(tasks.collect(), started).await
}

/// CPU seconds of a few process groups at one moment.
struct Cpu {
    /// Which processes were read: a change inside a window voids its CPU figure.
    pids: Vec<u32>,
    server: f64,
    side: f64,
    client: f64,
}

fn cpu_now(server: &Server) -> Cpu {
    let mut pids = (server.pids)();
    pids.sort_unstable();
    Cpu {
        server: procfs::cpu_s(&pids),
        pids,
        side: server.side.as_ref().map_or(0.0, |(_, pids)| procfs::cpu_s(&pids())),
        client: procfs::cpu_s(&[std::process::id()]),
    }
}

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
}

/// Every case of one server; returns its record.
async fn run_server(server: Server, n: usize, report: &mut Report) -> Value {
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(256).build().expect("a client");
    let cipher = PushCipher::new(AES_KEY, APPID).expect("the harness key is valid");
    let url = format!("{}/wechat/push", server.base);
    let processes = (server.pids)();
    eprintln!("{} ({} process(es) measured: {:?})", server.label, processes.len(), processes);
    // Once per server, before any case: every stream it takes at 32 in flight, so that the
    // first case does not pay for what the server does once (V8 compiling and tiering up the
    // Worker's and Express's code, gunicorn's workers importing their modules on first use).
    for stream in STREAMS.iter().filter(|s| server.streams.contains(&s.name)) {
        let w = drive(&client, &url, *stream, Arc::new(build_stream(*stream, SERVER_WARM_UP, &cipher)), 32).await;
        report.errors(&format!("{} {} server warm-up", server.id, stream.name), &w.errors);
    }
    for stream in STREAMS {
        if !server.streams.contains(&stream.name) {
            report.cases.push(json!({ "server": server.id, "stream": stream.name, "skipped": server.skipped_why }));
            eprintln!("  {:<15} n/a: {}", stream.label, server.skipped_why);
            continue;
        }
        for c in CONCURRENCY {
            let warm = warm_up(c);
            // Built right before the case: the timestamps must be current.
            let mut pushes = build_stream(stream, warm + n, &cipher);
            let timed = Arc::new(pushes.split_off(warm));
            let w = drive(&client, &url, stream, Arc::new(pushes), c).await;
            let key = format!("{} {} c{c}", server.id, stream.name);
            report.errors(&format!("{key} warm-up"), &w.errors);

            let before = cpu_now(&server);
            let run = drive(&client, &url, stream, timed, c).await;
            let after = cpu_now(&server);
            report.errors(&key, &run.errors);
            let sent = (run.samples.len() + run.errors.len()) as f64;
            let per_1000 = |s: f64| round(s * 1000.0 / sent.max(1.0), 4);
            let per_s = sent / run.wall.as_secs_f64().max(1e-9);
            let mut case = json!({
                "server": server.id, "stream": stream.name, "concurrency": c, "warm_up": warm,
                "n": run.samples.len(), "errors": run.errors.len(), "wall_s": round(run.wall.as_secs_f64(), 3),
                "per_s": per_s.round(),
                "cpu_s": round(after.server - before.server, 3),
                "cpu_s_per_1000": per_1000(after.server - before.server),
                "client_cpu_s_per_1000": per_1000(after.client - before.client),
                "peak_rss_sum_kb": procfs::memory(&(server.pids)()).hwm_sum_kb,
            });
            if server.side.is_some() {
                case["side_cpu_s_per_1000"] = json!(per_1000(after.side - before.side));
            }
            if let (Value::Object(s), Value::Object(case)) = (latency(&run.samples), &mut case) {
                case.extend(s);
            }
            // A process that ended inside the window took its CPU time with it (wrangler dev
            // reloads the Worker, in a new workerd, when a file under src/ changes; gunicorn
            // replaces a worker that timed out): that case has no figures.
            if before.pids != after.pids {
                let why = format!("the server's processes changed during the window ({:?} → {:?})", before.pids, after.pids);
                eprintln!("  {key}: {why}: no figures");
                report.errors(&key, std::slice::from_ref(&why));
                case["invalid"] = json!(why);
            }
            eprintln!(
                "  {:<15} c={c:<3} {:>6.0} req/s  median {:>7.2} ms  p99 {:>7.2} ms  cpu {:.3} s/1000{}",
                stream.label,
                per_s,
                case["median_ms"].as_f64().unwrap_or(f64::NAN),
                case["p99_ms"].as_f64().unwrap_or(f64::NAN),
                case["cpu_s_per_1000"].as_f64().unwrap_or(f64::NAN),
                case.get("side_cpu_s_per_1000").map(|v| format!(" (+ dev server {v})")).unwrap_or_default(),
            );
            report.cases.push(case);
        }
    }
    let memory = procfs::memory(&(server.pids)());
    let side_memory =
        server.side.as_ref().map(|(name, pids)| json!({ "name": name, "memory": procfs::memory(&pids()).to_json() }));
    eprintln!(
        "  peak RSS: {:.1} MiB summed over {} process(es), largest {:.1} MiB; PSS now {:.1} MiB",
        memory.hwm_sum_kb as f64 / 1024.0,
        memory.processes,
        memory.hwm_max_kb as f64 / 1024.0,
        memory.pss_sum_kb as f64 / 1024.0
    );
    json!({
        "id": server.id, "label": server.label, "info": server.info,
        "memory": memory.to_json(), "side": side_memory,
    })
}

#[tokio::main]
async fn main() {
    procfs::stop_children_on_panic();
    let n: usize = std::env::var("HTTP_COMPARE_N").ok().and_then(|v| v.parse().ok()).filter(|n| *n > 0).unwrap_or(2000);
    let only: Option<Vec<String>> =
        std::env::var("HTTP_COMPARE_ONLY").ok().map(|v| v.split(',').map(|s| s.trim().to_owned()).collect());
    let wanted = |id: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == id));
    let root = common::root();
    let path_var = |name: &str, default: &str| -> PathBuf {
        let p = PathBuf::from(std::env::var(name).unwrap_or_else(|_| default.to_owned()));
        if p.is_absolute() {
            p
        } else {
            root.join(p)
        }
    };
    let node_dir = path_var("HTTP_COMPARE_NODE_DIR", "target/bench-node");
    let py_env = path_var("HTTP_COMPARE_PY_ENV", "target/bench-env");
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let workers: usize = std::env::var("HTTP_COMPARE_GUNICORN_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|w| *w > 0)
        .unwrap_or(2 * cores + 1);
    let log_dir = root.join("target/bench-results/http-logs");
    let _ = std::fs::create_dir_all(&log_dir);
    let out_path = std::env::args().nth(1);

    eprintln!("{n} timed pushes per case after a warm-up; concurrency {CONCURRENCY:?}; one server at a time");
    let mut report = Report::default();
    let mut servers = Vec::new();
    for id in ["worker", "express", "gunicorn"] {
        if !wanted(id) {
            continue;
        }
        let started = match id {
            "worker" => Ok(start_worker().await),
            "express" => start_express(&node_dir, &log_dir),
            _ => start_gunicorn(&py_env, workers, cores, &log_dir),
        };
        match started {
            Ok(server) => servers.push(run_server(server, n, &mut report).await),
            Err(why) => {
                eprintln!("{id}: not run: {why}");
                servers.push(json!({ "id": id, "missing": why }));
            }
        }
    }

    // The ratios, printed here for the log; BENCHMARKS.md computes its own from the cases.
    let find = |server: &str, stream: &str, c: usize| {
        report
            .cases
            .iter()
            .find(|r| r["server"] == server && r["stream"] == stream && r["concurrency"] == c && r.get("median_ms").is_some())
    };
    for peer in ["express", "gunicorn"] {
        for stream in STREAMS {
            for c in CONCURRENCY {
                if let (Some(o), Some(p)) = (find("worker", stream.name, c), find(peer, stream.name, c)) {
                    let r = |k: &str| o[k].as_f64().unwrap_or(f64::NAN) / p[k].as_f64().unwrap_or(f64::NAN);
                    eprintln!(
                        "ours / {peer}, {} c={c}: throughput {:.2}×, median {:.2}×, CPU per push {:.2}×",
                        stream.label,
                        r("per_s"),
                        r("median_ms"),
                        r("cpu_s_per_1000")
                    );
                }
            }
        }
    }

    let doc = json!({
        "runner": "http_compare", "n": n, "concurrency": CONCURRENCY, "cores": cores,
        "server_warm_up": SERVER_WARM_UP,
        "warm_up": CONCURRENCY.iter().map(|c| json!({ "concurrency": c, "requests": warm_up(*c) })).collect::<Vec<_>>(),
        "clk_tck": procfs::clk_tck(),
        "streams": STREAMS.iter().map(|s| json!({ "name": s.name, "label": s.label })).collect::<Vec<_>>(),
        "servers": servers, "cases": report.cases,
        "errors": report.errors, "error_samples": report.error_samples,
    });
    write_line(&doc, out_path, report.errors);
}
