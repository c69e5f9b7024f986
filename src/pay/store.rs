//! The orders and refunds in D1 (`migrations/0002_pay.sql`). State changes are conditional
//! UPDATEs, so however many notifies (or queries) report a payment, one of them changes the
//! order; the caller learns which from the number of rows changed.

use crate::shared::error::{ApiError, ApiResult};
use crate::users::store::database;
use serde::{Deserialize, Serialize};
use wasm_bindgen::JsValue;
use worker::{D1Database, Env};

/// One order, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OrderRow {
    pub out_trade_no: String,
    pub appid: String,
    pub mchid: String,
    pub openid: String,
    pub description: String,
    pub amount: u64,
    pub origin: String,
    pub product_id: Option<String>,
    pub attach: Option<String>,
    pub request: String,
    pub prepay_id: Option<String>,
    pub prepay_at: Option<u64>,
    pub state: String,
    pub transaction_id: Option<String>,
    pub trade_state: Option<String>,
    pub paid_at: Option<u64>,
    pub refunded: u64,
    pub created_at: u64,
    pub updated_at: u64,
    pub next_query_at: Option<u64>,
    pub queries: u32,
    pub shipping: Option<String>,
    pub shipped_at: Option<u64>,
    pub shipping_events: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundRow {
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub amount: u64,
    pub reason: Option<String>,
    pub status: String,
    pub refund_id: Option<String>,
    pub created_at: u64,
    pub updated_at: u64,
}

fn failed(what: &str, e: worker::Error) -> ApiError {
    crate::log_warn!("D1 {what} failed: {e}");
    ApiError::unavailable(format!("the order store is unavailable ({what}); retry shortly"))
}

pub fn text(v: &str) -> JsValue {
    JsValue::from_str(v)
}

pub fn number(v: u64) -> JsValue {
    JsValue::from_f64(v as f64)
}

pub fn optional(v: Option<&str>) -> JsValue {
    v.map(JsValue::from_str).unwrap_or(JsValue::NULL)
}

/// Runs a statement; answers how many rows it changed.
pub async fn run(env: &Env, what: &str, sql: &str, args: &[JsValue]) -> ApiResult<u64> {
    let db: D1Database = database(env)?;
    let result = db.prepare(sql).bind(args).map_err(|e| failed(what, e))?.run().await.map_err(|e| failed(what, e))?;
    Ok(result.meta().ok().flatten().and_then(|m| m.changes).unwrap_or(0) as u64)
}

pub async fn rows<T: for<'de> Deserialize<'de>>(env: &Env, what: &str, sql: &str, args: &[JsValue]) -> ApiResult<Vec<T>> {
    let db: D1Database = database(env)?;
    let result = db.prepare(sql).bind(args).map_err(|e| failed(what, e))?.all().await.map_err(|e| failed(what, e))?;
    if let Some(error) = result.error() {
        crate::log_warn!("D1 {what} failed: {error}");
        return Err(ApiError::unavailable(format!("the order store is unavailable ({what}); retry shortly")));
    }
    result.results::<T>().map_err(|e| failed(what, e))
}

pub async fn order(env: &Env, out_trade_no: &str) -> ApiResult<Option<OrderRow>> {
    let found: Vec<OrderRow> =
        rows(env, "order lookup", "SELECT * FROM pay_orders WHERE out_trade_no = ?1", &[text(out_trade_no)]).await?;
    Ok(found.into_iter().next())
}

/// A new order row; false when one exists already under that number (the caller compares).
pub async fn insert_order(env: &Env, o: &OrderRow) -> ApiResult<bool> {
    let sql = "INSERT INTO pay_orders (out_trade_no, appid, mchid, openid, description, amount, origin, product_id, attach, \
               request, state, created_at, updated_at, next_query_at) \
               VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'created', ?11, ?11, ?12) ON CONFLICT (out_trade_no) DO NOTHING";
    let args = [
        text(&o.out_trade_no),
        text(&o.appid),
        text(&o.mchid),
        text(&o.openid),
        text(&o.description),
        number(o.amount),
        text(&o.origin),
        optional(o.product_id.as_deref()),
        optional(o.attach.as_deref()),
        text(&o.request),
        number(o.created_at),
        o.next_query_at.map(number).unwrap_or(JsValue::NULL),
    ];
    Ok(run(env, "order insert", sql, &args).await? == 1)
}

pub async fn set_prepay(env: &Env, out_trade_no: &str, prepay_id: &str, now: u64) -> ApiResult<()> {
    let sql = "UPDATE pay_orders SET prepay_id = ?2, prepay_at = ?3, updated_at = ?3 WHERE out_trade_no = ?1";
    run(env, "order prepay", sql, &[text(out_trade_no), text(prepay_id), number(now)]).await.map(drop)
}

/// created → paid, once: true for the one call that changed it.
pub async fn mark_paid(env: &Env, out_trade_no: &str, transaction_id: &str, now: u64) -> ApiResult<bool> {
    let sql = "UPDATE pay_orders SET state = 'paid', transaction_id = ?2, trade_state = 'SUCCESS', paid_at = ?3, \
               updated_at = ?3, next_query_at = NULL WHERE out_trade_no = ?1 AND state = 'created'";
    Ok(run(env, "order paid", sql, &[text(out_trade_no), text(transaction_id), number(now)]).await? == 1)
}

/// created → closed (our close, or WeChat's CLOSED / REVOKED / PAYERROR seen by a query).
pub async fn mark_closed(env: &Env, out_trade_no: &str, trade_state: &str, now: u64) -> ApiResult<bool> {
    let sql = "UPDATE pay_orders SET state = 'closed', trade_state = ?2, updated_at = ?3, next_query_at = NULL \
               WHERE out_trade_no = ?1 AND state = 'created'";
    Ok(run(env, "order closed", sql, &[text(out_trade_no), text(trade_state), number(now)]).await? == 1)
}

/// Reconciliation bookkeeping of an unpaid order: what WeChat said and when to ask again.
pub async fn queried(env: &Env, out_trade_no: &str, trade_state: &str, next: Option<u64>, now: u64) -> ApiResult<()> {
    let sql = "UPDATE pay_orders SET trade_state = ?2, queries = queries + 1, next_query_at = ?3, updated_at = ?4 \
               WHERE out_trade_no = ?1 AND state = 'created'";
    run(
        env,
        "order queried",
        sql,
        &[text(out_trade_no), text(trade_state), next.map(number).unwrap_or(JsValue::NULL), number(now)],
    )
    .await
    .map(drop)
}

/// Unpaid orders due for a reconciliation query, oldest first, at most `limit`.
pub async fn due_for_query(env: &Env, now: u64, limit: u32) -> ApiResult<Vec<OrderRow>> {
    let sql = "SELECT * FROM pay_orders WHERE state = 'created' AND next_query_at IS NOT NULL AND next_query_at <= ?1 \
               ORDER BY next_query_at LIMIT ?2";
    rows(env, "orders due", sql, &[number(now), number(u64::from(limit))]).await
}

pub async fn refunds_of(env: &Env, out_trade_no: &str) -> ApiResult<Vec<RefundRow>> {
    rows(env, "refund lookup", "SELECT * FROM pay_refunds WHERE out_trade_no = ?1 ORDER BY created_at", &[text(out_trade_no)])
        .await
}
