//! The end-to-end harness: builds the worker once, starts the WeChat simulator and
//! `wrangler dev` on free loopback ports with their own persistence directory, and stops
//! both process groups when the [`TestApp`] is dropped, even when a test fails or panics.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub const APPID: &str = "wx0000000000000001";
pub const SECRET: &str = "sim-secret-0001";
pub const APPID_B: &str = "wx0000000000000002";
pub const SECRET_B: &str = "sim-secret-0002";
pub const INTERNAL_KEY: &str = "e2e-internal-key-0123456789abcdef";
pub const PUSH_TOKEN: &str = "e2epushtoken";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
/// The official account of [`Options::official_account`].
pub const OA_APPID: &str = "wx00000000000000a1";
pub const OA_SECRET: &str = "sim-secret-oa01";
/// The products of [`Options::pay`]: prices the mini program can only name.
pub const PAY_CATALOGUE: &str =
    r#"{"vip-month": {"amount": 1800, "description": "VIP 月卡"}, "coffee": {"amount": 1, "description": "一杯咖啡"}}"#;
/// The web origin allowed by [`Options::official_account`] (`WEB_ORIGINS`).
pub const WEB_ORIGIN: &str = "https://shop.example.com";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// Builds the worker (skipped when up to date) and the simulator, once per test binary.
fn ensure_built() -> &'static PathBuf {
    static SIM: OnceLock<PathBuf> = OnceLock::new();
    SIM.get_or_init(|| {
        let status = Command::new("bash").arg("scripts/build.sh").current_dir(root()).status().expect("run scripts/build.sh");
        assert!(status.success(), "the worker build failed (bash scripts/build.sh)");
        let status = Command::new(env!("CARGO"))
            .args(["build", "-q", "-p", "wechat-sim", "--bin", "wechat-sim"])
            .current_dir(root())
            .status()
            .expect("run cargo build -p wechat-sim");
        assert!(status.success(), "the simulator build failed");
        target_dir().join("debug").join("wechat-sim")
    })
}

/// A persistence directory with the D1 migrations (`migrations/`) applied, made once per test
/// binary by `wrangler d1 migrations apply` (as `npm run dev` does) and copied into each
/// app's own directory: the same schema for every test at a copy's cost, not a wrangler run.
fn d1_template() -> &'static PathBuf {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = target_dir().join("e2e").join(format!("d1-template-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the D1 template directory");
        let output = Command::new("node")
            .current_dir(root())
            .arg("node_modules/wrangler/bin/wrangler.js")
            .args(["d1", "migrations", "apply", "DB", "--local", "--persist-to"])
            .arg(&dir)
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("NO_COLOR", "1")
            .output()
            .expect("run wrangler d1 migrations apply");
        assert!(
            output.status.success(),
            "wrangler d1 migrations apply failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        dir
    })
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create a directory");
    for entry in std::fs::read_dir(from).expect("read a directory").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy a file");
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A child in its own process group; dropping it stops the whole group.
pub struct Group(pub Child);

