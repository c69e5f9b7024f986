//! Fuzz target `push_body`: the driver is [`wechat_edge_fuzz::push_body`] (fuzz/drivers/), shared with
//! the regression test in tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wechat_edge_fuzz::push_body(data));
