//! Shipping information management (发货信息管理, wechat-pay.md §7, §10 item 11): the
//! mini-program API `POST /wxa/sec/order/upload_shipping_info?access_token=` (token checked
//! like every other call), its rules and errcodes, the order's `order_state`, and a control
//! route standing for the user confirming receipt, which answers the `trade_manage_order_settlement`
//! push WeChat would send (to deliver with `/_sim/push`).

use super::store::{Order, TradeState};
use crate::control::{parse, Ctl, CtlError};
use crate::ids;
use crate::state::{Sim, State};
use crate::tokens;
use crate::wx::{Call, Reply, WxErr};
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;

const MAX_PARCELS: usize = 15;

/// An errcode answer with the shipping API's own message.
fn refuse(state: &mut State, errcode: i64, errmsg: &str) -> Result<Reply, WxErr> {
    let rid = ids::rid(&mut state.rng);
    Ok(Reply::json(json!({"errcode": errcode, "errmsg": format!("{errmsg} rid: {rid}")})))
}

/// `POST /wxa/sec/order/upload_shipping_info`.
pub fn upload_shipping_info(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let state = &mut *guard;
    let appid = tokens::authorize(state, call, now)?;
    let body = call.json_object()?;
    let Some(parsed) = read(&body) else {
        return refuse(state, 47001, "data format error");
    };
    let lag = state.pay.settings.shipping_lag_seconds;
    let found = state.pay.orders.values_mut().find(|o| match &parsed.key {
        Key::Merchant { mchid, out_trade_no } => o.mchid == *mchid && o.out_trade_no == *out_trade_no,
        Key::Transaction(id) => o.transaction_id.as_deref() == Some(id.as_str()),
    });
    let order: &mut Order = match found {
        Some(o) if o.appid == appid && o.state.paid() && o.success_time.is_some_and(|t| now - t >= lag) => o,
        // Not paid, another app's, or not yet in the shipping system ("订单还没入库").
        _ => return refuse(state, 10060001, "支付单不存在"),
    };
    if order.openid != parsed.openid {
        return refuse(state, 40003, "invalid openid");
    }
    if order.state == TradeState::Refund || !(1..=2).contains(&order.shipping.order_state) {
        return refuse(state, 10060004, "支付单处于不可发货的状态");
    }
    if order.shipping.uploads >= 2 {
        return refuse(state, 10060003, "支付单已使用重新发货机会");
    }
    // Split deliveries upload one parcel at a time; only the last (`is_all_delivered`) ships.
    let done = parsed.delivery_mode == 1 || parsed.all_delivered;
    if done {
        order.shipping.uploads += 1;
        order.shipping.order_state = 2;
    }
    order.shipping.last_upload = Some(Value::Object(body));
    Ok(Reply::ok_with(json!({})).with_note(format!("shipping {} order_state {}", order.out_trade_no, order.shipping.order_state)))
}

enum Key {
    Merchant { mchid: String, out_trade_no: String },
    Transaction(String),
}

struct Parsed {
    key: Key,
    delivery_mode: i64,
    all_delivered: bool,
    openid: String,
}

