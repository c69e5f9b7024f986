//! The benchmark workloads (`scripts/bench/workload.rs`, the same file the native bench runs)
//! as a plain wasm32 module for `scripts/bench/wasm.mjs`: no wasm-bindgen, just `extern "C"`
//! functions over the exported memory.
//!
//! Protocol: the host asks [`bench_alloc`] for a buffer, writes an input file's JSON into it,
//! hands it to [`push_load`] or [`login_load`] (which take it back), then calls the `*_run`
//! functions, which loop N times inside wasm so the host's timer sees only wasm work.

#[path = "../../../scripts/bench/workload.rs"]
mod workload;

use std::cell::RefCell;
use std::hint::black_box;
use workload::{LoginCase, Prepared, PushCase};

#[derive(Default)]
struct State {
    push: Vec<Prepared>,
    login: Option<LoginCase>,
    /// The last reply of `push_check`, for the host to read back.
    out: Vec<u8>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State::default());
}

/// A buffer of `len` bytes the host may write into; give it back through a `*_load` call or
/// [`bench_free`].
#[no_mangle]
pub extern "C" fn bench_alloc(len: usize) -> *mut u8 {
    let mut buf = Vec::<u8>::with_capacity(len);
    let ptr = buf.as_mut_ptr();
    std::mem::forget(buf);
    ptr
}

/// Frees a buffer from [`bench_alloc`].
///
/// # Safety
/// `ptr` and `len` must come from one `bench_alloc(len)` call, and be freed once.
#[no_mangle]
pub unsafe extern "C" fn bench_free(ptr: *mut u8, len: usize) {
    drop(Vec::from_raw_parts(ptr, 0, len));
}

/// Takes back a buffer from `bench_alloc` holding `len` bytes of input.
unsafe fn take_input(ptr: *mut u8, len: usize) -> Vec<u8> {
    Vec::from_raw_parts(ptr, len, len)
}

/// Loads a push case (the JSON of one `target/bench-inputs/push-*.json`); returns its handle,
/// or -1 when it does not parse.
///
/// # Safety
/// `ptr`/`len` as for [`bench_free`], with all `len` bytes written.
#[no_mangle]
pub unsafe extern "C" fn push_load(ptr: *mut u8, len: usize) -> i32 {
    let input = take_input(ptr, len);
    let Ok(case) = serde_json::from_slice::<PushCase>(&input) else { return -1 };
    let Ok(prepared) = Prepared::new(case) else { return -1 };
    STATE.with_borrow_mut(|s| {
        s.push.push(prepared);
        i32::try_from(s.push.len() - 1).unwrap_or(-1)
    })
}

/// Runs push case `handle` `n` times; returns how many runs produced a reply.
#[no_mangle]
pub extern "C" fn push_run(handle: u32, n: u32) -> u32 {
    STATE.with_borrow(|s| {
        let Some(p) = s.push.get(handle as usize) else { return 0 };
        let mut ok = 0;
        for _ in 0..n {
            if black_box(workload::run_push(black_box(p))).is_ok() {
                ok += 1;
            }
        }
        ok
    })
}

/// Runs push case `handle` once and keeps the reply (see [`out_ptr`]); returns 1 when it is
/// byte for byte the case's `expected_reply` (what the native build produced), else 0.
#[no_mangle]
pub extern "C" fn push_check(handle: u32) -> u32 {
    STATE.with_borrow_mut(|s| {
        let Some(p) = s.push.get(handle as usize) else { return 0 };
        let reply = workload::run_push(p).unwrap_or_else(|e| format!("error: {e}"));
        let same = reply == p.case.expected_reply;
        s.out = reply.into_bytes();
        u32::from(same)
    })
}

#[no_mangle]
pub extern "C" fn out_ptr() -> *const u8 {
    STATE.with_borrow(|s| s.out.as_ptr())
}

#[no_mangle]
pub extern "C" fn out_len() -> usize {
    STATE.with_borrow(|s| s.out.len())
}

/// Loads `login.json`; returns 0, or -1 when it does not parse or a check fails.
///
/// # Safety
/// As for [`push_load`].
#[no_mangle]
pub unsafe extern "C" fn login_load(ptr: *mut u8, len: usize) -> i32 {
    let input = take_input(ptr, len);
    let Ok(case) = serde_json::from_slice::<LoginCase>(&input) else { return -1 };
    let valid = workload::run_open_data(&case).as_deref() == Ok(case.expected_plaintext.as_str())
        && workload::run_open_data_checked(&case).is_ok()
        && workload::run_raw_data_signature(&case)
        && workload::run_session_signature(&case);
    if !valid {
        return -1;
    }
    STATE.with_borrow_mut(|s| s.login = Some(case));
    0
}

/// Runs login workload `kind` `n` times: 0 open-data decrypt, 1 decrypt + watermark check,
/// 2 rawData signature, 3 session signature. Returns how many runs succeeded.
#[no_mangle]
pub extern "C" fn login_run(kind: u32, n: u32) -> u32 {
    STATE.with_borrow(|s| {
        let Some(c) = s.login.as_ref() else { return 0 };
        let mut ok = 0;
        for _ in 0..n {
            let c = black_box(c);
            let done = match kind {
                0 => black_box(workload::run_open_data(c)).is_ok(),
                1 => black_box(workload::run_open_data_checked(c)).is_ok(),
                2 => black_box(workload::run_raw_data_signature(c)),
                3 => black_box(workload::run_session_signature(c)),
                _ => false,
            };
            ok += u32::from(done);
        }
        ok
    })
}
