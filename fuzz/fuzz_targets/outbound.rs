//! Fuzz target `outbound`: the driver is [`wechat_edge_fuzz::outbound`] (fuzz/drivers/), shared with
//! the regression test in tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wechat_edge_fuzz::outbound(data));
