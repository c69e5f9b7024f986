use super::*;

#[test]
fn an_order_is_paid_exactly_once() {
    assert_eq!(transition(OrderState::Created, OrderEvent::Paid), Transition::To(OrderState::Paid));
    assert_eq!(transition(OrderState::Paid, OrderEvent::Paid), Transition::AlreadyDone);
    assert_eq!(transition(OrderState::Refunded, OrderEvent::Paid), Transition::AlreadyDone);
}

#[test]
fn a_verified_payment_wins_over_our_close() {
    assert_eq!(transition(OrderState::Closed, OrderEvent::Paid), Transition::To(OrderState::Paid));
}

#[test]
fn only_an_unpaid_order_closes_and_only_a_paid_one_refunds() {
    assert_eq!(transition(OrderState::Created, OrderEvent::Closed), Transition::To(OrderState::Closed));
    assert_eq!(transition(OrderState::Closed, OrderEvent::Closed), Transition::AlreadyDone);
    assert!(matches!(transition(OrderState::Paid, OrderEvent::Closed), Transition::Refused(_)));
    assert_eq!(transition(OrderState::Paid, OrderEvent::FullyRefunded), Transition::To(OrderState::Refunded));
    assert!(matches!(transition(OrderState::Created, OrderEvent::FullyRefunded), Transition::Refused(_)));
}

#[test]
fn states_round_trip_through_their_names() {
    for s in [OrderState::Created, OrderState::Paid, OrderState::Closed, OrderState::Refunded] {
        assert_eq!(OrderState::parse(s.as_str()), Some(s));
    }
    assert_eq!(OrderState::parse("PAID"), None);
}

#[test]
fn queried_trade_states_settle_or_wait() {
    assert_eq!(event_for_trade_state(&TradeState::Success), Some(OrderEvent::Paid));
    assert_eq!(event_for_trade_state(&TradeState::Refund), Some(OrderEvent::Paid));
    assert_eq!(event_for_trade_state(&TradeState::Closed), Some(OrderEvent::Closed));
    assert_eq!(event_for_trade_state(&TradeState::NotPay), None);
    assert_eq!(event_for_trade_state(&TradeState::UserPaying), None);
}

fn refunds(list: &[(&'static str, u64, RefundStatus)]) -> Vec<(&'static str, u64, RefundStatus)> {
    list.to_vec()
}

fn check(state: OrderState, existing: &[(&'static str, u64, RefundStatus)], no: &str, amount: u64) -> ApiResult<RefundDecision> {
    let existing: Vec<ExistingRefund<'_>> =
        existing.iter().map(|(n, a, s)| ExistingRefund { out_refund_no: n, amount: *a, status: s }).collect();
    check_refund(state, 100, &existing, no, amount)
}

#[test]
fn refunds_never_add_up_to_more_than_was_paid() {
    let none = refunds(&[]);
    assert_eq!(check(OrderState::Paid, &none, "r1", 100), Ok(RefundDecision::New { left_after: 0 }));
    assert_eq!(check(OrderState::Paid, &none, "r1", 101).unwrap_err().status, 400);
    let some = refunds(&[("r1", 60, RefundStatus::Success), ("r2", 30, RefundStatus::Processing)]);
    assert_eq!(check(OrderState::Paid, &some, "r3", 10), Ok(RefundDecision::New { left_after: 0 }));
    let e = check(OrderState::Paid, &some, "r3", 11).unwrap_err();
    assert!(e.message.contains("10 fen left"), "{}", e.message);
    // A closed refund released its amount; an abnormal one still holds it.
    let closed = refunds(&[("r1", 60, RefundStatus::Closed), ("r2", 30, RefundStatus::Abnormal)]);
    assert_eq!(check(OrderState::Paid, &closed, "r3", 70), Ok(RefundDecision::New { left_after: 0 }));
    assert!(check(OrderState::Paid, &closed, "r3", 71).is_err());
}

#[test]
fn a_refund_number_is_idempotent_and_never_reused_for_another_amount() {
    let some = refunds(&[("r1", 60, RefundStatus::Success)]);
    assert_eq!(check(OrderState::Paid, &some, "r1", 60), Ok(RefundDecision::Same));
    assert_eq!(check(OrderState::Refunded, &some, "r1", 60), Ok(RefundDecision::Same));
    assert_eq!(check(OrderState::Paid, &some, "r1", 50).unwrap_err().code, "refund_number_reused");
}

#[test]
fn only_paid_orders_refund_and_at_most_fifty_times() {
    assert_eq!(check(OrderState::Created, &[], "r1", 1).unwrap_err().code, "order_not_paid");
    assert_eq!(check(OrderState::Closed, &[], "r1", 1).unwrap_err().code, "order_not_paid");
    let names: Vec<String> = (0..50).map(|i| format!("r{i}")).collect();
    let status = RefundStatus::Success;
    let fifty: Vec<ExistingRefund<'_>> =
        names.iter().map(|n| ExistingRefund { out_refund_no: n, amount: 1, status: &status }).collect();
    assert_eq!(check_refund(OrderState::Paid, 100, &fifty, "r50", 1).unwrap_err().code, "too_many_refunds");
}

#[test]
fn reconciliation_backs_off_to_hourly_and_stops() {
    let at: Vec<u64> = (0..RECONCILE_MAX_QUERIES).map(|n| next_reconcile_at(0, n).unwrap()).collect();
    assert_eq!(&at[..5], &[300, 900, 2100, 4500, 8100]);
    assert!(at.windows(2).all(|w| w[1] - w[0] <= RECONCILE_MAX_INTERVAL && w[1] > w[0]));
    assert_eq!(at.last(), Some(&33_300));
    assert_eq!(next_reconcile_at(0, RECONCILE_MAX_QUERIES), None);
    assert_eq!(next_reconcile_at(1_700_000_000, 0), Some(1_700_000_300));
    assert_eq!(next_reconcile_at(u64::MAX - 1, 3), Some(u64::MAX), "saturates, never panics");
}
