//! What a server costs the machine, read from Linux's `/proc` (issue 18, items 3 and 4): the
//! CPU time and peak memory of a process tree, for `examples/http_compare.rs` and
//! `examples/worker_cpu.rs`. Linux only; a process that is gone reads as nothing.
//!
//! CPU comes two ways. `utime + stime` from `/proc/<pid>/stat` is what the issue asks for: it
//! covers every thread the process ever had, and the kernel scales the two so that their sum is
//! the scheduler's exact runtime, but it is reported in clock ticks (10 ms at USER_HZ 100), so a
//! delta is good to ±1 tick per process: fine over a window of seconds. For one request the
//! per-thread `/proc/<pid>/task/<tid>/schedstat` (time on CPU in ns) is used instead; it misses
//! threads that ended inside the window, which a server's pool threads do not.
#![allow(dead_code)]

use std::collections::HashMap;
use std::fs;

/// One process as `/proc/<pid>/stat` shows it.
#[derive(Clone, Debug)]
pub struct Proc {
    pub pid: u32,
    pub ppid: u32,
    /// The command name, at most 15 bytes (`workerd`, `node`, `gunicorn`, `python3`, ...).
    pub comm: String,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
    /// When it started, in clock ticks since boot.
    pub start_ticks: u64,
}

/// Clock ticks per second (`sysconf(_SC_CLK_TCK)`, 100 on Linux).
pub fn clk_tck() -> f64 {
    let t = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if t > 0 {
        t as f64
    } else {
        100.0
    }
}

/// Seconds since boot, from `/proc/uptime` (1/100 s resolution).
pub fn uptime_s() -> f64 {
    fs::read_to_string("/proc/uptime").ok().and_then(|s| s.split_whitespace().next()?.parse().ok()).unwrap_or(0.0)
}

pub fn read(pid: u32) -> Option<Proc> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
    // ... starttime is field 22; comm may hold spaces and parentheses, so split at the last ')'.
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat[open + 1..close].to_owned();
    let rest: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    // rest[0] is field 3 (state): field k is rest[k - 3].
    let field = |k: usize| rest.get(k - 3).and_then(|v| v.parse::<u64>().ok());
    Some(Proc { pid, ppid: field(4)? as u32, comm, cpu_ticks: field(14)? + field(15)?, start_ticks: field(22)? })
}

/// Every process now.
pub fn all() -> Vec<Proc> {
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(read)
        .collect()
}

/// `root` and every process below it, as they are now.
pub fn tree(root: u32) -> Vec<Proc> {
    let procs = all();
    let mut children: HashMap<u32, Vec<&Proc>> = HashMap::new();
    for p in &procs {
        children.entry(p.ppid).or_default().push(p);
    }
    let mut out: Vec<Proc> = procs.iter().filter(|p| p.pid == root).cloned().collect();
    let mut i = 0;
    while i < out.len() {
        let pid = out[i].pid;
        out.extend(children.get(&pid).into_iter().flatten().map(|p| (*p).clone()));
        i += 1;
    }
    out
}

/// The processes below this one (the example) whose command name is `comm`.
pub fn mine_named(comm: &str) -> Vec<u32> {
    tree(std::process::id()).into_iter().filter(|p| p.comm == comm && p.pid != std::process::id()).map(|p| p.pid).collect()
}

/// The full command line, arguments joined by spaces.
pub fn cmdline(pid: u32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| b.split(|c| *c == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// utime + stime of `pids`, in seconds.
pub fn cpu_s(pids: &[u32]) -> f64 {
    pids.iter().filter_map(|p| read(*p)).map(|p| p.cpu_ticks).sum::<u64>() as f64 / clk_tck()
}

/// Time on CPU of every current thread of `pids`, in ns (`schedstat`'s first field).
pub fn cpu_ns_threads(pids: &[u32]) -> u64 {
    let mut total = 0;
    for pid in pids {
        for task in fs::read_dir(format!("/proc/{pid}/task")).into_iter().flatten().flatten() {
            let s = fs::read_to_string(task.path().join("schedstat")).unwrap_or_default();
            total += s.split_whitespace().next().and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        }
    }
    total
}

/// A `kB` line of `/proc/<pid>/status` (`VmHWM`, `VmRSS`).
pub fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))?.split_whitespace().nth(1)?.parse().ok()
}

