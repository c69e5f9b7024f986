//! `POST /internal/pay/shipping` (wechat-pay.md §7.1): the shipping information of a paid order,
//! validated before WeChat sees it, sent to the mini-program API `upload_shipping_info` through
//! the access-token helper, and recorded with the order.

use crate::pay::fields::{self, beijing_rfc3339};
use crate::pay::shipping::{shipping_error, OrderKey, ShippingInput, UploadShippingInfo, UPLOAD_SHIPPING_INFO_PATH};
use crate::pay::store::{self, number, text};
use crate::shared::errcode::Api;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::fields::{opt_str, required_str};
use crate::shared::http::{json, json_body, require_internal_key, Ctx};
use serde_json::json;
use worker::{Method, Request, Response};

const MAX_JSON: usize = 32 * 1024;

/// The errcodes of the shipping service whose meaning is its own (§7.4); the others (busy,
/// unauthorised, a stale token) keep the token helper's mapping.
fn shipping_specific(errcode: i64) -> bool {
    matches!(errcode, 10060001..=10060099 | 47001)
}

/// What WeChat said, out of a mapped error's message (`… (WeChat said: …)`).
fn wechat_said(message: &str) -> &str {
    message.rsplit_once("(WeChat said: ").and_then(|(_, said)| said.strip_suffix(')')).unwrap_or("")
}

/// `POST /internal/pay/shipping[?appid=]` `{out_trade_no, logistics_type, delivery_mode,
/// is_all_delivered?, shipping_list: [{item_desc, tracking_no?, express_company?, contact?}],
/// upload_time?}` → `{"out_trade_no", "shipped_at", "shipping"}`.
pub async fn upload(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let body = json_body(req, MAX_JSON).await?;
    let out_trade_no = required_str(&body, "out_trade_no")?;
    fields::out_trade_no("out_trade_no", out_trade_no)?;
    let order =
        store::order(&ctx.env, out_trade_no).await?.ok_or_else(|| ApiError::new(404, "order_not_found", "no such order"))?;
    if let Some(appid) = opt_str(&body, "appid")? {
        if appid != order.appid {
            return Err(ApiError::new(404, "order_not_found", "no such order"));
        }
    }
    let now = beijing_rfc3339(ctx.now as i64, Some(0));
    let input = ShippingInput::from_body(&body, OrderKey::by_out_trade_no(&order.mchid, out_trade_no), &order.openid, &now)?;
    let info = UploadShippingInfo::new(input)?;
    match order.state.as_str() {
        "paid" => {}
        "refunded" => return Err(ApiError::new(409, "order_refunded", "the order was refunded: there is nothing to ship")),
        _ => return Err(ApiError::new(409, "order_not_paid", "only a paid order can be shipped")),
    }
    let payload = serde_json::to_value(&info).map_err(|_| ApiError::internal("the shipping body did not serialise"))?;
    crate::token::call::call_json(ctx, &order.appid, Api::Generic, Method::Post, UPLOAD_SHIPPING_INFO_PATH, &[], Some(&payload))
        .await
        .map_err(|e| match e.wechat_errcode {
            Some(code) if shipping_specific(code) => shipping_error(code, wechat_said(&e.message)),
            _ => e,
        })?;
    let record = info.record().to_string();
    let sql = "UPDATE pay_orders SET shipping = ?2, shipped_at = CASE WHEN ?4 THEN ?3 ELSE shipped_at END, updated_at = ?3 \
               WHERE out_trade_no = ?1";
    let done = if info.completes() { number(1) } else { number(0) };
    store::run(&ctx.env, "order shipping", sql, &[text(out_trade_no), text(&record), number(ctx.now), done]).await?;
    crate::log_info!("pay shipping uploaded app={} logistics_type={}", order.appid, info.logistics_type);
    let shipped_at = if info.completes() { Some(ctx.now) } else { order.shipped_at };
    json(200, &json!({ "out_trade_no": out_trade_no, "shipped_at": shipped_at, "shipping": info.record() }))
}
