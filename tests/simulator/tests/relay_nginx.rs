//! The relay of deploy/relay/ (stock nginx, rendered and run by scripts/relay.sh) in front of the
//! simulator's relay port: the key is required, only WeChat paths pass, a whitelisted app's
//! AppSecret calls succeed through it and fail straight to the simulator, and the access log
//! never holds a query. Needs nginx: scripts/relay.sh installs it when missing (as root);
//! without nginx and without root the test says so and passes.

mod common;

use common::*;
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use wechat_sim::{Config, WhitelistScope};

const KEY: &str = "test-relay-key-0123456789abcdef0123456789abcdef";

/// The relay's process group, stopped (TERM: the script stops nginx) when dropped.
struct Relay {
    child: Child,
    base: String,
    dir: PathBuf,
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", "--", &format!("-{}", self.child.id())]).status();
        let _ = self.child.wait();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn nginx_usable() -> bool {
    let check = "command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || [ \"$(id -u)\" -eq 0 ]";
    Command::new("bash").args(["-c", check]).status().is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_relay(upstream: &str) -> Relay {
    use std::os::unix::process::CommandExt;
    let port = free_port();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("relay-{}-{port}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut child = Command::new("bash")
        .arg(repo_root().join("scripts/relay.sh"))
        .args(["run", "--dir"])
        .arg(&dir)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--upstream", upstream])
        .env("RELAY_KEY", KEY)
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("bash runs scripts/relay.sh");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    let relay = Relay { child, base: format!("http://127.0.0.1:{port}"), dir };
    assert!(first.starts_with(&format!("wechat-relay listening on {}", relay.base)), "relay.sh said {first:?}");
    relay
}

#[tokio::test]
async fn the_relay_passes_wechat_calls_with_the_key_to_the_relay_port_and_logs_no_query() {
    if !nginx_usable() {
        eprintln!("skipped: no nginx, and not root to install it (bash scripts/relay.sh install)");
        return;
    }
    let sim = spawn_sim_with(Config {
        relay_port: Some(0),
        ip_whitelist: [(APPID.to_string(), WhitelistScope::Secret)].into(),
        ..test_config()
    })
    .await;
    let relay = start_relay(sim.relay.as_deref().unwrap());
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap();
    let token_url = format!("{}/cgi-bin/token?grant_type=client_credential&appid={APPID}&secret={SECRET}", relay.base);

    let no_key = http.get(&token_url).send().await.unwrap();
    let wrong_key = http.get(&token_url).header("X-Relay-Key", KEY.to_uppercase()).send().await.unwrap();
    let not_wechat = http.get(format!("{}/_sim/health", relay.base)).header("X-Relay-Key", KEY).send().await.unwrap();
    let relayed = http.get(&token_url).header("X-Relay-Key", KEY).send().await.unwrap();
    let stable = http
        .post(format!("{}/cgi-bin/stable_token", relay.base))
        .header("X-Relay-Key", KEY)
        .json(&json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET}))
        .send()
        .await
        .unwrap();

    assert_eq!(no_key.status(), 403);
    assert_eq!(wrong_key.status(), 403);
    assert_eq!(not_wechat.status(), 404);
    assert_eq!(relayed.status(), 200);
    let relayed: serde_json::Value = relayed.json().await.unwrap();
    assert!(relayed["access_token"].is_string(), "{relayed}");
    let stable: serde_json::Value = stable.json().await.unwrap();
    assert!(stable["access_token"].is_string(), "{stable}");
    // Straight to the simulator, the same call is refused: the relay is what makes it work.
    assert_eq!(sim.classic_token().await.errcode(), 40164);
    let calls = sim.control_get("/_sim/log", &[]).await;
    let via: Vec<&str> = calls["calls"].as_array().unwrap().iter().map(|c| c["via"].as_str().unwrap()).collect();
    assert_eq!(via, ["relay", "relay", "direct"]);

    let access_log = std::fs::read_to_string(relay.dir.join("logs/wechat-relay.access.log")).unwrap();
    assert_eq!(access_log.lines().count(), 5, "{access_log}");
    assert!(access_log.contains("\"GET /cgi-bin/token\" 200") && access_log.contains("\"POST /cgi-bin/stable_token\" 200"));
    assert!(!access_log.contains('?') && !access_log.contains(SECRET) && !access_log.contains(KEY), "{access_log}");
}
