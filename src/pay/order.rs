//! The JSAPI order (wechat-pay.md §3, `POST /v3/pay/transactions/jsapi`), its query and close
//! (§4): request bodies validated field by field before WeChat Pay sees them, and the paths.
//! The body string built here is the one to sign and to send, byte for byte (§2.1).

use super::fields;
use crate::shared::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

pub const JSAPI_PATH: &str = "/v3/pay/transactions/jsapi";
/// `attach` is `string(128)`, `notify_url` `string(255)` (§3).
pub const MAX_ATTACH_CHARS: usize = 128;
pub const MAX_NOTIFY_URL_LEN: usize = 255;
pub const MAX_DESCRIPTION_CHARS: usize = 127;

/// What an order is made from, as our callers give it.
#[derive(Debug, Clone, Copy)]
pub struct OrderInput<'a> {
    pub appid: &'a str,
    pub mchid: &'a str,
    pub description: &'a str,
    pub out_trade_no: &'a str,
    pub notify_url: &'a str,
    /// Fen.
    pub total: u64,
    pub openid: &'a str,
    /// RFC 3339; WeChat raises it to now + 1 min and clips it to 90 days.
    pub time_expire: Option<&'a str>,
    /// Echoed in the query answer and the notify once paid.
    pub attach: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAmount {
    pub total: u64,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payer {
    pub openid: String,
}

/// A validated JSAPI order; its fields serialise in WeChat's order, absent ones left out
/// (WeChat refuses `null`, §2.2). Two orders are the same order when they are equal: a
/// re-order with the same `out_trade_no` must repeat every parameter (§3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JsapiOrder {
    pub appid: String,
    pub mchid: String,
    pub description: String,
    pub out_trade_no: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_expire: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub attach: Option<String>,
    pub notify_url: String,
    pub amount: OrderAmount,
    pub payer: Payer,
}

impl JsapiOrder {
    /// Checks every field; the first problem is a 400 naming the field as WeChat does.
    pub fn new(input: OrderInput<'_>) -> ApiResult<JsapiOrder> {
        fields::appid("appid", input.appid)?;
        fields::mchid("mchid", input.mchid)?;
        fields::text("description", input.description, 1, MAX_DESCRIPTION_CHARS)?;
        fields::out_trade_no("out_trade_no", input.out_trade_no)?;
        fields::notify_url("notify_url", input.notify_url, MAX_NOTIFY_URL_LEN)?;
        fields::amount("amount.total", input.total)?;
        fields::openid("payer.openid", input.openid)?;
        if let Some(t) = input.time_expire {
            fields::rfc3339("time_expire", t)?;
        }
        if let Some(a) = input.attach {
            fields::text("attach", a, 0, MAX_ATTACH_CHARS)?;
        }
        Ok(JsapiOrder {
            appid: input.appid.to_owned(),
            mchid: input.mchid.to_owned(),
            description: input.description.to_owned(),
            out_trade_no: input.out_trade_no.to_owned(),
            time_expire: input.time_expire.map(str::to_owned),
            attach: input.attach.filter(|a| !a.is_empty()).map(str::to_owned),
            notify_url: input.notify_url.to_owned(),
            amount: OrderAmount { total: input.total, currency: "CNY".to_owned() },
            payer: Payer { openid: input.openid.to_owned() },
        })
    }

    /// The compact JSON body to sign and send.
    pub fn body(&self) -> String {
        to_json(self)
    }
}

/// The answer to a JSAPI order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PrepayAnswer {
    pub prepay_id: String,
}

impl PrepayAnswer {
    pub fn parse(body: &[u8]) -> ApiResult<PrepayAnswer> {
        match serde_json::from_slice::<PrepayAnswer>(body) {
            Ok(a) if !a.prepay_id.is_empty() && a.prepay_id.len() <= 64 => Ok(a),
            _ => Err(ApiError::new(502, "wechatpay_bad_answer", "WeChat Pay answered the order without a prepay_id")),
        }
    }
}

/// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={mchid}`.
pub fn query_by_out_trade_no_path(out_trade_no: &str, mchid: &str) -> ApiResult<String> {
    fields::out_trade_no("out_trade_no", out_trade_no)?;
    fields::mchid("mchid", mchid)?;
    Ok(format!("/v3/pay/transactions/out-trade-no/{}?mchid={mchid}", path_segment(out_trade_no)))
}

/// `GET /v3/pay/transactions/id/{transaction_id}?mchid={mchid}`.
pub fn query_by_transaction_id_path(transaction_id: &str, mchid: &str) -> ApiResult<String> {
    fields::transaction_id("transaction_id", transaction_id)?;
    fields::mchid("mchid", mchid)?;
    Ok(format!("/v3/pay/transactions/id/{transaction_id}?mchid={mchid}"))
}

/// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` with `{"mchid"}`; WeChat
/// answers 204 and accepts a repeated close (§4).
pub fn close_request(out_trade_no: &str, mchid: &str) -> ApiResult<(String, String)> {
    fields::out_trade_no("out_trade_no", out_trade_no)?;
    fields::mchid("mchid", mchid)?;
    let path = format!("/v3/pay/transactions/out-trade-no/{}/close", path_segment(out_trade_no));
    Ok((path, to_json(&serde_json::json!({ "mchid": mchid }))))
}

/// A merchant number in a URL path. `|` is the one character of WeChat's charsets that URL
/// parsers may treat differently, so it is always escaped: what is signed is what is sent.
pub fn path_segment(value: &str) -> String {
    value.replace('|', "%7C")
}

/// Compact JSON of a value made of strings, integers and objects, which cannot fail to
/// serialise; were it ever to, the empty body is refused by WeChat rather than panicking here.
pub(crate) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests;
