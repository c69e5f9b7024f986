use super::*;

const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

fn sorted(parts: &[&str]) -> String {
    now_or_never(sorted_sha1_hex(&Software, parts)).unwrap().unwrap()
}

#[test]
fn sorting_makes_the_signature_independent_of_argument_order() {
    assert_eq!(sorted(&["b", "a", "c"]), sorted(&["c", "b", "a"]));
    assert_eq!(sorted(&["abc"]), "a9993e364706816aba3e25717850c26c9cd0d89d");
    // More parts than the stack buffer holds take the heap path, with the same result.
    assert_eq!(sorted(&["1", "2", "3", "4", "5"]), sorted(&["12345"]));
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
