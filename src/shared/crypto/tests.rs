//! Unit tests of `shared/crypto.rs`: the sorted SHA-1 and the constant-time hex comparison.

use super::*;

#[test]
fn sorting_makes_the_signature_independent_of_argument_order() {
    assert_eq!(sha1_hex_sorted(&["b", "a", "c"]), sha1_hex_sorted(&["c", "b", "a"]));
    assert_eq!(sha1_hex_sorted(&["abc"]), "a9993e364706816aba3e25717850c26c9cd0d89d");
}

#[test]
fn an_uppercase_signature_is_accepted() {
    let sig = sha1_hex_sorted(&["spamtest", "1409735669", "1320562132"]);
    assert!(hex_eq(&sig, &sig.to_ascii_uppercase()));
}

#[test]
fn a_signature_of_another_length_or_value_is_rejected() {
    let sig = sha1_hex_sorted(&["spamtest", "1409735669", "1320562132"]);
    assert!(!hex_eq(&sig, &sig[..39]));
    assert!(!hex_eq(&sig, ""));
    assert!(!hex_eq(&sig, &sha1_hex_sorted(&["spamtest", "1409735669", "1"])));
}

#[test]
fn an_empty_expected_signature_never_matches() {
    assert!(!hex_eq("", ""));
}
