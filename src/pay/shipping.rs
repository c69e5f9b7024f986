//! Shipping information (发货信息管理, wechat-pay.md §7): the `upload_shipping_info` body,
//! validated before WeChat sees it, and what its errcodes mean. It is a mini-program API
//! (`POST https://api.weixin.qq.com/wxa/sec/order/upload_shipping_info?access_token=…`),
//! not a WeChat Pay one: errcode answers, no RSA.

use super::fields;
use super::order::to_json;
use crate::shared::error::ApiResult;
use crate::shared::error::{ApiError, Retry};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub const UPLOAD_SHIPPING_INFO_PATH: &str = "/wxa/sec/order/upload_shipping_info";
/// `shipping_list` holds 1–15 parcels (older doc: 10).
pub const MAX_PARCELS: usize = 15;
pub const MAX_ITEM_DESC_CHARS: usize = 120;
pub const MAX_TRACKING_NO_BYTES: usize = 128;
/// SF Express's company id in `get_delivery_list`: it requires a contact phone.
pub const SF_EXPRESS: &str = "SF";

/// `order_key`: which payment the shipping is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderKey {
    /// 1 = `mchid` + `out_trade_no`; 2 = `transaction_id`.
    pub order_number_type: u8,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub mchid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
}

impl OrderKey {
    pub fn by_out_trade_no(mchid: &str, out_trade_no: &str) -> OrderKey {
        OrderKey {
            order_number_type: 1,
            transaction_id: None,
            mchid: Some(mchid.to_owned()),
            out_trade_no: Some(out_trade_no.to_owned()),
        }
    }

    pub fn by_transaction_id(transaction_id: &str) -> OrderKey {
        OrderKey { order_number_type: 2, transaction_id: Some(transaction_id.to_owned()), mchid: None, out_trade_no: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub consignor_contact: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub receiver_contact: Option<String>,
}

/// One parcel, as the business sends it and as WeChat takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parcel {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tracking_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub express_company: Option<String>,
    pub item_desc: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub contact: Option<Contact>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingPayer {
    pub openid: String,
}

/// The `upload_shipping_info` body, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadShippingInfo {
    pub order_key: OrderKey,
    /// 1 express, 2 same-city, 3 virtual, 4 self-pickup.
    pub logistics_type: u8,
    /// 1 unified (统一发货), 2 split (分拆发货): numbers, not WeChat's enum names.
    pub delivery_mode: u8,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub is_all_delivered: Option<bool>,
    pub shipping_list: Vec<Parcel>,
    /// RFC 3339 with milliseconds, e.g. `2022-12-15T13:29:35.120+08:00`.
    pub upload_time: String,
    pub payer: ShippingPayer,
}

/// What the business says about the shipping; the order key, payer and time come from us.
#[derive(Debug, Clone)]
pub struct ShippingInput {
    pub order_key: OrderKey,
    pub logistics_type: i64,
    pub delivery_mode: i64,
    pub is_all_delivered: Option<bool>,
    pub shipping_list: Vec<Parcel>,
    pub upload_time: String,
    pub payer_openid: String,
}

impl UploadShippingInfo {
    /// Checks every rule of §7.1 we know; the first problem is a 400 naming the field.
    pub fn new(input: ShippingInput) -> ApiResult<UploadShippingInfo> {
        check_order_key(&input.order_key)?;
        let logistics_type = match input.logistics_type {
            1..=4 => input.logistics_type as u8,
            _ => {
                return Err(ApiError::invalid_field(
                    "logistics_type",
                    "must be 1 (express), 2 (same-city), 3 (virtual) or 4 (self-pickup)",
                ))
            }
        };
        let delivery_mode = match input.delivery_mode {
            1 | 2 => input.delivery_mode as u8,
            _ => return Err(ApiError::invalid_field("delivery_mode", "must be 1 (unified) or 2 (split)")),
        };
        let is_all_delivered = match (delivery_mode, input.is_all_delivered) {
            (2, None) => {
                return Err(ApiError::invalid_field(
                    "is_all_delivered",
                    "is required for a split delivery (true with the last parcel)",
                ))
            }
            (2, some) => some,
            // Meaningless for a unified delivery: left out, as WeChat documents it.
            _ => None,
        };
        if input.shipping_list.is_empty() || input.shipping_list.len() > MAX_PARCELS {
            return Err(ApiError::invalid_field("shipping_list", &format!("must hold 1 to {MAX_PARCELS} parcels")));
        }
        for (i, parcel) in input.shipping_list.iter().enumerate() {
            check_parcel(i, parcel, logistics_type)?;
        }
        fields::rfc3339("upload_time", &input.upload_time)?;
        fields::openid("payer.openid", &input.payer_openid)?;
        Ok(UploadShippingInfo {
            order_key: input.order_key,
            logistics_type,
            delivery_mode,
            is_all_delivered,
            shipping_list: input.shipping_list,
            upload_time: input.upload_time,
            payer: ShippingPayer { openid: input.payer_openid },
        })
    }

