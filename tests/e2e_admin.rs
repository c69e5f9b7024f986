//! End to end in a real browser (issue 17, item 6): the worker under `wrangler dev` takes some
//! traffic (logins, pushes with a redelivery and a refusal, a QR code made then served from
//! the cache), then headless Chromium (Debian's, installed by `scripts/browser.sh`) opens
//! `/admin`, is refused a wrong key, logs in with the right one, and every number on the page
//! must equal `GET /internal/stats`. The page is saved to `target/admin-status.png` for the
//! README. The browser is driven by `tests/browser/admin.mjs` (puppeteer-core).

mod common;

use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The 24-hour totals each app's section shows, as named in `/internal/stats`'s `totals`.
const TOTALS: [&str; 10] = [
    "pushes.received",
    "pushes.redeliveries",
    "pushes.refused",
    "logins",
    "web_logins",
    "qr.made",
    "qr.cached",
    "orders.created",
    "orders.paid",
    "notifies",
];

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| root().join("target"))
}

/// Said on the terminal even though libtest captures a passing test's output: a skip is seen.
fn say(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

/// Chromium's path, installed from Debian's packages when missing; None when this machine
/// cannot have it (not root, no package), with the reason.
fn chromium() -> Result<String, String> {
    let run = |what: &str| {
        Command::new("bash")
            .arg(root().join("scripts/browser.sh"))
            .arg(what)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("bash scripts/browser.sh {what}: {e}"))
    };
    let out = run("install")?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    let out = run("path")?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if !out.status.success() || path.is_empty() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    Ok(path)
}

/// `node tests/browser/admin.mjs` in its own process group. Dropping it stops the group and the
/// browser, which puppeteer starts in a process group of its own (`chromium pid N` on stderr).
struct Driver {
    child: Child,
    stderr: PathBuf,
}

impl Driver {
    fn chromium_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
        text.lines().find_map(|l| l.strip_prefix("chromium pid ")).and_then(|p| p.trim().parse().ok())
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let pgid = self.child.id() as i32;
        if let Ok(None) = self.child.try_wait() {
            // TERM first: the script closes the browser itself.
            unsafe { libc::kill(-pgid, libc::SIGTERM) };
            let deadline = Instant::now() + Duration::from_secs(8);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        unsafe { libc::kill(-pgid, libc::SIGKILL) };
        let _ = self.child.wait();
        // Still a Chromium (not a pid reused since): its whole group goes.
        if let Some(pid) = self.chromium_pid() {
            let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
            if comm.contains("chrom") {
                unsafe { libc::kill(-pid, libc::SIGKILL) };
            }
        }
    }
}

/// Runs the browser against `app`; returns what the script printed (its JSON), or panics with
/// its stderr and the failure it reported.
async fn run_browser(app: &TestApp, chromium: &str, screenshot: &Path) -> Value {
    let stdout = app.dir.join("browser.out");
    let stderr = app.dir.join("browser.err");
    let mut cmd = Command::new("node");
    cmd.current_dir(root())
        .arg("tests/browser/admin.mjs")
        .env("BASE_URL", &app.base)
        .env("INTERNAL_KEY", INTERNAL_KEY)
        .env("CHROMIUM", chromium)
        .env("SCREENSHOT", screenshot)
        .env("TIMEOUT_MS", "90000")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("create browser.out"))
        .stderr(std::fs::File::create(&stderr).expect("create browser.err"))
        .process_group(0);
    let mut driver = Driver { child: cmd.spawn().expect("run node tests/browser/admin.mjs"), stderr: stderr.clone() };
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = driver.child.try_wait().expect("wait for node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            break None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    drop(driver);
    let out = std::fs::read_to_string(&stdout).unwrap_or_default();
    let err = std::fs::read_to_string(&stderr).unwrap_or_default();
    let report: Value = out.lines().rev().find_map(|l| serde_json::from_str(l).ok()).unwrap_or(Value::Null);
    match status {
        None => panic!("the browser did not finish within 120 s (stopped); its stderr:\n{err}\nstdout:\n{out}"),
        Some(s) if !s.success() => panic!(
            "the browser run failed ({s}): {}\nits stderr:\n{err}\nwhat it saw: {report}",
            report["failure"].as_str().unwrap_or("no report")
        ),
        Some(_) => {
            assert!(report.is_object(), "no JSON from tests/browser/admin.mjs:\n{out}\n{err}");
            report
        }
    }
}

