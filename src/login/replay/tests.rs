//! Unit tests of `login/replay.rs`.

use super::*;

fn exchange(code: &str) -> Exchange {
    Exchange { appid: "wx1".into(), code: code.into() }
}

fn answer() -> LoginAnswer {
    LoginAnswer {
        token: "t".repeat(43),
        openid: "o1".into(),
        unionid: Some("u1".into()),
        expires_at: 2_000,
        appid: Some("wx0000000000000001".into()),
    }
}

#[test]
fn an_answer_replays_for_the_same_code_within_five_minutes() {
    let stored = StoredAnswer::seal(&exchange("code-a"), &answer(), 1_000, [7; seal::NONCE_LEN]).unwrap();
    assert!(!stored.sealed.contains("tttt"), "the token is not stored in the clear");
    assert_eq!(stored.open(&exchange("code-a"), 1_000), Some(answer()));
    assert_eq!(stored.open(&exchange("code-a"), 1_000 + REPLAY_SECS - 1), Some(answer()));
    assert_eq!(stored.open(&exchange("code-a"), 1_000 + REPLAY_SECS), None);
}

#[test]
fn another_code_or_app_cannot_read_it() {
    let stored = StoredAnswer::seal(&exchange("code-a"), &answer(), 1_000, [7; seal::NONCE_LEN]).unwrap();
    assert_eq!(stored.open(&exchange("code-b"), 1_000), None);
    assert_eq!(stored.open(&Exchange { appid: "wx2".into(), code: "code-a".into() }, 1_000), None);
}

#[test]
fn object_names_are_hashes_of_app_and_code() {
    let name = object_name("wx1", "code-a");
    assert_eq!(name.len(), 64);
    assert!(!name.contains("code-a"));
    assert_ne!(name, object_name("wx2", "code-a"));
    assert_eq!(name, object_name("wx1", "code-a"));
}

#[test]
fn the_answer_counts_its_life_from_when_it_is_given() {
    let json = answer().to_json(1_500);
    assert_eq!(json["expires_in"], 500);
    assert_eq!(json["unionid"], "u1");
    assert_eq!(json["appid"], "wx0000000000000001");
    assert_eq!(answer().to_json(3_000)["expires_in"], 0, "never negative");
}
