//! Unit tests of `shared/seal.rs`.

use super::*;

#[test]
fn a_seal_opens_only_with_its_secret_purpose_and_owner() {
    let sealed = seal(b"secret", b"purpose", b"plain", b"owner", [1; NONCE_LEN]).unwrap();
    assert_eq!(open(b"secret", b"purpose", &sealed, b"owner").as_deref(), Some(&b"plain"[..]));
    assert_eq!(open(b"secreT", b"purpose", &sealed, b"owner"), None);
    assert_eq!(open(b"secret", b"other", &sealed, b"owner"), None);
    assert_eq!(open(b"secret", b"purpose", &sealed, b"someone else"), None);
}

#[test]
fn every_flipped_byte_is_detected() {
    let sealed = seal(b"secret", b"p", b"plain", b"", [2; NONCE_LEN]).unwrap();
    for i in 0..sealed.len() {
        let mut bad = sealed.clone();
        bad[i] ^= 1;
        assert_eq!(open(b"secret", b"p", &bad, b""), None, "byte {i}");
    }
    assert_eq!(open(b"secret", b"p", &sealed[..NONCE_LEN], b""), None);
    assert_eq!(open(b"secret", b"p", b"", b""), None);
}
