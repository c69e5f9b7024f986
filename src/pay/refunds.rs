//! Refunds (wechat-pay.md §6): create, query, and the `REFUND.*` notifies.
//!
//! - A refund is claimed in D1 (`pay_refunds`, status `PROCESSING`) before WeChat Pay hears of
//!   it, by a conditional INSERT that only succeeds while the refunds not closed still fit in
//!   what was paid: concurrent creates cannot refund more than the order.
//! - The same `out_refund_no` and amount again is the same refund: answered from our row, or
//!   re-sent with the same number (WeChat Pay is idempotent on it) when the first call's outcome
//!   is unknown. A different amount under a used number is a 409.
//! - A status moves once, by a conditional UPDATE from a non-final status; the order's
//!   `refunded` (fen refunded successfully) and its `refunded` state are recomputed from the
//!   refunds each time, so they cannot drift.

use crate::pay::client::{merchant, Merchant};
use crate::pay::handler::notify_url;
use crate::pay::model::{Refund, RefundNotice, RefundStatus};
use crate::pay::notify::{check_refund_notice, Notify, NotifyError};
use crate::pay::refund::{create_error_released, query_path, OrderRef, RefundInput, RefundRequest, REFUNDS_PATH};
use crate::pay::state::{check_refund, ExistingRefund, OrderState, RefundDecision};
use crate::pay::store::{self, number, optional, text, OrderRow, RefundRow};
use crate::pay::{fields, refund};
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::fields::{opt_str, reject_unknown, required_str, Body};
use crate::shared::http::{json, json_body, require_internal_key, Ctx};
use serde_json::{json, Value};
use worker::{Method, Request, Response};

const MAX_JSON: usize = 8 * 1024;

fn amount_field(body: &Body) -> ApiResult<u64> {
    match body.get("amount") {
        Some(Value::Number(n)) => n
            .as_u64()
            .ok_or_else(|| ApiError::invalid_field("amount", "must be a whole number of fen above 0"))
            .and_then(|a| fields::amount("amount", a)),
        Some(Value::Object(o)) => o
            .get("refund")
            .and_then(Value::as_u64)
            .ok_or_else(|| ApiError::invalid_field("amount.refund", "must be a whole number of fen above 0"))
            .and_then(|a| fields::amount("amount.refund", a)),
        _ => Err(ApiError::invalid_field("amount", "is required: the fen to refund, a whole number above 0")),
    }
}

async fn refund_row(ctx: &Ctx, out_refund_no: &str) -> ApiResult<Option<RefundRow>> {
    let sql = "SELECT * FROM pay_refunds WHERE out_refund_no = ?1";
    let found: Vec<RefundRow> = store::rows(&ctx.env, "refund lookup", sql, &[text(out_refund_no)]).await?;
    Ok(found.into_iter().next())
}

fn not_found_order() -> ApiError {
    ApiError::new(404, "order_not_found", "no such order")
}

fn refund_view(row: &RefundRow) -> Value {
    json!({
        "out_refund_no": row.out_refund_no, "out_trade_no": row.out_trade_no, "amount": row.amount,
        "reason": row.reason, "status": row.status, "refund_id": row.refund_id,
        "created_at": row.created_at, "updated_at": row.updated_at,
    })
}

async fn answer(ctx: &Ctx, out_refund_no: &str, fallback: RefundRow) -> ApiResult<Response> {
    let row = refund_row(ctx, out_refund_no).await?.unwrap_or(fallback);
    let order = store::order(&ctx.env, &row.out_trade_no).await?;
    json(
        200,
        &json!({
            "refund": refund_view(&row),
            "order": order.map(|o| json!({ "out_trade_no": o.out_trade_no, "amount": o.amount, "refunded": o.refunded, "state": o.state })),
        }),
    )
}

