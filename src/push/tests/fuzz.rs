//! A small deterministic fuzz: thousands of mutated, truncated and re-signed bodies through
//! open_push. The assertion is that every one returns (Ok or Err) instead of panicking.

use super::envelope::{build_plain_body, wrap_encrypted};
use super::{crypt, secrets, Signed, NOW, RANDOM};
use crate::push::{open_push, Format, Mode, PushMessage};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// xorshift64*: reproducible without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const SPLICES: [&[u8]; 14] = [
    b"<",
    b">",
    b"</xml>",
    b"<xml>",
    b"]]>",
    b"<![CDATA[",
    b"&",
    b"&#x0;",
    b"{",
    b"}",
    b"\"",
    b"\xff",
    b"<!DOCTYPE x>",
    b"<a><b><c><d><e>",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(out.len() + 1);
        match rng.below(5) {
            0 => out.truncate(at),
            1 => {
                if let Some(b) = out.get_mut(at) {
                    *b ^= 1 << rng.below(8);
                }
            }
            2 => {
                let splice = SPLICES[rng.below(SPLICES.len())];
                out.splice(at..at, splice.iter().copied());
            }
            3 => {
                let end = (at + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            _ => {
                let end = (at + rng.below(32)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
        }
    }
    out
}

fn seeds() -> Vec<PushMessage> {
    let text = PushMessage {
        to_user_name: "gh_1".into(),
        from_user_name: "o1".into(),
        create_time: NOW,
        msg_type: "text".into(),
        msg_id: Some(22824453888015488),
        content: Some("hello ]]> & <b>".into()),
        ..PushMessage::default()
    };
    let mut event = text.clone();
    event.msg_type = "event".into();
    event.msg_id = None;
    event.event = Some("wxa_media_check".into());
    event.extra.insert("result".into(), serde_json::json!({"suggest": "pass", "label": 100}));
    event.extra.insert("detail".into(), serde_json::json!([{"strategy": "a"}, {"strategy": "b"}]));
    vec![text, event]
}

#[test]
fn mutated_plain_bodies_never_panic() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let signed = Signed::plain(NOW);
    let crypt = crypt();
    for message in seeds() {
        for format in [Format::Xml, Format::Json] {
            let body = build_plain_body(format, &message);
            for _ in 0..600 {
                let mutated = mutate(&mut rng, body.as_bytes());
                let _ = open_push(&secrets(&crypt), &signed.query(), &mutated, NOW, 300);
            }
        }
    }
}

#[test]
fn mutated_plaintexts_inside_valid_envelopes_never_panic() {
    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let crypt = crypt();
    for message in seeds() {
        for format in [Format::Xml, Format::Json] {
            let plain = build_plain_body(format, &message);
            for round in 0..250 {
                let mutated = String::from_utf8_lossy(&mutate(&mut rng, plain.as_bytes())).into_owned();
                let encrypt = crypt.encrypt(&mutated, RANDOM);
                let mode = if round % 2 == 0 { Mode::Safe } else { Mode::Compatible };
                let body = wrap_encrypted(format, mode, &mutated, "gh_1", &encrypt);
                let signed = Signed::encrypted(NOW, &encrypt);
                let _ = open_push(&secrets(&crypt), &signed.query(), body.as_bytes(), NOW, 0);
            }
        }
    }
}

#[test]
fn mutated_ciphertexts_with_valid_signatures_never_panic() {
    let mut rng = Rng(0x0123_4567_89AB_CDEF);
    let crypt = crypt();
    let plain = build_plain_body(Format::Xml, &seeds()[0]);
    let ciphertext = STANDARD.decode(crypt.encrypt(&plain, RANDOM)).unwrap();
    for _ in 0..1000 {
        let encrypt = STANDARD.encode(mutate(&mut rng, &ciphertext));
        let body = wrap_encrypted(Format::Xml, Mode::Safe, &plain, "gh_1", &encrypt);
        let signed = Signed::encrypted(NOW, &encrypt);
        let result = open_push(&secrets(&crypt), &signed.query(), body.as_bytes(), NOW, 0);
        if let Ok(incoming) = result {
            assert_eq!(incoming.format, Format::Xml);
        }
    }
}