    pub fn body(&self) -> String {
        to_json(self)
    }
}

fn check_order_key(key: &OrderKey) -> ApiResult<()> {
    match key.order_number_type {
        1 => {
            fields::mchid("order_key.mchid", key.mchid.as_deref().unwrap_or(""))?;
            fields::out_trade_no("order_key.out_trade_no", key.out_trade_no.as_deref().unwrap_or(""))
        }
        2 => fields::transaction_id("order_key.transaction_id", key.transaction_id.as_deref().unwrap_or("")),
        _ => {
            Err(ApiError::invalid_field("order_key.order_number_type", "must be 1 (mchid + out_trade_no) or 2 (transaction_id)"))
        }
    }
}

fn check_parcel(i: usize, parcel: &Parcel, logistics_type: u8) -> ApiResult<()> {
    let field = |name: &str| format!("shipping_list[{i}].{name}");
    fields::text(&field("item_desc"), &parcel.item_desc, 1, MAX_ITEM_DESC_CHARS)?;
    if logistics_type == 1 {
        let tracking = parcel.tracking_no.as_deref().unwrap_or("");
        if tracking.is_empty() || tracking.len() > MAX_TRACKING_NO_BYTES || !tracking.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(ApiError::invalid_field(
                &field("tracking_no"),
                &format!("is required for an express delivery: 1–{MAX_TRACKING_NO_BYTES} printable ASCII characters"),
            ));
        }
        let company = parcel.express_company.as_deref().unwrap_or("");
        if company.is_empty() || company.len() > 64 || !company.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(ApiError::invalid_field(
                &field("express_company"),
                "is required for an express delivery: the id from get_delivery_list",
            ));
        }
        if company == SF_EXPRESS {
            let contact = parcel.contact.as_ref();
            let given = contact.and_then(|c| c.receiver_contact.as_deref().or(c.consignor_contact.as_deref()));
            if given.is_none_or(str::is_empty) {
                return Err(ApiError::invalid_field(
                    &field("contact"),
                    "is required for SF Express: a masked phone such as 189****1234",
                ));
            }
        }
    }
    if let Some(contact) = &parcel.contact {
        for (name, value) in [("consignor_contact", &contact.consignor_contact), ("receiver_contact", &contact.receiver_contact)]
        {
            if let Some(phone) = value {
                check_masked_phone(&field(&format!("contact.{name}")), phone)?;
            }
        }
    }
    Ok(())
}

/// A phone with the middle masked and the last four digits clear (`189****1234`): WeChat only
/// takes masked numbers, and a clear one must not leave us anyway.
fn check_masked_phone(field: &str, phone: &str) -> ApiResult<()> {
    let ok = (8..=24).contains(&phone.len())
        && phone.contains("****")
        && phone.bytes().all(|b| b.is_ascii_digit() || b == b'*' || b == b'+' || b == b'-')
        && phone.len() >= 4
        && phone.bytes().rev().take(4).all(|b| b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_field(field, "must be a masked phone with the last 4 digits clear, such as 189****1234"))
    }
}

