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

#[test]
fn a_completed_action_is_deleted_and_a_busy_one_retried_a_bounded_number_of_times() {
    let send = Action::CustomSend { body: json!({"touser": "o"}) };
    assert!(!is_idempotent(&send));
    assert_eq!(after_attempt(Outcome::Done, 1, false), Next::Delete);
    assert_eq!(after_attempt(Outcome::Retry("busy".into()), 1, false), Next::RetryLater);
    assert!(matches!(after_attempt(Outcome::Retry("busy".into()), MAX_ATTEMPTS, false), Next::Fail(_)));
    assert!(matches!(after_attempt(Outcome::Failed("45015".into()), 1, false), Next::Fail(_)));
}

#[test]
fn an_action_that_may_have_run_is_retried_only_when_idempotent() {
    let forward = Action::Forward { payload: "{}".into() };
    assert!(is_idempotent(&forward));
    // No answer in time: a forward is sent again (receivers dedupe), a message is not.
    assert_eq!(after_attempt(Outcome::Unknown("timeout".into()), 1, true), Next::RetryLater);
    assert_eq!(after_attempt(Outcome::Unknown("timeout".into()), 1, false), Next::Uncertain("timeout".into()));
    // An attempt that started and never recorded its outcome (the isolate died mid-send).
    assert_eq!(before_attempt(true, true), Next::Run);
    assert!(matches!(before_attempt(true, false), Next::Uncertain(_)));
    assert_eq!(before_attempt(false, false), Next::Run);
}

#[test]
fn outbox_counts_add_up_across_shards() {
    let mut total = OutboxCounts::default();
    total.add(OutboxCounts { pending: 1, uncertain: 2, failed: 3 });
    total.add(OutboxCounts { pending: 1, uncertain: 0, failed: 0 });
    assert_eq!(total, OutboxCounts { pending: 2, uncertain: 2, failed: 3 });
    assert_eq!(shard_names("wx1").count(), usize::from(SHARDS));
}
