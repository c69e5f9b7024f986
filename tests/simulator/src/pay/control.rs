//! The `/_sim/pay/` control routes: merchants, settings, the platform keys, a user paying (the
//! stand-in for `wx.requestPayment`, checking `paySign` as WeChat's client does), notifies sent
//! again on purpose, the notify log, refunds settled by hand, and what orders look like.

use super::keys::{self, PUBLIC_KEY_ID};
use super::merchant::{KeyMode, MerchantConfig};
use super::notify::{self, Tamper};
use super::refunds;
use super::store::{Settings, TradeState};
use crate::control::{parse, query, Ctl, CtlError};
use crate::state::{Sim, State};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

pub fn routes() -> Router<Arc<Sim>> {
    Router::new()
        .route("/_sim/pay/keys", get(platform_keys))
        .route("/_sim/pay/merchants", get(merchants).post(add_merchant))
        .route("/_sim/pay/settings", get(settings).post(update_settings))
        .route("/_sim/pay/orders", get(orders))
        .route("/_sim/pay/pay", post(pay))
        .route("/_sim/pay/notify", post(notify_again))
        .route("/_sim/pay/notifies", get(notifies))
        .route("/_sim/pay/notifies/clear", post(notifies_clear))
        .route("/_sim/pay/refunds/settle", post(settle_refund))
        .route("/_sim/pay/shipping/confirm", post(super::shipping::confirm))
}

/// `GET /_sim/pay/keys`: what a merchant downloads from the merchant platform.
async fn platform_keys() -> Json<Value> {
    Json(json!({
        "public_key_id": PUBLIC_KEY_ID,
        "public_key_pem": keys::PUBLIC_KEY_PEM,
        "certificate_serial": keys::CERTIFICATE_SERIAL,
        "certificate_pem": keys::CERTIFICATE_PEM,
    }))
}

fn merchant_json(state: &State, mchid: &str) -> Value {
    match state.pay.merchants.get(mchid) {
        Some(m) => json!({
            "mchid": m.config.mchid,
            "serial": m.config.serial,
            "mode": m.config.mode.name(),
            "appids": m.config.appids,
            "refund_notify_url": m.config.refund_notify_url,
        }),
        None => Value::Null,
    }
}

