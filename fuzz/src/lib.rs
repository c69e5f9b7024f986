//! The fuzz drivers as a library for the targets in `fuzz_targets/`. The drivers themselves live
//! in `fuzz/drivers/`, which `tests/fuzz_regressions.rs` of the root crate includes as well,
//! so a corpus file runs through exactly the same code in both places.

#[path = "../drivers/mod.rs"]
mod drivers;

pub use drivers::*;