/// What an `upload_shipping_info` errcode means for the caller (§7.4).
pub fn shipping_error(errcode: i64, errmsg: &str) -> ApiError {
    let said = if errmsg.is_empty() { String::new() } else { format!(" (WeChat said: {errmsg})") };
    let e = |status: u16, code: &'static str, m: &str| ApiError::new(status, code, format!("{m}{said}")).with_errcode(errcode);
    match errcode {
        10060001 => {
            e(503, "shipping_order_not_ready", "WeChat does not know this payment yet (it lags the notify): retry in a minute")
                .with_retry(Retry::Safe)
        }
        10060003 => e(409, "shipping_update_used", "the shipping information of this payment was already updated once"),
        10060004 => e(409, "shipping_not_allowed", "this payment cannot be shipped now (already shipped, refunded or finished)"),
        47001 => e(502, "shipping_rejected", "WeChat refused the shipping body as malformed"),
        _ => e(502, "wechat_error", "WeChat refused the shipping information"),
    }
}

/// The fields `POST /internal/pay/shipping` takes besides `out_trade_no` (and `appid`).
pub const SHIPPING_FIELDS: [&str; 7] =
    ["out_trade_no", "appid", "logistics_type", "delivery_mode", "is_all_delivered", "shipping_list", "upload_time"];

impl ShippingInput {
    /// The business's body read into an input for [`UploadShippingInfo::new`]: the order key and
    /// payer come from our order, `upload_time` defaults to `now_rfc3339`. Errors name the field
    /// (`shipping_list[1].item_desc`); unknown fields are refused.
    pub fn from_body(
        body: &Map<String, Value>,
        order_key: OrderKey,
        payer_openid: &str,
        now_rfc3339: &str,
    ) -> ApiResult<ShippingInput> {
        if let Some(k) = body.keys().find(|k| !SHIPPING_FIELDS.contains(&k.as_str())) {
            let k: String = k.chars().filter(|c| !c.is_control()).take(64).collect();
            return Err(ApiError::invalid_field(
                &k,
                &format!("is not a known field (expected one of: {})", SHIPPING_FIELDS.join(", ")),
            ));
        }
        let int = |name: &str| -> ApiResult<i64> {
            match body.get(name) {
                Some(Value::Number(n)) => n.as_i64().ok_or_else(|| ApiError::invalid_field(name, "must be a whole number")),
                None | Some(Value::Null) => Err(ApiError::invalid_field(name, "is required")),
                Some(_) => Err(ApiError::invalid_field(name, "must be a number (not a string)")),
            }
        };
        let logistics_type = int("logistics_type")?;
        let delivery_mode = int("delivery_mode")?;
        let is_all_delivered = match body.get("is_all_delivered") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err(ApiError::invalid_field("is_all_delivered", "must be true or false")),
        };
        let list = match body.get("shipping_list") {
            Some(Value::Array(list)) => list,
            None | Some(Value::Null) => return Err(ApiError::invalid_field("shipping_list", "is required: an array of parcels")),
            Some(_) => return Err(ApiError::invalid_field("shipping_list", "must be an array of parcels")),
        };
        if list.len() > MAX_PARCELS {
            return Err(ApiError::invalid_field("shipping_list", &format!("must hold 1 to {MAX_PARCELS} parcels")));
        }
        let mut shipping_list = Vec::with_capacity(list.len());
        for (i, parcel) in list.iter().enumerate() {
            let parsed = serde_json::from_value::<Parcel>(parcel.clone()).map_err(|_| {
                ApiError::invalid_field(
                    &format!("shipping_list[{i}]"),
                    "must be {item_desc, tracking_no?, express_company?, contact?{consignor_contact?, receiver_contact?}} with string values",
                )
            })?;
            shipping_list.push(parsed);
        }
        let upload_time = match body.get("upload_time") {
            None | Some(Value::Null) => now_rfc3339.to_owned(),
            Some(Value::String(t)) => t.clone(),
            Some(_) => return Err(ApiError::invalid_field("upload_time", "must be an RFC 3339 string")),
        };
        Ok(ShippingInput {
            order_key,
            logistics_type,
            delivery_mode,
            is_all_delivered,
            shipping_list,
            upload_time,
            payer_openid: payer_openid.to_owned(),
        })
    }
}