/// `POST /internal/pay/refunds[?appid=]` `{out_trade_no, out_refund_no, amount, reason?}` →
/// `{"refund", "order"}`.
pub async fn create(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let body = json_body(req, MAX_JSON).await?;
    reject_unknown(&body, &["out_trade_no", "out_refund_no", "amount", "reason", "appid"], "")?;
    let out_trade_no = required_str(&body, "out_trade_no")?;
    fields::out_trade_no("out_trade_no", out_trade_no)?;
    let out_refund_no = required_str(&body, "out_refund_no")?;
    fields::out_refund_no("out_refund_no", out_refund_no)?;
    let amount = amount_field(&body)?;
    let reason = opt_str(&body, "reason")?;
    if let Some(r) = reason {
        fields::text("reason", r, 0, refund::MAX_REASON_CHARS)?;
    }

    let order = store::order(&ctx.env, out_trade_no).await?.ok_or_else(not_found_order)?;
    if let Some(appid) = opt_str(&body, "appid")? {
        if appid != order.appid {
            return Err(not_found_order());
        }
    }
    let mut previous = refund_row(ctx, out_refund_no).await?;
    if previous.as_ref().is_some_and(|r| r.out_trade_no != out_trade_no) {
        return Err(ApiError::new(409, "refund_number_reused", "out_refund_no was already used for a refund of another order"));
    }
    let refunds = store::refunds_of(&ctx.env, out_trade_no).await?;
    let state = OrderState::parse(&order.state).ok_or_else(|| ApiError::internal("an order has an unknown state"))?;
    let decision = decide(state, &order, &refunds, out_refund_no, amount)?;
    let app = ctx.config.app(Some(&order.appid))?;
    let m = merchant(ctx, &app).await?;
    let notify = notify_url(ctx, req, &app)?;

    if let RefundDecision::New { .. } = decision {
        let row = RefundRow {
            out_refund_no: out_refund_no.to_owned(),
            out_trade_no: out_trade_no.to_owned(),
            amount,
            reason: reason.filter(|r| !r.is_empty()).map(str::to_owned),
            status: RefundStatus::Processing.as_str().to_owned(),
            refund_id: None,
            created_at: ctx.now,
            updated_at: ctx.now,
        };
        if !claim(ctx, &row, order.amount).await? {
            // A concurrent create took the number or the amount: decide again on what is stored.
            let refunds = store::refunds_of(&ctx.env, out_trade_no).await?;
            let order = store::order(&ctx.env, out_trade_no).await?.ok_or_else(not_found_order)?;
            let state = OrderState::parse(&order.state).unwrap_or(OrderState::Closed);
            decide(state, &order, &refunds, out_refund_no, amount)?;
        }
        previous = refund_row(ctx, out_refund_no).await?;
    }
    let row = previous.ok_or_else(|| ApiError::unavailable("the refund store is settling; retry"))?;
    if row.amount != amount {
        return Err(ApiError::new(409, "refund_number_reused", "out_refund_no was already used for a refund of another amount"));
    }
    if row.refund_id.is_some() || row.status != RefundStatus::Processing.as_str() {
        // WeChat Pay answered for this refund already: the same refund, never a second.
        return answer(ctx, out_refund_no, row).await;
    }
    // New, or a retry whose first call's outcome is unknown: (re-)send under the same number,
    // with the reason stored first, so the request is the same one (WeChat compares them).
    let request = RefundRequest::new(RefundInput {
        order: OrderRef::OutTradeNo(out_trade_no),
        out_refund_no,
        refund: row.amount,
        total: order.amount,
        reason: row.reason.as_deref(),
        notify_url: Some(&notify),
    })?;
    match m.call(ctx, Method::Post, REFUNDS_PATH, Some(&request.body())).await {
        Ok((_, bytes)) => {
            let refund = Refund::parse(&bytes).map_err(ApiError::upstream)?;
            if refund.out_refund_no != out_refund_no {
                return Err(ApiError::upstream("WeChat Pay answered for another refund number"));
            }
            apply(ctx, &row, &refund.status, refund.refund_id.as_deref()).await?;
            crate::shared::stats::count(&order.appid, crate::shared::stats::counter::REFUNDS, ctx.now);
            crate::log_info!("pay refund accepted app={} amount={} status={}", order.appid, row.amount, refund.status.as_str());
            answer(ctx, out_refund_no, row).await
        }
        Err(e) => {
            if create_error_released(&e) {
                // WeChat Pay refused it: nothing happened there, so the claim is given back
                // (and a retry under the same number is a new attempt).
                let sql = "DELETE FROM pay_refunds WHERE out_refund_no = ?1 AND refund_id IS NULL AND status = 'PROCESSING'";
                store::run(&ctx.env, "refund release", sql, &[text(out_refund_no)]).await?;
            } else {
                crate::log_warn!("pay refund outcome unknown ({}); a retry re-sends it under the same number", e.code);
            }
            Err(e)
        }
    }
}

