//! Unit tests of `push/ledger.rs`.

use super::*;
use serde_json::json;

#[test]
fn a_claim_round_trips_through_its_wire_form() {
    let claim = Claim { appid: "wx1".into(), key: "msg:1".into(), actions: vec![Action::Forward { payload: "{}".into() }] };
    let text = serde_json::to_string(&claim).unwrap();
    assert_eq!(serde_json::from_str::<Claim>(&text).unwrap(), claim);
    assert_eq!(serde_json::to_value(Claimed { first: true }).unwrap(), json!({"first": true}));
}

#[test]
fn a_key_always_lands_on_the_same_shard_of_its_app() {
    assert_eq!(shard_name("wx1", "msg:1"), shard_name("wx1", "msg:1"));
    let shards: std::collections::HashSet<String> = (0..200).map(|i| shard_name("wx1", &format!("msg:{i}"))).collect();
    assert_eq!(shards.len(), usize::from(SHARDS));
    assert!(shards.iter().all(|s| s.starts_with("wx1:")));
}

#[test]
fn retries_back_off_and_stay_bounded() {
    assert_eq!(retry_delay_secs(1), 10);
    assert_eq!(retry_delay_secs(2), 20);
    assert!(retry_delay_secs(3) > retry_delay_secs(2));
    assert_eq!(retry_delay_secs(100), retry_delay_secs(8));
}