async fn merchants(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    let state = sim.lock();
    let list: Vec<Value> = state.pay.merchants.keys().map(|m| merchant_json(&state, m)).collect();
    Json(json!({ "merchants": list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AddMerchant {
    mchid: String,
    apiv3_key: String,
    serial: String,
    public_key_pem: String,
    #[serde(default)]
    appids: Vec<String>,
    #[serde(default)]
    mode: KeyMode,
    refund_notify_url: Option<String>,
}

/// `POST /_sim/pay/merchants`: adds (or replaces) a merchant.
async fn add_merchant(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: AddMerchant = parse(&body)?;
    let mut state = sim.lock();
    if let Some(unknown) = req.appids.iter().find(|a| !state.apps.contains_key(*a)) {
        return Err(CtlError::bad(format!("appid {unknown:?} is no configured app")));
    }
    let config = MerchantConfig {
        mchid: req.mchid.clone(),
        apiv3_key: req.apiv3_key,
        serial: req.serial.to_ascii_uppercase(),
        public_key_pem: req.public_key_pem,
        appids: req.appids,
        mode: req.mode,
        refund_notify_url: req.refund_notify_url,
    };
    state.pay.add_merchant(config).map_err(CtlError::bad)?;
    Ok(Json(merchant_json(&state, &req.mchid)))
}

async fn settings(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    Json(json!(sim.lock().pay.settings))
}

/// `POST /_sim/pay/settings`: merges the fields given.
async fn update_settings(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let Value::Object(changes) = parse::<Value>(&body)? else {
        return Err(CtlError::bad("settings must be a JSON object"));
    };
    let mut state = sim.lock();
    let mut merged = json!(state.pay.settings);
    if let Value::Object(current) = &mut merged {
        current.extend(changes);
    }
    let settings: Settings = serde_json::from_value(merged).map_err(|e| CtlError::bad(format!("bad settings: {e}")))?;
    settings.validate().map_err(CtlError::bad)?;
    state.pay.settings = settings;
    Ok(Json(json!(state.pay.settings)))
}

/// `GET /_sim/pay/orders?mchid=&out_trade_no=`: orders as WeChat Pay holds them.
async fn orders(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Json<Value> {
    let q = query(raw);
    let now = sim.clock.now();
    let mut state = sim.lock();
    state.pay.expire(now);
    let list: Vec<Value> = state
        .pay
        .orders
        .values()
        .filter(|o| q.get("mchid").is_none_or(|m| *m == o.mchid) && q.get("out_trade_no").is_none_or(|n| *n == o.out_trade_no))
        .map(|o| {
            json!({
                "mchid": o.mchid, "appid": o.appid, "out_trade_no": o.out_trade_no, "trade_state": o.state.name(),
                "transaction_id": o.transaction_id, "prepay_id": o.prepay_id, "total": o.total, "openid": o.openid,
                "notify_url": o.notify_url, "created_at": o.created_at, "expires_at": o.expires_at, "shipping": o.shipping,
            })
        })
        .collect();
    Json(json!({ "orders": list }))
}

/// The merchant of an order when the request leaves `mchid` out: the one order with that number.
fn order_merchant(state: &State, mchid: Option<&str>, out_trade_no: &str) -> Result<String, CtlError> {
    if let Some(m) = mchid {
        return Ok(m.to_string());
    }
    let mut owners = state.pay.orders.keys().filter(|(_, no)| no == out_trade_no).map(|(m, _)| m.clone());
    match (owners.next(), owners.next()) {
        (Some(m), None) => Ok(m),
        (None, _) => Err(CtlError::not_found(format!("no order {out_trade_no:?}"))),
        (Some(_), Some(_)) => Err(CtlError::bad("several merchants have that out_trade_no: give mchid")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PayBody {
    out_trade_no: String,
    mchid: Option<String>,
    #[serde(rename = "paySign")]
    pay_sign: Option<String>,
    #[serde(rename = "timeStamp")]
    timestamp: Option<String>,
    #[serde(rename = "nonceStr")]
    nonce: Option<String>,
    package: Option<String>,
    #[serde(rename = "signType")]
    sign_type: Option<String>,
    #[serde(rename = "appId")]
    appid: Option<String>,
    /// Pay, but send no notify (the reconciliation case).
    #[serde(default)]
    lose: bool,
    /// `success` (default) or `cancel` (the user backs out; the order stays NOTPAY).
    outcome: Option<String>,
}

/// `POST /_sim/pay/pay`: a user pays in the mini-program. With `paySign`, the parameters are
/// checked as WeChat's client does (merchant public key, the order's AppID and prepay_id); a
/// bad one is `{"ok": false, "errMsg": "requestPayment:fail …"}`. Then the order is paid and
/// the notify delivered (the answer waits for the first delivery; retries go on in the
/// background).
async fn pay(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: PayBody = parse(&body)?;
    let now = sim.clock.now();
    let fail = |why: &str| Ok(Json(json!({"ok": false, "errMsg": format!("requestPayment:fail {why}")})));
    let (mchid, transaction_id) = {
        let mut guard = sim.lock();
        let state = &mut *guard;
        state.pay.expire(now);
        let mchid = order_merchant(state, req.mchid.as_deref(), &req.out_trade_no)?;
        let merchant = state.pay.merchants.get(&mchid).cloned().ok_or_else(|| CtlError::bad("no such merchant"))?;
        let key = (mchid.clone(), req.out_trade_no.clone());
        let order = state.pay.orders.get(&key).ok_or_else(|| CtlError::not_found("no such order"))?;
        if let Some(pay_sign) = &req.pay_sign {
            let appid = req.appid.clone().unwrap_or_else(|| order.appid.clone());
            let (Some(timestamp), Some(nonce), Some(package)) = (&req.timestamp, &req.nonce, &req.package) else {
                return fail("timeStamp, nonceStr and package are required with paySign");
            };
            if req.sign_type.as_deref().is_some_and(|t| t != "RSA") {
                return fail("signType must be RSA for APIv3");
            }
            if appid != order.appid {
                return fail("appId is not the order's mini-program");
            }
            if *package != format!("prepay_id={}", order.prepay_id) || now >= order.prepay_expires_at {
                return fail("package is not the order's current prepay_id=…");
            }
            let message = format!("{appid}\n{timestamp}\n{nonce}\n{package}\n");
            if !keys::verify(&merchant.public_key, message.as_bytes(), pay_sign) {
                return fail("paySign is invalid (支付验证签名失败)");
            }
        }
        match order.state {
            TradeState::NotPay => {}
            TradeState::Closed => return fail("the order is closed (订单已关闭)"),
            TradeState::Success | TradeState::Refund => return fail("the order is paid already (订单已支付)"),
        }
        if req.outcome.as_deref() == Some("cancel") {
            return fail("cancel");
        }
        let transaction_id = super::orders::transaction_id(&mut state.rng);
        let order = state.pay.orders.get_mut(&key).ok_or_else(|| CtlError::not_found("no such order"))?;
        order.state = TradeState::Success;
        order.transaction_id = Some(transaction_id.clone());
        order.success_time = Some(now);
        order.shipping.order_state = 1;
        (mchid, transaction_id)
    };
    let delivery = if req.lose {
        None
    } else {
        let job = notify::payment_job(&mut sim.lock(), &mchid, &req.out_trade_no, None, now).map_err(CtlError::bad)?;
        Some(notify::deliver(sim.clone(), job).await)
    };
    Ok(Json(json!({"ok": true, "errMsg": "requestPayment:ok", "transaction_id": transaction_id, "notify": delivery})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotifyAgain {
    out_trade_no: Option<String>,
    mchid: Option<String>,
    out_refund_no: Option<String>,
    times: Option<u32>,
    #[serde(default)]
    concurrent: bool,
    tamper: Option<Tamper>,
}

/// `POST /_sim/pay/notify`: the notify of a paid order (or, with `out_refund_no`, of a settled
/// refund) delivered `times` more times, without retries, maybe all at once, maybe spoiled.
async fn notify_again(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: NotifyAgain = parse(&body)?;
    let times = req.times.unwrap_or(1);
    if !(1..=10).contains(&times) {
        return Err(CtlError::bad("times must be 1..=10"));
    }
    let now = sim.clock.now();
    let job = {
        let mut state = sim.lock();
        match (&req.out_refund_no, &req.out_trade_no) {
            (Some(no), _) => {
                let mchid = req.mchid.clone().or_else(|| state.pay.refunds.keys().find(|(_, n)| n == no).map(|(m, _)| m.clone()));
                let mchid = mchid.ok_or_else(|| CtlError::not_found("no such refund"))?;
                let refund =
                    state.pay.refunds.get(&(mchid, no.clone())).cloned().ok_or_else(|| CtlError::not_found("no such refund"))?;
                let url = refund.notify_url.clone().ok_or_else(|| CtlError::bad("the refund has no notify URL"))?;
                notify::refund_job(&mut state, &refund, &url, req.tamper, now).map_err(CtlError::bad)?
            }
            (None, Some(no)) => {
                let mchid = order_merchant(&state, req.mchid.as_deref(), no)?;
                notify::payment_job(&mut state, &mchid, no, req.tamper, now).map_err(CtlError::bad)?
            }
            (None, None) => return Err(CtlError::bad("out_trade_no or out_refund_no is required")),
        }
    };
    let deliveries = notify::deliver_copies(sim.clone(), job, times, req.concurrent).await;
    Ok(Json(json!({ "deliveries": deliveries })))
}

/// `GET /_sim/pay/notifies?out_trade_no=&event_type=`: every delivery, oldest first.
async fn notifies(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Json<Value> {
    let q = query(raw);
    let state = sim.lock();
    let list: Vec<&super::store::NotifyAttempt> = state
        .pay
        .notifies
        .iter()
        .filter(|n| q.get("out_trade_no").is_none_or(|o| *o == n.out_trade_no))
        .filter(|n| q.get("event_type").is_none_or(|e| *e == n.event_type))
        .collect();
    Json(json!({ "notifies": list }))
}

async fn notifies_clear(Shared(sim): Shared<Arc<Sim>>) -> Json<Value> {
    sim.lock().pay.notifies.clear();
    Json(json!({"ok": true}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Settle {
    out_refund_no: String,
    mchid: Option<String>,
    status: String,
    tamper: Option<Tamper>,
}

/// `POST /_sim/pay/refunds/settle {"out_refund_no","status": "SUCCESS"|"ABNORMAL"|"CLOSED"}`.
async fn settle_refund(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: Settle = parse(&body)?;
    let status = match req.status.as_str() {
        "SUCCESS" => "SUCCESS",
        "ABNORMAL" => "ABNORMAL",
        "CLOSED" => "CLOSED",
        _ => return Err(CtlError::bad("status must be SUCCESS, ABNORMAL or CLOSED")),
    };
    let mchid = {
        let state = sim.lock();
        let found = state.pay.refunds.keys().find(|(m, n)| *n == req.out_refund_no && req.mchid.as_ref().is_none_or(|x| x == m));
        found.map(|(m, _)| m.clone()).ok_or_else(|| CtlError::not_found("no such refund"))?
    };
    refunds::settle(sim, &mchid, &req.out_refund_no, status, req.tamper).await.map(Json).map_err(CtlError::bad)
}