fn decide(
    state: OrderState,
    order: &OrderRow,
    refunds: &[RefundRow],
    out_refund_no: &str,
    amount: u64,
) -> ApiResult<RefundDecision> {
    let statuses: Vec<RefundStatus> = refunds.iter().map(|r| RefundStatus::parse(&r.status)).collect();
    let existing: Vec<ExistingRefund<'_>> = refunds
        .iter()
        .zip(&statuses)
        .map(|(r, status)| ExistingRefund { out_refund_no: &r.out_refund_no, amount: r.amount, status })
        .collect();
    check_refund(state, order.amount, &existing, out_refund_no, amount)
}

/// The claim: the refund row, inserted only while the order is paid and the refunds not closed
/// still fit in `paid` with this one. False when it was not inserted.
async fn claim(ctx: &Ctx, row: &RefundRow, paid: u64) -> ApiResult<bool> {
    let sql = "INSERT INTO pay_refunds (out_refund_no, out_trade_no, amount, reason, status, created_at, updated_at) \
               SELECT ?1, ?2, ?3, ?4, 'PROCESSING', ?5, ?5 \
               WHERE EXISTS (SELECT 1 FROM pay_orders WHERE out_trade_no = ?2 AND state IN ('paid', 'refunded')) \
               AND (SELECT COALESCE(SUM(amount), 0) FROM pay_refunds WHERE out_trade_no = ?2 AND status != 'CLOSED') + ?3 <= ?6 \
               ON CONFLICT (out_refund_no) DO NOTHING";
    let args = [
        text(&row.out_refund_no),
        text(&row.out_trade_no),
        number(row.amount),
        optional(row.reason.as_deref()),
        number(ctx.now),
        number(paid),
    ];
    Ok(store::run(&ctx.env, "refund claim", sql, &args).await? == 1)
}

/// Records what WeChat Pay says of a refund: its id, and its status once (from PROCESSING or
/// ABNORMAL to another status; a final SUCCESS or CLOSED never moves). Then the order's
/// `refunded` and state are recomputed. True when the status changed here.
async fn apply(ctx: &Ctx, row: &RefundRow, status: &RefundStatus, refund_id: Option<&str>) -> ApiResult<bool> {
    if refund_id.is_some() {
        let sql = "UPDATE pay_refunds SET refund_id = ?2, updated_at = ?3 WHERE out_refund_no = ?1 AND refund_id IS NULL";
        store::run(&ctx.env, "refund id", sql, &[text(&row.out_refund_no), optional(refund_id), number(ctx.now)]).await?;
    }
    let changed = match status {
        RefundStatus::Success | RefundStatus::Closed | RefundStatus::Abnormal => {
            let sql = "UPDATE pay_refunds SET status = ?2, updated_at = ?3 \
                       WHERE out_refund_no = ?1 AND status IN ('PROCESSING', 'ABNORMAL') AND status != ?2";
            store::run(&ctx.env, "refund status", sql, &[text(&row.out_refund_no), text(status.as_str()), number(ctx.now)])
                .await?
                == 1
        }
        RefundStatus::Processing | RefundStatus::Other(_) => false,
    };
    if changed {
        crate::log_info!("pay refund {} of an order of {} fen", status.as_str(), row.amount);
    }
    recompute_order(ctx, &row.out_trade_no).await?;
    Ok(changed)
}

/// The order's `refunded` is the sum of its successful refunds; a paid order refunded in full
/// becomes `refunded` (and a `refunded` one whose sum fell, which cannot happen at WeChat Pay,
/// is left as it is). Recomputed, not incremented: running it twice changes nothing.
async fn recompute_order(ctx: &Ctx, out_trade_no: &str) -> ApiResult<()> {
    let sql = "UPDATE pay_orders SET \
               refunded = (SELECT COALESCE(SUM(amount), 0) FROM pay_refunds WHERE out_trade_no = ?1 AND status = 'SUCCESS'), \
               state = CASE WHEN state = 'paid' AND \
                 (SELECT COALESCE(SUM(amount), 0) FROM pay_refunds WHERE out_trade_no = ?1 AND status = 'SUCCESS') >= amount \
                 THEN 'refunded' ELSE state END, \
               updated_at = ?2 \
               WHERE out_trade_no = ?1 AND state IN ('paid', 'refunded') AND (refunded != \
                 (SELECT COALESCE(SUM(amount), 0) FROM pay_refunds WHERE out_trade_no = ?1 AND status = 'SUCCESS') \
                 OR (state = 'paid' AND refunded >= amount))";
    store::run(&ctx.env, "order refunded", sql, &[text(out_trade_no), number(ctx.now)]).await.map(drop)
}

