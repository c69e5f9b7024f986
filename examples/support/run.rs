//! What the load examples (worker_load, http_compare, worker_cpu) share: a case's timed run,
//! gathered from its tasks, and the one JSON line each writes for scripts/bench.sh.
#![allow(dead_code)] // Each example uses its own part.

use futures::future::join_all;
use serde_json::Value;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// What one run of a case gave.
#[derive(Default)]
pub struct Run {
    pub samples: Vec<Duration>,
    pub errors: Vec<String>,
    pub wall: Duration,
}

/// Waits for the load tasks started at `started`: each answers its requests' times or errors.
pub async fn gather(tasks: Vec<JoinHandle<Vec<Result<Duration, String>>>>, started: Instant) -> Run {
    let mut run = Run::default();
    for results in join_all(tasks).await {
        for r in results.unwrap_or_else(|e| vec![Err(format!("a load task failed: {e}"))]) {
            match r {
                Ok(d) => run.samples.push(d),
                Err(e) => run.errors.push(e),
            }
        }
    }
    run.wall = started.elapsed();
    run
}

/// Milliseconds with microsecond precision.
pub fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Writes `doc` as one line into `out_path` (or stdout), and says on stderr how many answers
/// were wrong and left out.
pub fn write_line(doc: &Value, out_path: Option<String>, errors: usize) {
    let line = format!("{doc}\n");
    match out_path {
        Some(path) => {
            if let Err(e) = std::fs::write(&path, line) {
                eprintln!("could not write {path}: {e}");
                std::process::exit(1);
            }
        }
        None => print!("{line}"),
    }
    if errors > 0 {
        eprintln!("{errors} wrong answer(s): the figures leave them out");
    }
}

/// Keep the figures of at most this many wrong answers.
pub const ERROR_SAMPLES: usize = 5;

/// Counts a case's wrong answers into `count`, keeps the first few in `samples`, and says the
/// first on stderr.
pub fn record_errors(count: &mut usize, samples: &mut Vec<String>, what: &str, errors: &[String]) {
    *count += errors.len();
    for e in errors.iter().take(ERROR_SAMPLES.saturating_sub(samples.len())) {
        samples.push(format!("{what}: {e}"));
    }
    if let Some(e) = errors.first() {
        eprintln!("  {} wrong answer(s) in {what}, the first: {e}", errors.len());
    }
}

pub fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

/// Median, p99 (nearest rank), max and mean in ms; `{}` without samples.
pub fn latency(samples: &[Duration]) -> Value {
    let mut s = samples.to_vec();
    s.sort();
    if s.is_empty() {
        return serde_json::json!({});
    }
    let at = |q: f64| s[((q * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1];
    let mean = s.iter().sum::<Duration>() / s.len() as u32;
    serde_json::json!({ "median_ms": ms(at(0.5)), "p99_ms": ms(at(0.99)), "max_ms": ms(at(1.0)), "mean_ms": ms(mean) })
}
