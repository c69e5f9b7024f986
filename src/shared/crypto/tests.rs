//! Unit tests of `shared/crypto.rs`: the constant-time hex comparison.

use super::*;

/// A signature-shaped value: 40 hex digits (the comparison does not care what it signs).
const SIG: &str = "ca9c7dbd3a5d8d9f6a4a1ccbac4a4a2d11f0bc13";

#[test]
fn an_uppercase_signature_is_accepted() {
    let sig = SIG;
    assert!(hex_eq(sig, &sig.to_ascii_uppercase()));
}

#[test]
fn a_signature_of_another_length_or_value_is_rejected() {
    let sig = SIG;
    assert!(!hex_eq(sig, &sig[..39]));
    assert!(!hex_eq(sig, ""));
    assert!(!hex_eq(sig, "ca9c7dbd3a5d8d9f6a4a1ccbac4a4a2d11f0bc14"));
}

#[test]
fn an_empty_expected_signature_never_matches() {
    assert!(!hex_eq("", ""));
}