impl Drop for Group {
    fn drop(&mut self) {
        let pgid = self.0.id() as i32;
        unsafe { libc::kill(-pgid, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Whatever is left of the group (workerd) goes too.
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.0.wait();
    }
}

fn spawn_group(cmd: &mut Command, log: &Path) -> Group {
    let out = std::fs::File::create(log).expect("create a log file");
    let err = out.try_clone().expect("clone the log file");
    cmd.stdin(Stdio::null()).stdout(out).stderr(err).process_group(0);
    Group(cmd.spawn().unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}")))
}

/// What a test configures before the instance starts.
#[derive(Default)]
pub struct Options {
    /// `--var NAME:VALUE` for wrangler dev, on top of the defaults below.
    pub vars: Vec<(String, String)>,
    /// Extra simulator arguments.
    pub sim_args: Vec<String>,
    /// Reuse a persistence directory (for restart tests).
    pub state_dir: Option<PathBuf>,
    /// Put the default app behind WeChat's IP whitelist and start the nginx relay
    /// (`deploy/relay/`) in front of the simulator's relay port: `secret` or `all` calls.
    pub relay: Option<&'static str>,
    /// WeChat Pay: the simulator's test merchant (`--pay-test-merchant`, retry schedule × 0.001)
    /// configured for the default app in public-key mode, with [`PAY_CATALOGUE`].
    pub pay: bool,
    /// Further apps given the same merchant ([`Options::pay_for`]).
    pub pay_apps: Vec<String>,
    /// Add the official account [`OA_APPID`], with every app bound to one Open Platform
    /// account (unionids), `WEB_ORIGINS` = [`WEB_ORIGIN`] and web authorization at the simulator.
    pub official_account: bool,
}

impl Options {
    pub fn var(mut self, name: &str, value: &str) -> Self {
        self.vars.retain(|(n, _)| n != name);
        self.vars.push((name.into(), value.into()));
        self
    }

    /// The default app behind the IP whitelist, reached through the relay for `calls`.
    pub fn relay(mut self, calls: &'static str) -> Self {
        self.relay = Some(calls);
        self
    }

    /// The simulator's test merchant for a further app too (its `WECHATPAY_*_<APPID>`); with [`Options::pay`].
    pub fn pay_for(mut self, appid: &str) -> Self {
        self.pay_apps.push(appid.to_owned());
        self
    }

    /// WeChat Pay for the default app (see [`Options::pay`]).
    pub fn pay(mut self) -> Self {
        self.pay = true;
        self
    }

    /// The official account beside the mini programs (see [`Options::official_account`]).
    pub fn official_account(mut self) -> Self {
        self.official_account = true;
        self
    }

    pub fn sim_arg(mut self, arg: &str) -> Self {
        self.sim_args.push(arg.into());
        self
    }
}

pub struct TestApp {
    pub base: String,
    pub sim: String,
    pub client: reqwest::Client,
    pub dir: PathBuf,
    pub state_dir: PathBuf,
    /// The relay's URL, when the app was started with one.
    pub relay: Option<String>,
    vars: Vec<(String, String)>,
    // Dropped in order: wrangler first, then the relay, then the simulator.
    wrangler: Option<Group>,
    relay_process: Option<Group>,
    sim_process: Option<Group>,
}

impl Drop for TestApp {
    /// Stops both process groups; keeps the directory (logs, state) only when the test failed.
    fn drop(&mut self) {
        self.wrangler.take();
        self.relay_process.take();
        self.sim_process.take();
        if std::thread::panicking() {
            eprintln!("e2e logs and state kept in {}", self.dir.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    let sim_bin = ensure_built().clone();
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = target_dir().join("e2e").join(format!("{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test directory");

    let mut sim_cmd = Command::new(&sim_bin);
    sim_cmd.args(["--port", "0", "--app", &format!("{APPID}:{SECRET}"), "--app", &format!("{APPID_B}:{SECRET_B}")]);
    if opts.pay {
        sim_cmd.args(["--pay-test-merchant", "--pay-time-scale", "0.001"]);
    }
    if opts.official_account {
        sim_cmd.args(["--oa", &format!("{OA_APPID}:{OA_SECRET}"), "--unionid"]);
    }
    sim_cmd.args(&opts.sim_args);
    if let Some(calls) = opts.relay {
        sim_cmd.args(["--relay-port", "0", "--ip-whitelist", &format!("{APPID}:{calls}")]);
    }
    let sim_log = dir.join("simulator.log");
    let sim_group = spawn_group(&mut sim_cmd, &sim_log);
    let mut sim_group = sim_group;
    let sim = wait_for_line(&sim_log, "listening on ", &mut sim_group.0).trim().to_owned();
    let (relay, relay_process) = match opts.relay {
        None => (None, None),
        Some(_) => {
            let upstream = wait_for_line(&sim_log, "relay port on ", &mut sim_group.0).trim().to_owned();
            let (url, group) = start_relay(&dir, &upstream);
            (Some(url), Some(group))
        }
    };

    let state_dir = opts.state_dir.clone().unwrap_or_else(|| dir.join("state"));
    if !state_dir.join("v3").join("d1").exists() {
        copy_dir(d1_template(), &state_dir);
    }
    let mut vars: Vec<(String, String)> = vec![
        ("WECHAT_APPID".into(), APPID.into()),
        ("WECHAT_APP_SECRET".into(), SECRET.into()),
        ("WECHAT_APPS".into(), format!("[\"{APPID_B}\"]")),
        (format!("WECHAT_APP_SECRET_{APPID_B}"), SECRET_B.into()),
        ("WECHAT_API_BASE".into(), sim.clone()),
        ("WECHAT_MP_BASE".into(), sim.clone()),
        ("INTERNAL_API_KEY".into(), INTERNAL_KEY.into()),
        ("WECHAT_PUSH_TOKEN".into(), PUSH_TOKEN.into()),
        ("WECHAT_ENCODING_AES_KEY".into(), AES_KEY.into()),
    ];
    if opts.pay {
        use wechat_sim::pay::keys;
        // One-line PEMs, as `wrangler secret put` users paste them.
        let one_line = |pem: &str| pem.trim().replace('\n', "\\n");
        vars.push(("WECHATPAY_MCHID".into(), keys::TEST_MCHID.into()));
        vars.push(("WECHATPAY_CERT_SERIAL".into(), keys::TEST_MERCHANT_SERIAL.into()));
        vars.push(("WECHATPAY_API_BASE".into(), sim.clone()));
        vars.push(("WECHATPAY_PRIVATE_KEY".into(), one_line(keys::TEST_MERCHANT_KEY_PEM)));
        vars.push(("WECHATPAY_APIV3_KEY".into(), keys::TEST_APIV3_KEY.into()));
        vars.push(("WECHATPAY_PUBLIC_KEY_ID".into(), keys::PUBLIC_KEY_ID.into()));
        vars.push(("WECHATPAY_PUBLIC_KEY".into(), one_line(keys::PUBLIC_KEY_PEM)));
        vars.push(("PAY_CATALOGUE".into(), PAY_CATALOGUE.into()));
        let defaults: Vec<(String, String)> = vars.iter().filter(|(n, _)| n.starts_with("WECHATPAY_")).cloned().collect();
        for appid in &opts.pay_apps {
            for (name, value) in &defaults {
                vars.push((format!("{name}_{appid}"), value.clone()));
            }
        }
    }
    if opts.official_account {
        vars.retain(|(n, _)| n != "WECHAT_APPS");
        vars.push(("WECHAT_APPS".into(), format!(r#"["{APPID_B}", {{"appid": "{OA_APPID}", "app_type": "official_account"}}]"#)));
        vars.push((format!("WECHAT_APP_SECRET_{OA_APPID}"), OA_SECRET.into()));
        vars.push((format!("WECHAT_PUSH_TOKEN_{OA_APPID}"), PUSH_TOKEN.into()));
        vars.push((format!("WECHAT_ENCODING_AES_KEY_{OA_APPID}"), AES_KEY.into()));
        vars.push(("WECHAT_OPEN_BASE".into(), sim.clone()));
        vars.push(("WEB_ORIGINS".into(), format!(r#"["{WEB_ORIGIN}"]"#)));
    }
    if let (Some(url), Some(calls)) = (&relay, opts.relay) {
        vars.push(("WECHAT_RELAY_URL".into(), url.clone()));
        vars.push(("WECHAT_RELAY_KEY".into(), RELAY_KEY.into()));
        vars.push(("WECHAT_RELAY_CALLS".into(), calls.into()));
    }
    for (name, value) in opts.vars {
        vars.retain(|(n, _)| *n != name);
        vars.push((name, value));
    }
    let mut app = TestApp {
        base: String::new(),
        relay,
        relay_process,
        sim,
        client: reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("a client"),
        dir,
        state_dir,
        vars,
        wrangler: None,
        sim_process: Some(sim_group),
    };
    app.start_worker().await;
    app
}

/// Polls a log file until a line containing `marker` appears; returns what follows it.
/// The relay's shared secret in the tests (`WECHAT_RELAY_KEY`).
pub const RELAY_KEY: &str = "e2e-relay-key-0123456789abcdef0123456789";

/// Starts the nginx relay (`bash scripts/relay.sh run`, which installs nginx when missing) on a
/// free loopback port in front of `upstream`, in its own process group.
fn start_relay(dir: &Path, upstream: &str) -> (String, Group) {
    let relay_dir = dir.join("relay");
    std::fs::create_dir_all(&relay_dir).expect("create the relay directory");
    let port = free_port();
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("scripts/relay.sh"))
        .args(["run", "--dir"])
        .arg(&relay_dir)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--upstream", upstream])
        .env("RELAY_KEY", RELAY_KEY);
    let log = dir.join("relay.log");
    let mut group = spawn_group(&mut cmd, &log);
    let line = wait_for_line(&log, "wechat-relay listening on ", &mut group.0);
    let url = line.split_whitespace().next().unwrap_or_default().to_owned();
    (url, group)
}

impl TestApp {
    /// Stops the relay (its process group), as if its host went down.
    pub fn stop_relay(&mut self) {
        self.relay_process.take();
    }
}

fn wait_for_line(log: &Path, marker: &str, child: &mut Child) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!("the process exited ({status}) before printing {marker:?}:\n{text}");
        }
        if let Ok(text) = std::fs::read_to_string(log) {
            if let Some(line) = text.lines().find(|l| l.contains(marker)) {
                return line.split(marker).nth(1).unwrap_or_default().to_owned();
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no line with {marker:?} in {} within 30 s", log.display());
}

impl TestApp {
    /// Starts `wrangler dev` on fresh ports with this app's vars and persistence directory.
    /// A start that fails (the process exits, a port turns out to be taken, or no answer
    /// within a minute on a loaded machine) is retried on new ports, at most three times;
    /// the final failure carries the end of wrangler's output, so CI logs say why.
    async fn start_worker(&mut self) {
        let mut reasons = Vec::new();
        for attempt in 1..=3 {
            match self.try_start_worker().await {
                Ok(()) => return,
                Err(reason) => {
                    eprintln!("wrangler dev start {attempt}/3 failed: {reason}");
                    reasons.push(reason);
                    self.wrangler.take();
                }
            }
        }
        panic!("wrangler dev did not become ready (logs in {}):\n{}", self.dir.display(), reasons.join("\n---\n"));
    }

    async fn try_start_worker(&mut self) -> Result<(), String> {
        let port = free_port();
        let mut cmd = Command::new("node");
        cmd.current_dir(root())
            .arg("node_modules/wrangler/bin/wrangler.js")
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &free_port().to_string()])
            .arg("--show-interactive-dev-session=false")
            .arg("--persist-to")
            .arg(&self.state_dir)
            .env("CI", "true")
            .env("WRANGLER_SEND_METRICS", "false")
            // Offline: skip miniflare's fetch of the `Request.cf` object (up to 3 s per start).
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("NO_COLOR", "1");
        for (name, value) in &self.vars {
            cmd.arg("--var").arg(format!("{name}:{value}"));
        }
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let log = self.dir.join(format!("wrangler-{n}.log"));
        let group = self.wrangler.insert(spawn_group(&mut cmd, &log));
        self.base = format!("http://127.0.0.1:{port}");
        let tail = |why: String| {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            format!("{why}; the end of {}:\n{}", log.display(), lines[lines.len().saturating_sub(25)..].join("\n"))
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = group.0.try_wait() {
                return Err(tail(format!("wrangler exited ({status})")));
            }
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            if text.contains("EADDRINUSE") || text.contains("Address already in use") {
                return Err(tail("a port was taken".into()));
            }
            if let Ok(r) = self.client.get(format!("{}/health", self.base)).timeout(Duration::from_secs(5)).send().await {
                if r.status().is_success() {
                    return Ok(());
                }
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        Err(tail("no answer from /health within 60 s".into()))
    }

    /// Stops `wrangler dev` and starts it again on the same persistence directory (the
    /// simulator keeps running).
    pub async fn restart_worker(&mut self) {
        self.wrangler.take();
        self.start_worker().await;
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Everything every `wrangler dev` of this app printed.
    pub fn wrangler_log(&self) -> String {
        let mut out = String::new();
        if let Ok(entries) = std::fs::read_dir(&self.dir) {
            let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            paths.sort();
            for p in paths.iter().filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("wrangler"))) {
                out.push_str(&std::fs::read_to_string(p).unwrap_or_default());
            }
        }
        out
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).send().await.expect("GET");
        read(r).await
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self.client.post(self.url(path)).json(body).send().await.expect("POST");
        read(r).await
    }

    /// `POST /internal/pay/orders` for a test order of `amount` fen (WeChat Pay, [`Options::pay`]).
    pub async fn pay_order(&self, out_trade_no: &str, openid: &str, amount: u64) -> Value {
        let body = json!({ "out_trade_no": out_trade_no, "openid": openid, "amount": amount, "description": "测试商品" });
        let (status, v) = self.internal_post("/internal/pay/orders", &body).await;
        assert_eq!(status, 200, "create {out_trade_no}: {v}");
        v
    }

    /// `GET /internal/pay/orders/{out_trade_no}`: ours and WeChat Pay's view.
    pub async fn pay_order_view(&self, out_trade_no: &str) -> Value {
        let (status, v) = self.internal_get(&format!("/internal/pay/orders/{out_trade_no}")).await;
        assert_eq!(status, 200, "{v}");
        v
    }

    pub async fn internal_get(&self, path: &str) -> (u16, Value) {
        let r = self.client.get(self.url(path)).bearer_auth(INTERNAL_KEY).send().await.expect("GET");
        read(r).await
    }

    pub async fn internal_post(&self, path: &str, body: &Value) -> (u16, Value) {
        let r = self.client.post(self.url(path)).bearer_auth(INTERNAL_KEY).json(body).send().await.expect("POST");
        read(r).await
    }

    /// Waits up to 5 s for `needle` to show in wrangler's output (it is written asynchronously).
    pub async fn log_contains(&self, needle: &str) -> bool {
        for _ in 0..50 {
            if self.wrangler_log().contains(needle) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        false
    }

    // ---- the simulator's control API ----

    pub async fn sim_post(&self, path: &str, body: &Value) -> Value {
        let r = self.client.post(format!("{}{path}", self.sim)).json(body).send().await.expect("simulator POST");
        let (status, v) = read(r).await;
        assert_eq!(status, 200, "simulator {path}: {v}");
        v
    }

    pub async fn sim_get(&self, path: &str) -> Value {
        let r = self.client.get(format!("{}{path}", self.sim)).send().await.expect("simulator GET");
        read(r).await.1
    }

    /// The simulator's log of WeChat calls to `path`.
    pub async fn sim_calls(&self, path: &str) -> Vec<Value> {
        let v = self.sim_get(&format!("/_sim/log?path={path}")).await;
        v["calls"].as_array().cloned().unwrap_or_default()
    }

    pub async fn sim_fault(&self, fault: Value) {
        self.sim_post("/_sim/faults", &fault).await;
    }

    /// A fresh login code for a new (unique) user, or for `openid`.
    pub async fn login_code(&self, appid: &str, openid: Option<&str>) -> (String, String) {
        let mut body = json!({ "appid": appid });
        if let Some(o) = openid {
            body["openid"] = json!(o);
        }
        let v = self.sim_post("/_sim/login_code", &body).await;
        (v["code"].as_str().expect("code").to_owned(), v["openid"].as_str().expect("openid").to_owned())
    }

    /// Logs a new user in through the worker; returns (session token, openid).
    pub async fn login(&self) -> (String, String) {
        let (code, openid) = self.login_code(APPID, None).await;
        let (status, v) = self.post_json("/api/login", &json!({ "code": code })).await;
        assert_eq!(status, 200, "login: {v}");
        (v["token"].as_str().expect("token").to_owned(), openid)
    }
}

pub async fn read(r: reqwest::Response) -> (u16, Value) {
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    let value = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, value)
}

/// Asserts the contract's error shape and returns its code.
pub fn error_code(body: &Value) -> String {
    let code = body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {body}"));
    assert!(body["error"]["message"].as_str().is_some_and(|m| !m.is_empty()), "error without a message: {body}");
    code.to_owned()
}

pub mod push;
pub mod sink;
#[allow(unused_imports)]
pub use sink::Sink;
