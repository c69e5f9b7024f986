//! Refunds (wechat-pay.md §6, §10 item 10): `POST /v3/refund/domestic/refunds` (idempotent on
//! `out_refund_no`, never more than was paid, at most 50 per order, only paid orders within
//! 365 days), `GET …/refunds/{out_refund_no}`, and the refund's end: `PROCESSING` →
//! SUCCESS/ABNORMAL/CLOSED after a (scaled) delay or by a test, then the `REFUND.*` notify.

use super::fields;
use super::merchant::Merchant;
use super::notify::{self, Tamper};
use super::store::{RefundRecord, TradeState};
use super::wire::{PayErr, PayReply, PayRequest};
use crate::state::{Sim, State};
use rand::Rng;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

const MAX_REFUNDS: usize = 50;
const REFUND_WINDOW: i64 = 365 * 86_400;

/// A refund to finish after the answer: which, and when.
pub struct Completion {
    pub mchid: String,
    pub out_refund_no: String,
    pub delay_ms: u64,
    pub status: &'static str,
}

pub fn create(state: &mut State, req: &PayRequest, merchant: &Merchant, now: i64) -> Result<PayReply, PayErr> {
    let body = fields::object(&req.body)?;
    let transaction_id = fields::opt_str(&body, "transaction_id", "/transaction_id")?;
    let out_trade_no = fields::opt_str(&body, "out_trade_no", "/out_trade_no")?;
    let out_refund_no = fields::str(&body, "out_refund_no", "/out_refund_no")?;
    fields::charset(out_refund_no, 1, 64, b"_-|*@", "/out_refund_no")?;
    if let Some(reason) = fields::opt_str(&body, "reason", "/reason")? {
        fields::text(reason, 80, "/reason")?;
    }
    let notify_url = fields::opt_str(&body, "notify_url", "/notify_url")?;
    if let Some(url) = notify_url {
        fields::notify_url(url, 256, "/notify_url")?;
    }
    let amount = fields::object_at(&body, "amount", "/amount", true)?.ok_or_else(|| PayErr::param("/amount", "为必填参数"))?;
    let refund = fields::int(amount, "refund", "/amount/refund")?.ok_or_else(|| PayErr::param("/amount/refund", "为必填参数"))?;
    let total = fields::int(amount, "total", "/amount/total")?.ok_or_else(|| PayErr::param("/amount/total", "为必填参数"))?;
    match fields::opt_str(amount, "currency", "/amount/currency")? {
        Some("CNY") => {}
        Some(_) => return Err(PayErr::param("/amount/currency", "Currency code is invalid")),
        None => return Err(PayErr::param("/amount/currency", "为必填参数")),
    }
    if refund < 1 {
        return Err(PayErr::param("/amount/refund", "退款金额必须大于0"));
    }

    let mchid = merchant.config.mchid.clone();
    let key = (mchid.clone(), out_refund_no.to_string());
    let params = Value::Object(body.clone());
    if let Some(existing) = state.pay.refunds.get(&key) {
        // Same number, same request: the same refund (retry a failed one with the same number).
        if existing.params != params {
            return Err(PayErr::new(400, "INVALID_REQUEST", "退款单号重复，且与原退款请求参数不一致"));
        }
        return Ok(PayReply::json(&refund_json(existing), merchant));
    }
    let order = match (transaction_id, out_trade_no) {
        (Some(id), _) => state.pay.order_by_transaction(&mchid, id),
        (None, Some(no)) => state.pay.orders.get(&(mchid.clone(), no.to_string())),
        (None, None) => return Err(PayErr::param("/out_trade_no", "transaction_id和out_trade_no必须二选一")),
    };
    let order = order.ok_or_else(|| PayErr::new(404, "RESOURCE_NOT_EXISTS", "订单不存在"))?;
    if !order.state.paid() {
        return Err(PayErr::new(403, "TRADE_ERROR", "订单未支付，不能退款"));
    }
    if total != order.total as i64 {
        return Err(PayErr::param("/amount/total", "订单金额与原订单金额不一致"));
    }
    if order.success_time.is_some_and(|t| now - t > REFUND_WINDOW) {
        return Err(PayErr::new(400, "INVALID_REQUEST", "订单已超过退款期限"));
    }
    let existing: Vec<&RefundRecord> =
        state.pay.refunds.values().filter(|r| r.mchid == mchid && r.out_trade_no == order.out_trade_no).collect();
    if existing.len() >= MAX_REFUNDS {
        return Err(PayErr::new(403, "RULE_LIMIT", "退款次数超过限制(50)"));
    }
    let held: i64 = existing.iter().filter(|r| r.status != "CLOSED").map(|r| r.refund as i64).sum();
    if held + refund > order.total as i64 {
        return Err(PayErr::new(403, "NOT_ENOUGH", "申请退款金额超过订单可退金额"));
    }
    let (out_trade_no, transaction_id) = (order.out_trade_no.clone(), order.transaction_id.clone().unwrap_or_default());
    let notify_url = notify_url.map(str::to_string).or_else(|| merchant.config.refund_notify_url.clone());
    let record = RefundRecord {
        mchid: mchid.clone(),
        out_refund_no: out_refund_no.to_string(),
        refund_id: format!("50{}", (0..27).map(|_| char::from(b'0' + state.rng.gen_range(0..10u8))).collect::<String>()),
        out_trade_no: out_trade_no.clone(),
        transaction_id,
        refund: refund as u64,
        total: total as u64,
        params,
        notify_url,
        status: "PROCESSING",
        created_at: now,
        success_time: None,
    };
    let answer = refund_json(&record);
    state.pay.refunds.insert(key, record);
    if let Some(order) = state.pay.orders.get_mut(&(mchid.clone(), out_trade_no)) {
        order.state = TradeState::Refund;
        // A refund request ends the shipping flow (order_state 5 已退款).
        order.shipping.order_state = 5;
    }
    let settings = &state.pay.settings;
    let after = match settings.refund_outcome.as_str() {
        "SUCCESS" => Some("SUCCESS"),
        "ABNORMAL" => Some("ABNORMAL"),
        "CLOSED" => Some("CLOSED"),
        _ => None,
    }
    .map(|status| Completion {
        mchid,
        out_refund_no: out_refund_no.to_string(),
        delay_ms: (settings.refund_delay_ms as f64 * settings.time_scale) as u64,
        status,
    });
    let mut reply = PayReply::json(&answer, merchant);
    reply.after = after;
    Ok(reply)
}