/// The proportional set size (shared pages divided among their sharers), in kB, now.
pub fn pss_kb(pid: u32) -> Option<u64> {
    let rollup = fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok()?;
    rollup.lines().find(|l| l.starts_with("Pss:"))?.split_whitespace().nth(1)?.parse().ok()
}

/// Peak and current memory of a group of processes.
#[derive(Clone, Debug, Default)]
pub struct Memory {
    /// The sum of each process's peak RSS (`VmHWM`): an upper bound of the group's peak, since
    /// the peaks need not coincide and pages shared between forked processes count in each.
    pub hwm_sum_kb: u64,
    /// The largest single process's peak RSS.
    pub hwm_max_kb: u64,
    /// The sum of the processes' PSS now (shared pages counted once overall).
    pub pss_sum_kb: u64,
    pub processes: usize,
}

pub fn memory(pids: &[u32]) -> Memory {
    let mut m = Memory::default();
    for pid in pids {
        if let Some(hwm) = status_kb(*pid, "VmHWM") {
            m.hwm_sum_kb += hwm;
            m.hwm_max_kb = m.hwm_max_kb.max(hwm);
            m.pss_sum_kb += pss_kb(*pid).unwrap_or(0);
            m.processes += 1;
        }
    }
    m
}

impl Memory {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "peak_rss_sum_kb": self.hwm_sum_kb, "peak_rss_max_process_kb": self.hwm_max_kb,
            "pss_sum_kb": self.pss_sum_kb, "processes": self.processes,
        })
    }
}

/// `cargo run` on the release profile aborts on a panic (the e2e harness panics when a start
/// fails), skipping the drops that stop what we started: stop the process groups of our
/// children (the simulator, wrangler and workerd, the peers) from the panic hook instead.
pub fn stop_children_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        let me = std::process::id();
        for p in all() {
            // A child that leads its own process group (each was started with process_group(0)).
            if p.ppid == me && read_pgrp(p.pid) == Some(p.pid) {
                unsafe { libc::kill(-(p.pid as i32), libc::SIGKILL) };
            }
        }
    }));
}

fn read_pgrp(pid: u32) -> Option<u32> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat[stat.rfind(')')? + 1..].split_whitespace().nth(2)?.parse().ok()
}

/// The processes of a `wrangler dev` started below this one, in two groups:
/// - `runtime`: the workerd that runs the Worker (with its Durable Objects and the local KV, D1
///   and storage simulators), started by miniflare with the inspector on (`--inspector-addr`);
/// - `dev_server`: what wrangler puts around it and production does not have: its own workerd
///   running the dev proxy (the socket the client talks to, which forwards each request to the
///   runtime and reports it to wrangler for the `[wrangler:info]` log line), and wrangler's node
///   processes.
///
/// Without a workerd carrying `--inspector-addr`, every workerd counts as the runtime.
pub fn wrangler_processes() -> (Vec<u32>, Vec<u32>) {
    let procs = tree(std::process::id());
    let workerd: Vec<(u32, bool)> =
        procs.iter().filter(|p| p.comm == "workerd").map(|p| (p.pid, cmdline(p.pid).contains("--inspector-addr"))).collect();
    let any_runtime = workerd.iter().any(|(_, r)| *r);
    let runtime = workerd.iter().filter(|(_, r)| *r || !any_runtime).map(|(p, _)| *p).collect();
    let mut dev_server: Vec<u32> = workerd.iter().filter(|(_, r)| !*r && any_runtime).map(|(p, _)| *p).collect();
    dev_server.extend(procs.iter().filter(|p| p.comm == "node" && cmdline(p.pid).contains("wrangler")).map(|p| p.pid));
    (runtime, dev_server)
}

/// Time on CPU of the main thread of each of `pids` (the thread whose id is the process's), in
/// ns: for workerd the thread that runs the isolates and their event loop, apart from V8's
/// background threads (compilation, GC) and the I/O pools.
pub fn cpu_ns_main_threads(pids: &[u32]) -> u64 {
    pids.iter()
        .filter_map(|pid| fs::read_to_string(format!("/proc/{pid}/task/{pid}/schedstat")).ok())
        .filter_map(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .sum()
}
