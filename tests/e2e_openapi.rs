//! The HTTP contract, `openapi.yaml`: the worker serves it, it describes exactly the routes of
//! the route table in `src/routes.rs`, and (ignored by default, run by `scripts/schemathesis.sh`)
//! schemathesis finds no 5xx and no response outside it under `wrangler dev`.

mod common;

use common::*;
use std::path::PathBuf;
use std::process::Command;

const SPEC: &str = include_str!("../openapi.yaml");
const ROUTER: &str = include_str!("../src/routes.rs");

/// One path segment of a route: a literal, or a variable (`kind`, `{appid}`).
#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Variable,
}

/// `(METHOD, segments)` of every row of the route table in `src/routes.rs`:
/// `("POST", &[Lit("internal"), Lit("qrcode"), Param], Route::InternalQrcode),`.
fn router_routes() -> Vec<(String, Vec<Segment>)> {
    let mut routes = Vec::new();
    for line in ROUTER.lines() {
        let Some(rest) = line.trim().strip_prefix("(\"") else { continue };
        let Some((method, rest)) = rest.split_once("\", &[") else { continue };
        let Some((inside, _)) = rest.split_once("], Route::") else { continue };
        let segments = inside
            .split(", ")
            .map(str::trim)
            .map(|s| match s.strip_prefix("Lit(\"").and_then(|s| s.strip_suffix("\")")) {
                Some(literal) => Segment::Literal(literal.to_owned()),
                None => Segment::Variable,
            })
            .collect();
        routes.push((method.to_owned(), segments));
    }
    routes
}

/// `(METHOD, segments)` of every operation under the spec's `paths:` (two-space path keys, four-
/// space method keys: the layout of `openapi.yaml`; no YAML parser among the dependencies).
fn spec_operations() -> Vec<(String, Vec<Segment>)> {
    let mut operations = Vec::new();
    let mut in_paths = false;
    let mut path: Option<Vec<Segment>> = None;
    for line in SPEC.lines() {
        if !line.starts_with(' ') && !line.is_empty() && !line.starts_with('#') {
            in_paths = line == "paths:";
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(key) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            let segments = key
                .split('/')
                .map(|s| if s.starts_with('{') { Segment::Variable } else { Segment::Literal(s.to_owned()) })
                .collect();
            path = Some(segments);
            continue;
        }
        let method = line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')).filter(|m| !m.starts_with(' '));
        if let (Some(method), Some(segments)) = (method, &path) {
            if ["get", "post", "put", "patch", "delete", "head", "options"].contains(&method) {
                operations.push((method.to_ascii_uppercase(), segments.clone()));
            }
        }
    }
    operations
}

/// Whether a router pattern and a spec path can name the same request.
fn overlaps(a: &[Segment], b: &[Segment]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| match (x, y) {
            (Segment::Literal(x), Segment::Literal(y)) => x == y,
            _ => true,
        })
}

fn show(method: &str, segments: &[Segment]) -> String {
    let path: Vec<&str> = segments
        .iter()
        .map(|s| match s {
            Segment::Literal(l) => l.as_str(),
            Segment::Variable => "{..}",
        })
        .collect();
    format!("{method} /{}", path.join("/"))
}

#[test]
fn the_contract_is_openapi_3_1_and_describes_exactly_the_routes_of_the_router() {
    assert!(SPEC.starts_with("openapi: 3.1"), "openapi.yaml must start with `openapi: 3.1`");
    let routes = router_routes();
    let operations = spec_operations();
    assert!(routes.len() >= 20, "the routes were not found in src/routes.rs: {routes:?}");

    let undocumented: Vec<String> = routes
        .iter()
        .filter(|(m, r)| !operations.iter().any(|(om, o)| om == m && overlaps(r, o)))
        .map(|(m, r)| show(m, r))
        .collect();
    assert!(undocumented.is_empty(), "routes missing from openapi.yaml: {undocumented:?}");

    let unrouted: Vec<String> = operations
        .iter()
        .filter(|(om, o)| !routes.iter().any(|(m, r)| m == om && overlaps(r, o)))
        .map(|(m, o)| show(m, o))
        .collect();
    assert!(unrouted.is_empty(), "operations in openapi.yaml that the router does not serve: {unrouted:?}");
}

