//! Native micro-benchmarks of the pure code (issue 8, item 1): the full push pipeline for plain
//! XML, safe-mode XML and safe-mode JSON, open-data decryption, the rawData and session
//! signatures. Prints figures; asserts only that each workload gives the expected answer.
//!
//! `cargo bench --bench pipeline` first writes the shared inputs to `target/bench-inputs/`
//! (the wasm harness and the peer SDKs read them), then runs criterion. Environment:
//! - `BENCH_INPUTS_ONLY=1`: write the inputs and stop.
//! - `BENCH_LOOP=N`: no criterion; run every workload N times and print one JSON line with the
//!   process's peak RSS (the memory column of BENCHMARKS.md).

#[path = "../scripts/bench/inputs.rs"]
mod inputs;
#[path = "../scripts/bench/workload.rs"]
mod workload;

use criterion::{BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use workload::{LoginCase, Prepared, PushCase};

fn inputs_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("bench-inputs")
}

/// Builds the cases, runs each once to record (and check) its reply, writes the input files.
fn prepare() -> (Vec<Prepared>, LoginCase) {
    let raw = inputs::push_cases();
    let mut prepared = Vec::new();
    let mut replies = Vec::new();
    for value in &raw {
        let case: PushCase = serde_json::from_value(value.clone()).expect("a generated case parses");
        let p = Prepared::new(case).expect("a generated case has valid keys");
        let reply = workload::run_push(&p).unwrap_or_else(|e| panic!("{}: the pipeline refused its input: {e}", p.case.name));
        assert!(
            reply.contains("Encrypt") || reply.contains("transfer_customer_service"),
            "{}: unexpected reply {reply}",
            p.case.name
        );
        replies.push(reply);
        prepared.push(p);
    }
    for (p, reply) in prepared.iter_mut().zip(&replies) {
        p.case.expected_reply = reply.clone();
    }
    let login: LoginCase = serde_json::from_value(inputs::login_case()).expect("the login case parses");
    assert_eq!(workload::run_open_data(&login).as_deref(), Ok(login.expected_plaintext.as_str()));
    assert!(workload::run_open_data_checked(&login).is_ok());
    assert!(workload::run_raw_data_signature(&login));
    assert!(workload::run_session_signature(&login));

    let dir = inputs_dir();
    inputs::write_all(&dir, &raw, &replies).expect("write target/bench-inputs");
    eprintln!("bench inputs written to {}", dir.display());
    (prepared, login)
}

/// `BENCH_LOOP=N`: every workload N times, then the peak RSS and the wall time per op.
fn run_loop(n: u32, prepared: &[Prepared], login: &LoginCase) {
    let mut per_op = Vec::new();
    for p in prepared {
        let t = Instant::now();
        for _ in 0..n {
            black_box(workload::run_push(black_box(p)).ok());
        }
        per_op.push(format!("\"{}\":{:.3}", p.case.name, t.elapsed().as_secs_f64() * 1e6 / f64::from(n)));
    }
    for _ in 0..n {
        black_box(workload::run_open_data_checked(black_box(login)).ok());
        black_box(workload::run_raw_data_signature(black_box(login)));
        black_box(workload::run_session_signature(black_box(login)));
    }
    println!(
        "{{\"runner\":\"native\",\"iterations\":{n},\"max_rss_kb\":{},\"us_per_op\":{{{}}}}}",
        max_rss_kb(),
        per_op.join(",")
    );
}

/// The process's peak RSS (`VmHWM`), in KiB. Not `getrusage`: its maximum survives `exec`, so
/// under `cargo bench` it would report cargo's own footprint.
fn max_rss_kb() -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(-1)
}

fn main() {
    let (prepared, login) = prepare();
    if std::env::var_os("BENCH_INPUTS_ONLY").is_some() {
        return;
    }
    if let Some(n) = std::env::var("BENCH_LOOP").ok().and_then(|v| v.parse().ok()) {
        run_loop(n, &prepared, &login);
        return;
    }

    // Short windows keep the whole run (10 benchmarks) under a minute; the medians are stable
    // at this size because one iteration is microseconds.
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(800))
        .measurement_time(Duration::from_secs(2))
        .sample_size(60)
        .configure_from_args();

    let mut push = c.benchmark_group("push");
    push.throughput(Throughput::Elements(1));
    for p in &prepared {
        push.bench_with_input(BenchmarkId::from_parameter(&p.case.name), p, |b, p| b.iter(|| workload::run_push(black_box(p))));
    }
    push.finish();

    let mut group = c.benchmark_group("login");
    group.throughput(Throughput::Elements(1));
    group.bench_function("open-data-decrypt", |b| b.iter(|| workload::run_open_data(black_box(&login))));
    group.bench_function("open-data-decrypt+watermark", |b| b.iter(|| workload::run_open_data_checked(black_box(&login))));
    group.bench_function("rawdata-signature", |b| b.iter(|| workload::run_raw_data_signature(black_box(&login))));
    group.bench_function("session-signature", |b| b.iter(|| workload::run_session_signature(black_box(&login))));
    group.finish();

    c.final_summary();
}
