//! The layout rule of `src/` (lib.rs, "Layout"): dependencies point one way, capability →
//! `shared` → nothing, and the capabilities depend on one another without a cycle. Read from
//! the source, so a `use` that breaks the rule fails here rather than in a review.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The capability folders, each with the folders it may use besides `shared`.
const ALLOWED: [(&str, &[&str]); 10] = [
    ("shared", &[]),
    ("token", &[]),
    ("users", &[]),
    ("login", &["token", "users"]),
    ("outbound", &["token"]),
    ("oa", &["token", "users", "login", "outbound"]),
    ("pay", &["token", "users", "login"]),
    ("push", &["token", "oa", "users", "pay"]),
    ("qrcode", &["token", "login"]),
    ("ops", &["token", "push", "users"]),
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The capabilities `folder`'s code names as `crate::<capability>`.
fn uses(folder: &str) -> BTreeMap<String, BTreeSet<String>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(folder);
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    assert!(!files.is_empty(), "src/{folder} has no Rust files");
    let mut found: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (other, _) in ALLOWED {
            if other != folder && text.contains(&format!("crate::{other}::")) {
                found.entry(other.to_owned()).or_default().insert(file.display().to_string());
            }
        }
    }
    found
}

#[test]
fn each_capability_uses_only_shared_and_the_capabilities_below_it() {
    for (folder, allowed) in ALLOWED {
        for (used, files) in uses(folder) {
            let ok = used == "shared" || allowed.contains(&used.as_str());
            assert!(ok, "src/{folder} uses crate::{used} (in {files:?}); it may use shared and {allowed:?}");
        }
    }
}

#[test]
fn the_allowed_uses_have_no_cycle() {
    // Each folder may only use folders listed before it: a topological order, so no cycle.
    let order: Vec<&str> = ALLOWED.iter().map(|(name, _)| *name).collect();
    for (i, (folder, allowed)) in ALLOWED.iter().enumerate() {
        for used in *allowed {
            let at = order.iter().position(|o| o == used).expect("a known folder");
            assert!(at < i, "{folder} may use {used}, which comes after it");
        }
    }
}
