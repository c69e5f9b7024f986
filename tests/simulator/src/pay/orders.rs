//! Orders (wechat-pay.md §3, §4, §10 items 3, 5, 7): `POST /v3/pay/transactions/jsapi` with
//! WeChat's checks, re-orders (same parameters → the current prepay_id, other parameters →
//! "201 商户订单号重复"), queries by either number, and close. Also the Transaction JSON
//! the query answers and the payment notify carries.

use super::fields::{self, Body};
use super::merchant::Merchant;
use super::store::{Order, Shipping, TradeState, DEFAULT_ORDER_LIFETIME, PREPAY_LIFETIME};
use super::wire::{PayErr, PayReply, PayRequest};
use crate::state::State;
use rand::Rng;
use serde_json::{json, Value};

const ORDER_FIELDS: &[&str] = &[
    "appid",
    "mchid",
    "description",
    "out_trade_no",
    "time_expire",
    "attach",
    "notify_url",
    "goods_tag",
    "support_fapiao",
    "amount",
    "payer",
    "detail",
    "scene_info",
    "settle_info",
];

/// `POST /v3/pay/transactions/jsapi` → `200 {"prepay_id"}`.
pub fn jsapi(state: &mut State, req: &PayRequest, merchant: &Merchant, now: i64) -> Result<PayReply, PayErr> {
    let body = fields::object(&req.body)?;
    if state.pay.settings.reject_unknown_fields {
        fields::known(&body, ORDER_FIELDS, "")?;
    }
    let order = validate(state, &body, merchant, now)?;
    let key = (order.mchid.clone(), order.out_trade_no.clone());
    let params = Value::Object(body.clone());
    if let Some(existing) = state.pay.orders.get_mut(&key) {
        if existing.params != params {
            return Err(PayErr::new(400, "INVALID_REQUEST", "201 商户订单号重复 (订单重入时，要求参数值与原请求一致)"));
        }
        match existing.state {
            TradeState::Success | TradeState::Refund => return Err(PayErr::new(400, "ORDER_PAID", "订单已支付")),
            TradeState::Closed => return Err(PayErr::new(400, "ORDER_CLOSED", "订单已关闭")),
            TradeState::NotPay => {}
        }
        // The same order again: its current prepay_id, a new one once the old is past its 2 h.
        if now >= existing.prepay_expires_at {
            existing.prepay_id = prepay_id(&mut state.rng);
            existing.prepay_expires_at = now + PREPAY_LIFETIME;
        }
        let id = existing.prepay_id.clone();
        return Ok(PayReply::json(&json!({ "prepay_id": id }), merchant));
    }
    let mut order = order;
    order.params = params;
    order.prepay_id = prepay_id(&mut state.rng);
    let id = order.prepay_id.clone();
    state.pay.orders.insert(key, order);
    Ok(PayReply::json(&json!({ "prepay_id": id }), merchant))
}