/// `GET /internal/pay/refunds/{out_refund_no}` → `{"refund": ours, "order", "wechat": WeChat
/// Pay's query}`; a status change the query shows and we missed (a lost notify) is applied.
pub async fn get(ctx: &Ctx, req: &Request, param: Option<&str>) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let out_refund_no = param.unwrap_or("");
    fields::out_refund_no("out_refund_no", out_refund_no)?;
    let row = refund_row(ctx, out_refund_no).await?.ok_or_else(|| ApiError::new(404, "refund_not_found", "no such refund"))?;
    let order = store::order(&ctx.env, &row.out_trade_no).await?.ok_or_else(not_found_order)?;
    let app = ctx.config.app(Some(&order.appid))?;
    let m = merchant(ctx, &app).await?;
    let wechat = match query(ctx, &m, &row).await {
        Ok(refund) => {
            let amount = refund.amount.as_ref().and_then(|a| a.refund);
            if refund.out_refund_no == row.out_refund_no
                && refund.out_trade_no.as_deref().is_none_or(|n| n == row.out_trade_no)
                && amount == Some(row.amount)
            {
                apply(ctx, &row, &refund.status, refund.refund_id.as_deref()).await?;
            } else {
                crate::log_error!("WeChat Pay reports a refund with other values: not applied");
            }
            json!({
                "status": refund.status.as_str(), "refund_id": refund.refund_id, "amount": amount,
                "success_time": refund.success_time, "create_time": refund.create_time, "channel": refund.channel,
            })
        }
        Err(e) => json!({ "error": e.body()["error"] }),
    };
    let row = refund_row(ctx, out_refund_no).await?.unwrap_or(row);
    let order = store::order(&ctx.env, &row.out_trade_no).await?.unwrap_or(order);
    json(
        200,
        &json!({
            "refund": refund_view(&row),
            "order": { "out_trade_no": order.out_trade_no, "amount": order.amount, "refunded": order.refunded, "state": order.state },
            "wechat": wechat,
        }),
    )
}

async fn query(ctx: &Ctx, m: &Merchant, row: &RefundRow) -> ApiResult<Refund> {
    let path = query_path(&row.out_refund_no)?;
    let (_, body) = m.call(ctx, Method::Get, &path, None).await?;
    Refund::parse(&body).map_err(ApiError::upstream)
}

/// A `REFUND.SUCCESS` / `REFUND.ABNORMAL` / `REFUND.CLOSED` notify (its signature verified by
/// the notify route): decrypted, checked against our refund, applied once. `Err` of the outer
/// result is our storage failing (WeChat retries); the inner error is what is refused.
pub async fn refund_notify(ctx: &Ctx, m: &Merchant, notify: &Notify) -> ApiResult<Result<(), NotifyError>> {
    let sealed = match notify.resource.sealed() {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let Some(plain) = m.open(&sealed.nonce, &sealed.aad, &sealed.ciphertext).await else {
        return Ok(Err(NotifyError::Decrypt));
    };
    let notice = match RefundNotice::parse(&plain) {
        Ok(n) => n,
        Err(e) => return Ok(Err(NotifyError::Plaintext(e))),
    };
    let Some(row) = refund_row(ctx, &notice.out_refund_no).await? else {
        return Ok(Err(NotifyError::UnknownOrder));
    };
    let Some(order) = store::order(&ctx.env, &row.out_trade_no).await? else {
        return Ok(Err(NotifyError::UnknownOrder));
    };
    if order.appid != m.appid {
        return Ok(Err(NotifyError::Mismatch("appid")));
    }
    let notice = match check_refund_notice(&plain, &order.mchid, &row.out_trade_no, &row.out_refund_no, row.amount) {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    let announced = match notify.event() {
        crate::pay::notify::Event::RefundSuccess => RefundStatus::Success,
        crate::pay::notify::Event::RefundAbnormal => RefundStatus::Abnormal,
        crate::pay::notify::Event::RefundClosed => RefundStatus::Closed,
        _ => notice.refund_status.clone(),
    };
    if announced != notice.refund_status {
        return Ok(Err(NotifyError::Mismatch("refund_status")));
    }
    apply(ctx, &row, &notice.refund_status, notice.refund_id.as_deref()).await?;
    Ok(Ok(()))
}