/// The body's shape (§7.1); `None` is 47001, as WeChat answers malformed shipping bodies.
fn read(body: &Map<String, Value>) -> Option<Parsed> {
    let str_of = |v: Option<&Value>| v.and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string);
    let order_key = body.get("order_key")?.as_object()?;
    let key = match order_key.get("order_number_type")?.as_i64()? {
        1 => Key::Merchant { mchid: str_of(order_key.get("mchid"))?, out_trade_no: str_of(order_key.get("out_trade_no"))? },
        2 => Key::Transaction(str_of(order_key.get("transaction_id"))?),
        _ => return None,
    };
    let logistics_type = body.get("logistics_type")?.as_i64().filter(|t| (1..=4).contains(t))?;
    let delivery_mode = body.get("delivery_mode")?.as_i64().filter(|m| (1..=2).contains(m))?;
    let all_delivered = match (delivery_mode, body.get("is_all_delivered")) {
        (2, Some(Value::Bool(b))) => *b,
        (2, _) => return None,
        _ => true,
    };
    let list = body.get("shipping_list")?.as_array()?;
    if list.is_empty() || list.len() > MAX_PARCELS {
        return None;
    }
    for parcel in list {
        let parcel = parcel.as_object()?;
        let desc = parcel.get("item_desc")?.as_str()?;
        if desc.is_empty() || desc.chars().count() > 120 {
            return None;
        }
        if logistics_type == 1 {
            let tracking = str_of(parcel.get("tracking_no"))?;
            let company = str_of(parcel.get("express_company"))?;
            if tracking.len() > 128 {
                return None;
            }
            if company == "SF" {
                let contact = parcel.get("contact")?.as_object()?;
                str_of(contact.get("receiver_contact")).or_else(|| str_of(contact.get("consignor_contact")))?;
            }
        }
    }
    super::fields::parse_time(body.get("upload_time")?.as_str()?)?;
    let openid = str_of(body.get("payer")?.as_object()?.get("openid"))?;
    Some(Parsed { key, delivery_mode, all_delivered, openid })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    transaction_id: String,
    /// 1 automatic, 2 by the user (default).
    confirm_receive_method: Option<u8>,
}

/// `POST /_sim/pay/shipping/confirm {"transaction_id","confirm_receive_method"?}`: the user
/// confirms receipt (order_state 3) and the funds settle (4). Answers the
/// `trade_manage_order_settlement` event as fields and as the plain-mode XML body, for a test
/// to deliver with `/_sim/push` (`{"action":{"type":"raw","body":…}}`).
pub async fn confirm(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: Confirm = parse(&body)?;
    let now = sim.clock.now();
    let mut state = sim.lock();
    let order = state
        .pay
        .orders
        .values_mut()
        .find(|o| o.transaction_id.as_deref() == Some(req.transaction_id.as_str()))
        .ok_or_else(|| CtlError::not_found("no paid order with that transaction_id"))?;
    if order.shipping.order_state != 2 {
        return Err(CtlError::bad(format!("order_state is {}, not 2 (shipped)", order.shipping.order_state)));
    }
    order.shipping.order_state = 4;
    let method = req.confirm_receive_method.unwrap_or(2);
    let event = json!({
        "Event": "trade_manage_order_settlement",
        "transaction_id": req.transaction_id,
        "merchant_id": order.mchid,
        "sub_merchant_id": "",
        "merchant_trade_no": order.out_trade_no,
        "pay_time": order.success_time,
        "confirm_receive_method": method,
        "confirm_receive_time": now,
        "settlement_time": now,
    });
    let (appid, openid) = (order.appid.clone(), order.openid.clone());
    let xml = format!(
        "<xml><ToUserName><![CDATA[gh_{}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{now}</CreateTime>\
         <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[trade_manage_order_settlement]]></Event>\
         <transaction_id><![CDATA[{}]]></transaction_id><merchant_id><![CDATA[{}]]></merchant_id><sub_merchant_id><![CDATA[]]></sub_merchant_id>\
         <merchant_trade_no><![CDATA[{}]]></merchant_trade_no><pay_time>{}</pay_time><confirm_receive_method>{method}</confirm_receive_method>\
         <confirm_receive_time>{now}</confirm_receive_time><settlement_time>{now}</settlement_time></xml>",
        &hex::encode(sha1_of(&appid))[..12],
        req.transaction_id,
        order.mchid,
        order.out_trade_no,
        order.success_time.unwrap_or(0),
    );
    Ok(Json(json!({"order_state": 4, "event": event, "event_xml": xml})))
}

fn sha1_of(text: &str) -> Vec<u8> {
    use sha1::{Digest, Sha1};
    Sha1::digest(text.as_bytes()).to_vec()
}
