//! Fuzz target `qr_and_links`: the driver is [`wechat_edge_fuzz::qr_and_links`] (fuzz/drivers/), shared with
//! the regression test in tests/fuzz_regressions.rs.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| wechat_edge_fuzz::qr_and_links(data));
