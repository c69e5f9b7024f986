//! End to end: the mini-program client package (`client/`, loaded from its build in
//! `client/dist`) against the worker and the simulator. `client/test/e2e.js` drives it through
//! a `wx` whose `login` asks the simulator for a code and whose `request` is real HTTP; this
//! test starts both servers, runs the script and passes on its exit status.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

const BUILD_HINT: &str = "build it with `npm --prefix client ci && npm --prefix client run build` (scripts/test.sh does)";

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The newest file under `dir` (recursively) with its modification time.
fn newest_under(dir: &Path) -> Option<(PathBuf, SystemTime)> {
    let mut newest: Option<(PathBuf, SystemTime)> = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Some(t) = modified(&path) {
                if newest.as_ref().is_none_or(|(_, n)| t > *n) {
                    newest = Some((path, t));
                }
            }
        }
    }
    newest
}

/// The test loads what was built; a missing or stale build fails here, saying how to build it.
fn assert_client_built(client: &Path) {
    let dist = client.join("dist").join("index.js");
    let Some(built) = modified(&dist) else {
        panic!("{} is missing: {BUILD_HINT}", dist.display());
    };
    let mut inputs: Vec<(PathBuf, SystemTime)> = newest_under(&client.join("src")).into_iter().collect();
    for file in ["package.json", "tsconfig.json"] {
        let path = client.join(file);
        if let Some(t) = modified(&path) {
            inputs.push((path, t));
        }
    }
    for (path, t) in inputs {
        assert!(t <= built, "{} is older than {}: {BUILD_HINT}", dist.display(), path.display());
    }
}

#[tokio::test]
async fn the_client_package_logs_in_once_for_many_requests_and_drives_every_route() {
    let client = root().join("client");
    assert_client_built(&client);
    let app = spawn_app().await;
    let files = app.dir.join("client-files");

    let run = tokio::process::Command::new("node")
        .arg(client.join("test").join("e2e.js"))
        .current_dir(root())
        .env("WORKER_URL", &app.base)
        .env("SIM_URL", &app.sim)
        .env("WECHAT_APPID", APPID)
        .env("WECHAT_APPID_B", APPID_B)
        .env("E2E_DIR", &files)
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(240), run)
        .await
        .expect("client/test/e2e.js finished within 240 s")
        .expect("run node client/test/e2e.js");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    if !stderr.trim().is_empty() {
        eprintln!("{stderr}");
    }
    assert!(
        output.status.success(),
        "node client/test/e2e.js exited with {} (the FAIL lines above say which checks)",
        output.status
    );
    assert!(stdout.contains(", 0 failed"), "the script printed its summary: {stdout}");
}
