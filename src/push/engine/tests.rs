use super::*;
use crate::shared::crypto::sha1_hex_sorted;

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

#[test]
fn sorted_signature_matches_the_shared_one() {
    for parts in [&["spamtest", "1409304348", "xxxxxx"][..], &["b", "a", "c", "<xml/>"], &["1", "2", "3", "4", "5"]] {
        let ours = now_or_never(sorted_sha1_hex(&Software, parts)).unwrap().unwrap();
        assert_eq!(ours, sha1_hex_sorted(parts));
    }
}

#[test]
fn software_cbc_round_trips_whole_blocks_without_padding() {
    let crypt = MsgCrypt::new(KEY, "wx2c2769f8efd9abc2").unwrap();
    let plain: Vec<u8> = (0..64u8).collect();
    let sealed = now_or_never(Software.cbc_encrypt(&crypt, plain.clone())).unwrap().unwrap();
    assert_eq!(sealed.len(), plain.len());
    assert_ne!(sealed, plain);
    // CBC: the first block is AES(iv ⊕ p0), which encrypt_block gives too.
    let mut first = [0u8; 16];
    first.iter_mut().zip(plain.iter().zip(crypt.iv())).for_each(|(f, (p, i))| *f = p ^ i);
    assert_eq!(crypt.encrypt_block(first), sealed[..16]);
    assert_eq!(now_or_never(Software.cbc_decrypt(&crypt, sealed)).unwrap().unwrap(), plain);
}

#[test]
fn a_future_that_waits_is_none_not_a_hang() {
    assert_eq!(now_or_never(std::future::pending::<u8>()), None);
    assert_eq!(now_or_never(async { 7 }), Some(7));
}
