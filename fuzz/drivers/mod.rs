//! The fuzz drivers: one function per fuzz target, taking the raw input bytes. Shared verbatim
//! by the cargo-fuzz targets (`fuzz/src/lib.rs`) and the root crate's regression test
//! (`tests/fuzz_regressions.rs`), both through `#[path]`, so a corpus file means the same thing
//! in both. They use only crates the root crate already depends on, which is why structured
//! input is decoded by the small helpers in [`input`] rather than by `arbitrary`.
//!
//! Each driver asserts that nothing panics and, where it is cheap, an invariant of what was
//! accepted (a parsed push serialises and re-parses to the same fields, an accepted scene is at
//! most 32 characters, a decrypted message is shorter than its ciphertext, ...).
//!
//! - [`input`] holds the input layouts (a flags byte, fields separated by NUL).
//! - [`push`] holds `push_body`, `push_encrypted` and `xml_document`.
//! - [`crypto`] holds `open_data`.
//! - [`requests`] holds `qr_and_links`, `outbound` and `session`.
//! - [`config`] holds `config`.

mod config;
mod crypto;
mod input;
mod push;
mod requests;

pub use config::config;
pub use crypto::open_data;
pub use push::{push_body, push_encrypted, xml_document};
pub use requests::{outbound, qr_and_links, session};

/// Every target's name, for the regression test and the seed generator.
pub const TARGETS: [&str; 8] =
    ["push_body", "push_encrypted", "xml_document", "open_data", "qr_and_links", "outbound", "session", "config"];

/// Runs the driver of `target` on `data`; `false` for an unknown target name.
pub fn run(target: &str, data: &[u8]) -> bool {
    let driver: fn(&[u8]) = match target {
        "push_body" => push_body,
        "push_encrypted" => push_encrypted,
        "xml_document" => xml_document,
        "open_data" => open_data,
        "qr_and_links" => qr_and_links,
        "outbound" => outbound,
        "session" => session,
        "config" => config,
        _ => return false,
    };
    driver(data);
    true
}

/// Seed inputs per target, in each driver's layout: valid requests the fuzzer mutates from,
/// written to `fuzz/seeds/` by `cargo run --bin make_seeds`.
pub fn seeds(target: &str) -> Vec<Vec<u8>> {
    match target {
        "push_body" => push::push_body_seeds(),
        "push_encrypted" => push::push_encrypted_seeds(),
        "xml_document" => push::xml_document_seeds(),
        "open_data" => crypto::open_data_seeds(),
        "qr_and_links" => requests::qr_and_links_seeds(),
        "outbound" => requests::outbound_seeds(),
        "session" => requests::session_seeds(),
        "config" => config::config_seeds(),
        _ => Vec::new(),
    }
}
