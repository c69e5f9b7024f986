//! Our side of an order's life (wechat-pay.md §4–§6): its state, the transitions allowed (paid
//! exactly once, closed only while unpaid), the refund bounds (never more than was paid,
//! counting every refund not closed), and when an unpaid order is queried again
//! (reconciliation: a lost notify must lose nothing, §5 "回调与查单双保险").

use super::model::{RefundStatus, TradeState};
use crate::shared::error::{ApiError, ApiResult};

/// The state we store with an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// Ordered at WeChat Pay (a prepay_id), not paid yet: `NOTPAY`.
    Created,
    /// Paid (`SUCCESS`); stays so while partial refunds are made.
    Paid,
    /// Closed by us or expired before payment (`CLOSED`).
    Closed,
    /// Refunded in full.
    Refunded,
}

impl OrderState {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderState::Created => "created",
            OrderState::Paid => "paid",
            OrderState::Closed => "closed",
            OrderState::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<OrderState> {
        match s {
            "created" => Some(OrderState::Created),
            "paid" => Some(OrderState::Paid),
            "closed" => Some(OrderState::Closed),
            "refunded" => Some(OrderState::Refunded),
            _ => None,
        }
    }

    /// Money was taken.
    pub fn is_paid(self) -> bool {
        matches!(self, OrderState::Paid | OrderState::Refunded)
    }
}

/// What happened to an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    /// A verified notify or a query says it is paid.
    Paid,
    /// We closed it, or a query says WeChat did.
    Closed,
    /// Its refunds now add up to the amount paid.
    FullyRefunded,
}

/// What to do about an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Store this state, guarded by the state read (compare-and-set), and run the side
    /// effects (the forward to the business) once: whoever wins the guarded write.
    To(OrderState),
    /// It happened already: acknowledge, change nothing, run nothing.
    AlreadyDone,
    /// Not allowed from here.
    Refused(&'static str),
}

/// The transition table. A verified payment always wins, even over our own close: WeChat is
/// the truth about money, and a user can pay in the moment we close (the race of §10 item 9).
pub fn transition(current: OrderState, event: OrderEvent) -> Transition {
    use OrderEvent as E;
    use OrderState as S;
    match (current, event) {
        (S::Created | S::Closed, E::Paid) => Transition::To(S::Paid),
        (S::Paid | S::Refunded, E::Paid) => Transition::AlreadyDone,
        (S::Created, E::Closed) => Transition::To(S::Closed),
        (S::Closed, E::Closed) => Transition::AlreadyDone,
        (S::Paid | S::Refunded, E::Closed) => Transition::Refused("the order is paid: refund it instead of closing it"),
        (S::Paid, E::FullyRefunded) => Transition::To(S::Refunded),
        (S::Refunded, E::FullyRefunded) => Transition::AlreadyDone,
        (S::Created | S::Closed, E::FullyRefunded) => Transition::Refused("the order was never paid"),
    }
}

/// The event a queried `trade_state` amounts to; `None` while the order is still open.
pub fn event_for_trade_state(state: &TradeState) -> Option<OrderEvent> {
    match state {
        TradeState::Success | TradeState::Refund => Some(OrderEvent::Paid),
        TradeState::Closed | TradeState::Revoked | TradeState::PayError => Some(OrderEvent::Closed),
        TradeState::NotPay | TradeState::UserPaying | TradeState::Accept | TradeState::Other(_) => None,
    }
}

/// WeChat's limit on partial refunds of one order (§6).
pub const MAX_REFUNDS_PER_ORDER: usize = 50;

/// A refund already recorded against the order.
#[derive(Debug, Clone, Copy)]
pub struct ExistingRefund<'a> {
    pub out_refund_no: &'a str,
    /// Fen.
    pub amount: u64,
    pub status: &'a RefundStatus,
}

/// What a refund request amounts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundDecision {
    /// A new refund; `left_after` fen stay refundable once it succeeds.
    New { left_after: u64 },
    /// The same `out_refund_no` and amount again: answer the existing refund (idempotent),
    /// or re-send it to WeChat Pay with the same number if our first call's outcome is unknown.
    Same,
}

/// Whether `amount` fen may be refunded under `out_refund_no` from an order in `state` that
/// was paid `paid_total` fen. Every refund not closed holds its amount (a processing or
/// abnormal refund may still pay out), so the sum never passes what was paid.
pub fn check_refund(
    state: OrderState,
    paid_total: u64,
    existing: &[ExistingRefund<'_>],
    out_refund_no: &str,
    amount: u64,
) -> ApiResult<RefundDecision> {
    if let Some(same) = existing.iter().find(|r| r.out_refund_no == out_refund_no) {
        return if same.amount == amount {
            Ok(RefundDecision::Same)
        } else {
            Err(ApiError::new(
                409,
                "refund_number_reused",
                format!("out_refund_no was already used for a refund of {} fen; a new refund needs a new number", same.amount),
            ))
        };
    }
    if !state.is_paid() {
        return Err(ApiError::new(409, "order_not_paid", "only a paid order can be refunded"));
    }
    if existing.len() >= MAX_REFUNDS_PER_ORDER {
        return Err(ApiError::new(409, "too_many_refunds", format!("an order takes at most {MAX_REFUNDS_PER_ORDER} refunds")));
    }
    let held: u64 = existing.iter().filter(|r| !r.status.released()).map(|r| r.amount).fold(0, u64::saturating_add);
    let left = paid_total.saturating_sub(held);
    if amount == 0 || amount > left {
        return Err(ApiError::invalid_field(
            "amount.refund",
            &format!("must be between 1 and the {left} fen left to refund (paid {paid_total}, refunds {held})"),
        ));
    }
    Ok(RefundDecision::New { left_after: left - amount })
}

/// The first query of an unpaid order, this long after its creation: the user is usually done
/// within a few minutes, and the notify normally comes first.
pub const RECONCILE_FIRST_AFTER: u64 = 300;
/// The interval doubles up to this.
pub const RECONCILE_MAX_INTERVAL: u64 = 3600;
/// After this many queries (about 9 hours, well past the 2-hour life of a prepay_id) the
/// order is closed at WeChat Pay and queried once more, which settles it either way.
pub const RECONCILE_MAX_QUERIES: u32 = 12;

/// When to query an unpaid order next, given when it was created and how many queries were
/// made already (Unix seconds); `None` once the queries are spent (close it then). The
/// schedule is 5, 15, 35, 75 minutes, then hourly: bounded, and backed off.
pub fn next_reconcile_at(created_at: u64, queries_made: u32) -> Option<u64> {
    if queries_made >= RECONCILE_MAX_QUERIES {
        return None;
    }
    let mut at = created_at;
    for n in 0..=queries_made {
        let interval = RECONCILE_FIRST_AFTER.saturating_mul(1u64 << n.min(16)).min(RECONCILE_MAX_INTERVAL);
        at = at.saturating_add(interval);
    }
    Some(at)
}

#[cfg(test)]
mod tests;