/// What the page must show for one app of `/internal/stats`: data-stat name → text.
fn expected_texts(app: &Value) -> BTreeMap<String, String> {
    let appid = app["appid"].as_str().unwrap_or("?");
    let number = |v: &Value, what: &str| -> String {
        match v.as_u64() {
            Some(n) => n.to_string(),
            None => panic!("/internal/stats: {appid} has no number at {what}: {app}"),
        }
    };
    let mut out = BTreeMap::new();
    for name in TOTALS {
        out.insert(name.to_owned(), number(&app["totals"][name], &format!("totals.{name}")));
    }
    for name in ["pending", "failed"] {
        out.insert(format!("outbox.{name}"), number(&app["outbox"][name], &format!("outbox.{name}")));
    }
    let state = app["token"]["state"].as_str().unwrap_or_else(|| panic!("/internal/stats: {appid} has no token.state: {app}"));
    out.insert("token.state".into(), state.to_owned());
    out
}

/// Every app's expected texts, by appid.
fn expected(stats: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
    let apps = stats["apps"].as_array().unwrap_or_else(|| panic!("/internal/stats has no apps: {stats}"));
    apps.iter().map(|a| (a["appid"].as_str().expect("an app's appid").to_owned(), expected_texts(a))).collect()
}

fn total(stats: &Value, appid: Option<&str>, name: &str) -> u64 {
    let apps = stats["apps"].as_array().cloned().unwrap_or_default();
    apps.iter().filter(|a| appid.is_none_or(|id| a["appid"] == id)).map(|a| a["totals"][name].as_u64().unwrap_or(0)).sum()
}

fn push_body(app: &TestApp, mode: &str, action: Value) -> Value {
    json!({
        "url": app.url("/wechat/push"), "appid": APPID, "token": PUSH_TOKEN, "aes_key": AES_KEY,
        "format": "json", "mode": mode, "action": action,
    })
}

async fn qrcode(app: &TestApp, token: &str) -> String {
    let r = app.client.post(app.url("/api/qrcode")).bearer_auth(token).json(&json!({ "scene": "admin=1" })).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "POST /api/qrcode");
    let cache = r.headers().get("x-cache").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let _ = r.bytes().await;
    cache
}

/// Logins, pushes (one redelivered twice, one refused) and a QR code made then cached.
async fn send_traffic(app: &TestApp) {
    let mut token = String::new();
    for _ in 0..3 {
        token = app.login().await.0;
    }
    let (code, _) = app.login_code(APPID_B, None).await;
    let r = app.client.post(app.url("/api/login")).header("X-WeChat-AppId", APPID_B).json(&json!({ "code": code })).send().await;
    assert_eq!(r.unwrap().status().as_u16(), 200, "app B's login");

    for text in ["你好", "hello"] {
        let v = app.sim_post("/_sim/push", &push_body(app, "safe", json!({ "type": "text", "content": text }))).await;
        assert_eq!(v["outcome"], "transfer", "{v}");
    }
    let (_, openid) = app.login_code(APPID, None).await;
    let mut again = push_body(app, "safe", json!({ "type": "enter_session", "openid": openid }));
    again["force_deliveries"] = json!(3);
    let v = app.sim_post("/_sim/push", &again).await;
    assert_eq!(v["deliveries"].as_array().map(Vec::len), Some(3), "delivered three times: {v}");
    let mut bad = push_body(app, "plain", json!({ "type": "text", "content": "forged" }));
    bad["tamper"] = json!("signature");
    let v = app.sim_post("/_sim/push", &bad).await;
    let status = v["deliveries"][0]["status"].as_u64().unwrap_or(0);
    assert!((400..500).contains(&status), "a bad signature is refused: {v}");

    assert_eq!(qrcode(app, &token).await, "miss", "the first QR code is made");
    assert_eq!(qrcode(app, &token).await, "hit", "the same QR code again comes from the cache");
}

