//! Fuzz target `open_data`: the driver is [`wechat_edge_fuzz::open_data`] (fuzz/drivers/), shared with
//! the regression test in tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wechat_edge_fuzz::open_data(data));