/// WeChat's field checks (§3), in the order of the field table.
fn validate(state: &State, body: &Body, merchant: &Merchant, now: i64) -> Result<Order, PayErr> {
    let appid = fields::str(body, "appid", "/appid")?;
    fields::charset(appid, 1, 32, b"", "/appid")?;
    let mchid = fields::str(body, "mchid", "/mchid")?;
    let description = fields::str(body, "description", "/description")?;
    fields::text(description, 127, "/description")?;
    let out_trade_no = fields::str(body, "out_trade_no", "/out_trade_no")?;
    fields::charset(out_trade_no, 6, 32, b"_-|*", "/out_trade_no")?;
    let expires_at = match fields::opt_str(body, "time_expire", "/time_expire")? {
        None => now + DEFAULT_ORDER_LIFETIME,
        // Earlier than a minute from now is raised to it; later than 90 days clipped (§3).
        Some(t) => fields::parse_time(t)
            .ok_or_else(|| PayErr::param("/time_expire", "格式错误(RFC 3339)"))?
            .clamp(now + 60, now + 90 * 86_400),
    };
    let attach = fields::opt_str(body, "attach", "/attach")?;
    if let Some(a) = attach {
        fields::text(a, 128, "/attach")?;
    }
    let notify_url = fields::str(body, "notify_url", "/notify_url")?;
    fields::notify_url(notify_url, 255, "/notify_url")?;
    let amount = fields::object_at(body, "amount", "/amount", true)?.ok_or_else(|| PayErr::param("/amount", "为必填参数"))?;
    let total = fields::int(amount, "total", "/amount/total")?.ok_or_else(|| PayErr::param("/amount/total", "为必填参数"))?;
    if total < 1 {
        return Err(PayErr::param("/amount/total", "金额必须大于0"));
    }
    if let Some(currency) = fields::opt_str(amount, "currency", "/amount/currency")? {
        if currency != "CNY" {
            return Err(PayErr::param("/amount/currency", "Currency code is invalid"));
        }
    }
    let payer = fields::object_at(body, "payer", "/payer", false)?;
    let openid = payer.map(|p| fields::opt_str(p, "openid", "/payer/openid")).transpose()?.flatten().unwrap_or("");
    if openid.is_empty() {
        return Err(PayErr::new(400, "PARAM_ERROR", "JSAPI支付必须传openid (268501013)"));
    }
    fields::charset(openid, 1, 128, b"_-", "/payer/openid")?;

    let apps: Vec<String> = state.apps.keys().cloned().collect();
    if !state.apps.contains_key(appid) {
        return Err(PayErr::new(400, "PARAM_ERROR", "appid不存在"));
    }
    if !merchant.binds(appid, &apps) {
        return Err(PayErr::new(400, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配"));
    }
    // An openid WeChat knows under another app only is that app's user: 公众号 appid or an openid
    // of the wrong app (§11). Openids WeChat has never seen are taken as they come.
    let known_here = state.apps.get(appid).is_some_and(|a| a.users.contains_key(openid));
    let known_elsewhere = state.apps.iter().any(|(id, a)| id != appid && a.users.contains_key(openid));
    if known_elsewhere && !known_here {
        return Err(PayErr::new(400, "PARAM_ERROR", "openid和appid不匹配"));
    }
    Ok(Order {
        mchid: mchid.to_string(),
        appid: appid.to_string(),
        out_trade_no: out_trade_no.to_string(),
        description: description.to_string(),
        notify_url: notify_url.to_string(),
        total: total as u64,
        openid: openid.to_string(),
        attach: attach.map(str::to_string),
        params: Value::Null,
        created_at: now,
        expires_at,
        prepay_id: String::new(),
        prepay_expires_at: now + PREPAY_LIFETIME,
        state: TradeState::NotPay,
        transaction_id: None,
        success_time: None,
        notify_body: None,
        shipping: Shipping::default(),
    })
}

/// `GET …/out-trade-no/{no}?mchid=` or `…/id/{transaction_id}?mchid=` → Transaction.
pub fn query(
    state: &State,
    req: &PayRequest,
    merchant: &Merchant,
    out_trade_no: &str,
    transaction_id: Option<&str>,
) -> Result<PayReply, PayErr> {
    if req.param("mchid").is_none_or(str::is_empty) {
        return Err(PayErr::new(400, "PARAM_ERROR", "缺少参数mchid"));
    }
    let mchid = &merchant.config.mchid;
    let order = match transaction_id {
        Some(id) => state.pay.order_by_transaction(mchid, id),
        None => state.pay.orders.get(&(mchid.clone(), out_trade_no.to_string())),
    };
    let order = order.ok_or_else(|| PayErr::new(404, "ORDER_NOT_EXIST", "订单不存在"))?;
    Ok(PayReply::json(&transaction(order), merchant))
}

/// `POST …/out-trade-no/{no}/close` `{"mchid"}` → 204; again → 204; paid → "订单已支付".
pub fn close(state: &mut State, req: &PayRequest, merchant: &Merchant, out_trade_no: &str) -> Result<PayReply, PayErr> {
    let body = fields::object(&req.body)?;
    fields::str(&body, "mchid", "/mchid")?;
    let key = (merchant.config.mchid.clone(), out_trade_no.to_string());
    let order = state.pay.orders.get_mut(&key).ok_or_else(|| PayErr::new(404, "ORDER_NOT_EXIST", "订单不存在"))?;
    match order.state {
        TradeState::Success | TradeState::Refund => Err(PayErr::new(400, "ORDER_PAID", "订单已支付")),
        TradeState::NotPay | TradeState::Closed => {
            order.state = TradeState::Closed;
            Ok(PayReply::no_content(merchant))
        }
    }
}

/// The Transaction of §4: payment fields only once paid; `attach` echoed once paid.
pub fn transaction(order: &Order) -> Value {
    let mut tx = json!({
        "appid": order.appid,
        "mchid": order.mchid,
        "out_trade_no": order.out_trade_no,
        "trade_state": order.state.name(),
        "trade_state_desc": order.state.desc(),
        "amount": {"total": order.total, "currency": "CNY"},
    });
    if order.state.paid() {
        tx["transaction_id"] = json!(order.transaction_id);
        tx["trade_type"] = json!("JSAPI");
        tx["bank_type"] = json!("OTHERS");
        tx["attach"] = json!(order.attach.clone().unwrap_or_default());
        tx["success_time"] = json!(order.success_time.map(fields::beijing));
        tx["payer"] = json!({"openid": order.openid});
        tx["amount"] = json!({"total": order.total, "payer_total": order.total, "currency": "CNY", "payer_currency": "CNY"});
    }
    tx
}

/// `wx` + 34 characters, as real prepay_ids look (`wx201410272009395522657a690389285100`).
pub fn prepay_id(rng: &mut impl Rng) -> String {
    let digits: String = (0..24).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect();
    format!("wx{digits}{:010x}", rng.gen::<u64>() & 0xFF_FFFF_FFFF)
}

/// 28 digits starting `42000` (real ones do).
pub fn transaction_id(rng: &mut impl Rng) -> String {
    let digits: String = (0..23).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect();
    format!("42000{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn ids_have_wechats_shapes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let p = prepay_id(&mut rng);
        assert_eq!(p.len(), 36);
        assert!(p.starts_with("wx"));
        let t = transaction_id(&mut rng);
        assert_eq!(t.len(), 28);
        assert!(t.bytes().all(|b| b.is_ascii_digit()));
    }
}