/// `GET /v3/refund/domestic/refunds/{out_refund_no}`.
pub fn query(state: &State, merchant: &Merchant, out_refund_no: &str) -> Result<PayReply, PayErr> {
    let refund = state
        .pay
        .refunds
        .get(&(merchant.config.mchid.clone(), out_refund_no.to_string()))
        .ok_or_else(|| PayErr::new(404, "RESOURCE_NOT_EXISTS", "退款单不存在"))?;
    Ok(PayReply::json(&refund_json(refund), merchant))
}

/// The Refund of §6 (create and query answers; `status`, not `refund_status`).
pub fn refund_json(r: &RefundRecord) -> Value {
    let mut v = json!({
        "refund_id": r.refund_id,
        "out_refund_no": r.out_refund_no,
        "transaction_id": r.transaction_id,
        "out_trade_no": r.out_trade_no,
        "channel": "ORIGINAL",
        "user_received_account": "支付用户零钱",
        "create_time": super::fields::beijing(r.created_at),
        "status": r.status,
        "funds_account": "AVAILABLE",
        "amount": {"total": r.total, "refund": r.refund, "payer_total": r.total, "payer_refund": r.refund,
                   "settlement_total": r.total, "settlement_refund": r.refund, "discount_refund": 0, "currency": "CNY", "from": []},
        "promotion_detail": [],
    });
    if let Some(at) = r.success_time {
        v["success_time"] = json!(super::fields::beijing(at));
    }
    v
}

/// Ends a refund: sets its status and sends the `REFUND.*` notify to its notify URL (the
/// request's, else the merchant's configured one; none, no notify). Answers the refund.
pub async fn settle(
    sim: Arc<Sim>,
    mchid: &str,
    out_refund_no: &str,
    status: &'static str,
    tamper: Option<Tamper>,
) -> Result<Value, String> {
    let now = sim.clock.now();
    let job = {
        let mut state = sim.lock();
        let key = (mchid.to_string(), out_refund_no.to_string());
        let refund = state.pay.refunds.get_mut(&key).ok_or("no such refund")?;
        if refund.status != "PROCESSING" && refund.status != status {
            return Err(format!("the refund is {} already", refund.status));
        }
        refund.status = status;
        if status == "SUCCESS" && refund.success_time.is_none() {
            refund.success_time = Some(now);
        }
        let refund = refund.clone();
        match refund.notify_url.clone() {
            Some(url) => Some(notify::refund_job(&mut state, &refund, &url, tamper, now)?),
            None => None,
        }
    };
    let delivery = match job {
        Some(job) => Some(notify::deliver(sim.clone(), job).await),
        None => None,
    };
    let state = sim.lock();
    let refund = state.pay.refunds.get(&(mchid.to_string(), out_refund_no.to_string())).ok_or("no such refund")?;
    Ok(json!({"refund": refund_json(refund), "notify": delivery}))
}

/// Runs [`settle`] after the answer has gone out.
pub fn complete_later(sim: Arc<Sim>, completion: Completion) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(completion.delay_ms)).await;
        let _ = settle(sim, &completion.mchid, &completion.out_refund_no, completion.status, None).await;
    });
}