impl UploadShippingInfo {
    /// What we keep of an upload with the order: the body without the payer.
    pub fn record(&self) -> Value {
        serde_json::json!({
            "logistics_type": self.logistics_type,
            "delivery_mode": self.delivery_mode,
            "is_all_delivered": self.is_all_delivered,
            "shipping_list": self.shipping_list,
            "upload_time": self.upload_time,
        })
    }

    /// Whether this upload finishes the shipping (a unified one, or the last split parcel).
    pub fn completes(&self) -> bool {
        self.delivery_mode == 1 || self.is_all_delivered == Some(true)
    }
}

/// The prefix of the mini-program push events of the shipping service (§7.3).
pub const TRADE_MANAGE_PREFIX: &str = "trade_manage_";
/// At most this many events are kept with an order (a day's reminders for months).
pub const MAX_SHIPPING_EVENTS: usize = 100;

/// A `trade_manage_*` push (§7.3), as recorded against its order: the event, its time, the
/// order's numbers and the event's other fields, without the user's openid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TradeManageEvent {
    pub event: String,
    pub create_time: u64,
    pub transaction_id: Option<String>,
    /// `merchant_trade_no` (the push's name for our `out_trade_no`), or `out_trade_no`.
    pub out_trade_no: Option<String>,
    pub merchant_id: Option<String>,
    /// What is stored: `{"key": "<CreateTime>:<Event>", "event", "create_time", …fields}`.
    pub record: Value,
}

impl TradeManageEvent {
    /// Reads the push message's JSON (WeChat's field names; XML pushes give every value as
    /// text). `None` for anything that is not a `trade_manage_*` event.
    pub fn parse(payload: &str) -> Option<TradeManageEvent> {
        let Value::Object(map) = serde_json::from_str::<Value>(payload).ok()? else { return None };
        let event = map.get("Event")?.as_str()?.to_owned();
        if !event.starts_with(TRADE_MANAGE_PREFIX) || event.len() > 64 {
            return None;
        }
        let create_time = match map.get("CreateTime")? {
            Value::Number(n) => n.as_u64()?,
            Value::String(s) => s.trim().parse().ok()?,
            _ => return None,
        };
        let text = |name: &str| -> Option<String> {
            match map.get(name)? {
                Value::String(s) if !s.trim().is_empty() => Some(s.trim().chars().take(64).collect()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        };
        let transaction_id = text("transaction_id");
        let out_trade_no = text("merchant_trade_no").or_else(|| text("out_trade_no"));
        let merchant_id = text("merchant_id");
        let mut record = Map::new();
        record.insert("key".into(), Value::String(format!("{create_time}:{event}")));
        record.insert("event".into(), Value::String(event.clone()));
        record.insert("create_time".into(), Value::from(create_time));
        for (name, value) in &map {
            let skip = matches!(name.as_str(), "ToUserName" | "FromUserName" | "CreateTime" | "MsgType" | "Event" | "Encrypt");
            if skip || record.len() >= 32 {
                continue;
            }
            let kept = match value {
                Value::String(s) => Value::String(s.chars().take(256).collect()),
                Value::Number(_) | Value::Bool(_) | Value::Null => value.clone(),
                _ => continue,
            };
            record.insert(name.chars().take(64).collect(), kept);
        }
        Some(TradeManageEvent { event, create_time, transaction_id, out_trade_no, merchant_id, record: Value::Object(record) })
    }

    /// The dedupe key of the event: a redelivered push carries the same time and event.
    pub fn key(&self) -> String {
        format!("{}:{}", self.create_time, self.event)
    }

    /// The order's events with this one appended; `None` when it is there already (the same
    /// key) or the list is full. `stored` is the column's text (absent or unreadable: empty).
    pub fn append_to(&self, stored: Option<&str>) -> Option<String> {
        let mut list = match stored.map(serde_json::from_str::<Value>) {
            Some(Ok(Value::Array(list))) => list,
            _ => Vec::new(),
        };
        let key = self.key();
        if list.iter().any(|e| e.get("key").and_then(Value::as_str) == Some(key.as_str())) || list.len() >= MAX_SHIPPING_EVENTS {
            return None;
        }
        list.push(self.record.clone());
        Some(Value::Array(list).to_string())
    }
}

#[cfg(test)]
mod tests;