#[tokio::test]
async fn the_worker_serves_the_contract_at_openapi_yaml() {
    let app = spawn_app().await;

    let r = app.client.get(app.url("/openapi.yaml")).send().await.expect("GET /openapi.yaml");

    assert_eq!(r.status().as_u16(), 200);
    let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    assert!(content_type.starts_with("application/yaml"), "{content_type}");
    assert_eq!(r.text().await.expect("the document"), SPEC, "the worker serves openapi.yaml as it is in the repository");
}

/// The schemathesis run: `scripts/schemathesis.sh` installs schemathesis and runs this test.
/// `SCHEMATHESIS_MAX_EXAMPLES` (default 100) bounds the cases per operation; extra arguments for
/// `schemathesis run` go in `SCHEMATHESIS_ARGS` (split on spaces).
#[tokio::test]
#[ignore = "needs schemathesis (scripts/schemathesis.sh installs it and runs this)"]
async fn schemathesis_finds_no_response_outside_the_contract() {
    let bin = std::env::var_os("SCHEMATHESIS_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/schemathesis-env/bin/schemathesis"));
    assert!(bin.exists(), "{} is missing: run scripts/schemathesis.sh, which installs it", bin.display());
    let max_examples = std::env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| "100".into());
    let extra: Vec<String> =
        std::env::var("SCHEMATHESIS_ARGS").unwrap_or_default().split_whitespace().map(str::to_owned).collect();

    // The second app is an official account (for /internal/oa/qrcode) with its own push secrets.
    const PUSH_TOKEN_B: &str = "e2epushtokenb";
    let app = spawn_app_with(
        Options::default()
            .var("WECHAT_APPS", &format!(r#"[{{"appid": "{APPID_B}", "app_type": "official_account"}}]"#))
            .var(&format!("WECHAT_PUSH_TOKEN_{APPID_B}"), PUSH_TOKEN_B)
            .var(&format!("WECHAT_ENCODING_AES_KEY_{APPID_B}"), AES_KEY)
            .var("WEB_ORIGINS", r#"["https://shop.example.com"]"#)
            .pay()
            // Both apps have a merchant: an unconfigured one is a 500 naming the variable (the
            // contract's ServerError), which this run's not_a_server_error check would count.
            .pay_for(APPID_B)
            // The hooks log in afresh for every case: far over the login limit, which
            // tests/e2e_security.rs checks; this run checks shapes.
            .var("RATE_LIMITS", "false"),
    )
    .await;
    // Reports, and schemathesis's and hypothesis's own state (`.schemathesis/`, `.hypothesis/`:
    // failing examples are replayed first next time), stay under target/.
    let report_dir = root().join("target/schemathesis-report");
    std::fs::create_dir_all(&report_dir).expect("create target/schemathesis-report");

    let mut cmd = Command::new(&bin);
    cmd.current_dir(&report_dir)
        .arg("run")
        .arg(app.url("/openapi.yaml"))
        .args(["--url", &app.base])
        .args(["--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance"])
        .args(["--max-examples", &max_examples])
        .args(["--workers", "1", "--request-timeout", "30", "--no-color"])
        .args(["--report", "junit,ndjson", "--report-dir"])
        .arg(&report_dir)
        .args(&extra)
        .env("SCHEMATHESIS_HOOKS", root().join("scripts/schemathesis/hooks.py"))
        .env("WECHAT_EDGE_URL", &app.base)
        .env("WECHAT_SIM_URL", &app.sim)
        .env("INTERNAL_API_KEY", INTERNAL_KEY)
        .env("WECHAT_APPID", APPID)
        .env("WECHAT_APPID_B", APPID_B)
        .env("WECHAT_PUSH_TOKEN", PUSH_TOKEN)
        .env("WECHAT_PUSH_TOKEN_B", PUSH_TOKEN_B);
    eprintln!("schemathesis run {} ({max_examples} cases per operation at most)", app.url("/openapi.yaml"));
    let status = tokio::task::spawn_blocking(move || cmd.status()).await.expect("join").expect("run schemathesis");

    let fatal: Vec<&str> =
        ["panicked", "RuntimeError", "Uncaught"].into_iter().filter(|m| app.wrangler_log().contains(m)).collect();
    assert!(fatal.is_empty(), "the worker crashed during the run ({fatal:?}); see {}", app.dir.display());
    assert!(status.success(), "schemathesis found responses outside the contract (reports in {})", report_dir.display());
}
