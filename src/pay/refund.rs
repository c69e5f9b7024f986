//! Refunds (wechat-pay.md §6): `POST /v3/refund/domestic/refunds` and the query
//! `GET /v3/refund/domestic/refunds/{out_refund_no}`, validated before WeChat Pay sees them.
//! Whether the amount fits what is left to refund is [`super::state::check_refund`]'s call.

use super::fields;
use super::order::{path_segment, to_json};
use crate::shared::error::{ApiError, ApiResult, Retry};
use serde::{Deserialize, Serialize};

pub const REFUNDS_PATH: &str = "/v3/refund/domestic/refunds";
/// `reason` is `string(80)`, `notify_url` `string(256)` (§6).
pub const MAX_REASON_CHARS: usize = 80;
pub const MAX_REFUND_NOTIFY_URL_LEN: usize = 256;

/// Which order is refunded: WeChat takes one of the two numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderRef<'a> {
    OutTradeNo(&'a str),
    TransactionId(&'a str),
}

#[derive(Debug, Clone, Copy)]
pub struct RefundInput<'a> {
    pub order: OrderRef<'a>,
    pub out_refund_no: &'a str,
    /// Fen to refund now.
    pub refund: u64,
    /// Fen the order was paid (WeChat checks it against the order).
    pub total: u64,
    pub reason: Option<&'a str>,
    /// Overrides the refund notify URL set in the merchant platform.
    pub notify_url: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundAmount {
    pub refund: u64,
    pub total: u64,
    pub currency: String,
}

/// A validated refund request, serialised in WeChat's field order without absent fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub transaction_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub out_trade_no: Option<String>,
    pub out_refund_no: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub notify_url: Option<String>,
    pub amount: RefundAmount,
}

impl RefundRequest {
    pub fn new(input: RefundInput<'_>) -> ApiResult<RefundRequest> {
        let (transaction_id, out_trade_no) = match input.order {
            OrderRef::OutTradeNo(no) => {
                fields::out_trade_no("out_trade_no", no)?;
                (None, Some(no.to_owned()))
            }
            OrderRef::TransactionId(id) => {
                fields::transaction_id("transaction_id", id)?;
                (Some(id.to_owned()), None)
            }
        };
        fields::out_refund_no("out_refund_no", input.out_refund_no)?;
        fields::amount("amount.total", input.total)?;
        fields::amount("amount.refund", input.refund)?;
        if input.refund > input.total {
            return Err(ApiError::invalid_field("amount.refund", "must not be more than amount.total"));
        }
        if let Some(reason) = input.reason {
            fields::text("reason", reason, 0, MAX_REASON_CHARS)?;
        }
        if let Some(url) = input.notify_url {
            fields::notify_url("notify_url", url, MAX_REFUND_NOTIFY_URL_LEN)?;
        }
        Ok(RefundRequest {
            transaction_id,
            out_trade_no,
            out_refund_no: input.out_refund_no.to_owned(),
            reason: input.reason.filter(|r| !r.is_empty()).map(str::to_owned),
            notify_url: input.notify_url.map(str::to_owned),
            amount: RefundAmount { refund: input.refund, total: input.total, currency: "CNY".to_owned() },
        })
    }

    pub fn body(&self) -> String {
        to_json(self)
    }
}

/// `GET /v3/refund/domestic/refunds/{out_refund_no}`.
pub fn query_path(out_refund_no: &str) -> ApiResult<String> {
    fields::out_refund_no("out_refund_no", out_refund_no)?;
    Ok(format!("{REFUNDS_PATH}/{}", path_segment(out_refund_no)))
}

/// Whether WeChat Pay's answer to a refund request (as the client maps it) means nothing was
/// created there, so our claim on the amount can be given back: a refusal (4xx: bad request,
/// not enough balance, no such order) or our signature refused. Not a timeout, a 5xx, or a 2xx
/// answer we could not believe or read: then the refund may exist, and a retry re-sends it
/// under the same number.
pub fn create_error_released(e: &ApiError) -> bool {
    e.retry == Retry::Never && ((400..500).contains(&e.status) && e.status != 429 || e.code == "wechatpay_credentials_rejected")
}

#[cfg(test)]
mod tests;
