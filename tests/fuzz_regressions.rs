//! Replays the fuzz corpus kept in the repository through the fuzz drivers (issue 9): every
//! input under `fuzz/regressions/<target>/` (inputs that once found a bug), `fuzz/seeds/<target>/`
//! (the hand-made starting points) and `fuzz/sample/<target>/` (a sample of the minimised corpus
//! of the last full run). A panic in any of them fails the test and names the file.
//!
//! The drivers are `fuzz/drivers/`, included verbatim, so an input runs through exactly the code
//! it ran through under `cargo fuzz`. The full fuzz run is `scripts/fuzz.sh`.

#[allow(dead_code)]
#[path = "../fuzz/drivers/mod.rs"]
mod drivers;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

const KEPT: [&str; 3] = ["regressions", "seeds", "sample"];

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted; none when the directory does not exist.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

/// Runs every kept input of `target`; fails listing each file that panicked.
fn replay(target: &str) {
    let files: Vec<PathBuf> = KEPT.iter().flat_map(|kind| inputs(kind, target)).collect();
    assert!(!files.is_empty(), "no kept inputs for fuzz target {target} under {}", fuzz_dir().display());
    let mut failed = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{} cannot be read: {e}", file.display()));
        match catch_unwind(AssertUnwindSafe(|| drivers::run(target, &data))) {
            Ok(true) => {}
            Ok(false) => panic!("{target} is not a fuzz target"),
            Err(_) => failed.push(file.display().to_string()),
        }
    }
    assert!(failed.is_empty(), "{} of {} inputs of {target} panicked:\n{}", failed.len(), files.len(), failed.join("\n"));
}

#[test]
fn every_kept_directory_names_a_fuzz_target() {
    for kind in KEPT {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind)) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(drivers::TARGETS.contains(&name.as_str()), "fuzz/{kind}/{name} is not a fuzz target");
        }
    }
}

#[test]
fn the_committed_seeds_are_what_the_drivers_generate() {
    // A driver whose input layout changed needs new seeds:
    // `cargo run --manifest-path fuzz/Cargo.toml --bin make_seeds`.
    for target in drivers::TARGETS {
        let committed: Vec<Vec<u8>> = inputs("seeds", target).iter().filter_map(|p| std::fs::read(p).ok()).collect();
        assert!(committed == drivers::seeds(target), "fuzz/seeds/{target}/ is stale: run make_seeds");
    }
}

macro_rules! replays {
    ($($test:ident => $target:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                replay($target);
            }
        )*
    };
}

replays! {
    kept_push_bodies_never_panic => "push_body",
    kept_encrypted_pushes_never_panic => "push_encrypted",
    kept_xml_documents_never_panic => "xml_document",
    kept_open_data_never_panics => "open_data",
    kept_qr_and_link_requests_never_panic => "qr_and_links",
    kept_outbound_requests_never_panic => "outbound",
    kept_session_inputs_never_panic => "session",
    kept_configurations_never_panic => "config",
}