/// `/internal/stats` once the traffic shows in it (counters are recorded after the answers)
/// and two reads in a row agree on everything the page shows.
async fn settled_stats(app: &TestApp) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last: Option<Value> = None;
    loop {
        let (status, stats) = app.internal_get("/internal/stats").await;
        assert_eq!(status, 200, "GET /internal/stats: {stats}");
        let seen = total(&stats, Some(APPID), "logins") >= 3
            && total(&stats, Some(APPID_B), "logins") >= 1
            && total(&stats, None, "pushes.received") >= 3
            && total(&stats, None, "pushes.redeliveries") >= 1
            && total(&stats, None, "pushes.refused") >= 1
            && total(&stats, None, "qr.made") >= 1
            && total(&stats, None, "qr.cached") >= 1;
        if !seen {
            assert!(
                Instant::now() < deadline,
                "within 30 s /internal/stats should count 3 logins of {APPID} and 1 of {APPID_B}, 3 pushes received, \
                 a redelivery, a refused push, a QR code made and one cached; it says:\n{stats:#}"
            );
            last = None;
        } else if last.as_ref().is_some_and(|prev| expected(prev) == expected(&stats)) {
            return stats;
        } else {
            assert!(Instant::now() < deadline, "/internal/stats kept changing for 30 s:\n{stats:#}");
            last = Some(stats);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test]
async fn the_status_page_in_chromium_shows_the_numbers_of_internal_stats_behind_the_key() {
    let chromium = match chromium() {
        Ok(path) => path,
        Err(why) => {
            say(&format!(
                "SKIPPED e2e_admin: Chromium cannot be installed on this machine \
                 (bash scripts/browser.sh install): {why}"
            ));
            return;
        }
    };
    let app = spawn_app_with(Options::default().official_account()).await;
    send_traffic(&app).await;
    let before = settled_stats(&app).await;

    let screenshot = target_dir().join("admin-status.png");
    let _ = std::fs::remove_file(&screenshot);
    let _ = std::fs::remove_file(target_dir().join("admin-status-failed.png"));
    let report = run_browser(&app, &chromium, &screenshot).await;
    let (status, after) = app.internal_get("/internal/stats").await;
    assert_eq!(status, 200, "{after}");

    // A wrong key: 401, the form again and the reason.
    let wrong = &report["wrong_key"];
    assert_eq!(wrong["status"], 401, "a wrong key: {report}");
    let error = wrong["error"].as_str().unwrap_or_default();
    assert!(error.to_lowercase().contains("key"), "#error should say the key was wrong: {error:?}");
    // The right key: one 303 from POST /admin/login and a session cookie the page's script
    // cannot read; the key in no URL the browser asked for.
    assert_eq!(report["login"]["redirects"][0]["status"], 303, "{report}");
    let cookie = &report["login"]["cookie"];
    assert_eq!(cookie["httpOnly"], true, "{cookie}");
    assert_eq!(cookie["sameSite"], "Strict", "{cookie}");
    assert_eq!(cookie["path"], "/admin", "{cookie}");
    assert_eq!(report["key_in_url"], json!([]), "the key appeared in a URL");
    assert_eq!(report["page_errors"], json!([]), "the page's script threw");
    assert!(
        report["stats_json"].as_array().is_some_and(|s| s.contains(&json!(200))),
        "the page loaded /admin/stats.json: {}",
        report["stats_json"]
    );
    assert_eq!(report["duplicates"], json!([]), "one stat shown with two values");

    // Every number of every app, as /internal/stats says (read before and after the page).
    let page: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_value(report["apps"].clone()).expect("the page's apps as {appid: {stat: text}}");
    let want = expected(&after);
    assert_eq!(expected(&before), want, "/internal/stats changed while the page was open:\n{before:#}\n{after:#}");
    assert_eq!(
        page.keys().collect::<Vec<_>>(),
        want.keys().collect::<Vec<_>>(),
        "the page's sections (section.app[data-appid]) are the apps of /internal/stats"
    );
    let mut wrong_numbers = Vec::new();
    for (appid, stats) in &want {
        for (name, text) in stats {
            let shown = page[appid].get(name);
            if shown != Some(text) {
                wrong_numbers.push(format!("{appid} {name}: the page shows {shown:?}, /internal/stats says {text:?}"));
            }
        }
    }
    assert!(wrong_numbers.is_empty(), "the page and /internal/stats differ:\n{}", wrong_numbers.join("\n"));

    // The screenshot for the README: a real PNG of the whole page.
    let bytes = std::fs::read(&screenshot).unwrap_or_else(|e| panic!("{}: {e}", screenshot.display()));
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{} is not a PNG", screenshot.display());
    let img = image::load_from_memory(&bytes).expect("the screenshot decodes");
    assert!(img.width() >= 1000 && img.height() >= 600, "a full page: {}x{}", img.width(), img.height());

    // The same contract without a browser: no redirects followed, the cookie's attributes as sent.
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = raw.post(app.url("/admin/login")).form(&[("key", "not-the-key")]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401, "a wrong key");
    assert!(r.headers().get("set-cookie").is_none(), "no cookie for a wrong key");
    let r = raw.post(app.url("/admin/login")).form(&[("key", INTERNAL_KEY)]).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/admin");
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
    for part in ["wechat_edge_admin=", "HttpOnly", "SameSite=Strict", "Path=/admin"] {
        assert!(set_cookie.contains(part), "Set-Cookie has {part}: {set_cookie}");
    }
    assert!(!set_cookie.contains(INTERNAL_KEY), "the cookie is not the key itself");
    let session = set_cookie.split(';').next().unwrap().to_owned();
    let r = raw.get(app.url("/admin/stats.json")).header("cookie", &session).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "/admin/stats.json with the cookie");
    let r = raw.get(app.url("/admin/stats.json")).send().await.unwrap();
    assert_ne!(r.status().as_u16(), 200, "/admin/stats.json without the cookie");
    let r = raw.get(app.url("/admin/stats.json")).header("cookie", "wechat_edge_admin=forged").send().await.unwrap();
    assert_ne!(r.status().as_u16(), 200, "/admin/stats.json with a forged cookie");
}
