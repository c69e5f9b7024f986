//! What WeChat Pay tells us about a payment and a refund (wechat-pay.md §4–§6): the
//! Transaction (query answer and decrypted payment notify), the Refund (create and query
//! answers) and the decrypted refund notify. Unknown fields are ignored and new enum values
//! kept as `Other`, because WeChat adds both without notice (§2.2).

use serde::{Deserialize, Deserializer};

/// `trade_state` (§4). Only the first four occur in the JSAPI flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeState {
    NotPay,
    Success,
    Refund,
    Closed,
    Revoked,
    UserPaying,
    PayError,
    Accept,
    Other(String),
}

impl TradeState {
    pub fn parse(s: &str) -> TradeState {
        match s {
            "NOTPAY" => TradeState::NotPay,
            "SUCCESS" => TradeState::Success,
            "REFUND" => TradeState::Refund,
            "CLOSED" => TradeState::Closed,
            "REVOKED" => TradeState::Revoked,
            "USERPAYING" => TradeState::UserPaying,
            "PAYERROR" => TradeState::PayError,
            "ACCEPT" => TradeState::Accept,
            other => TradeState::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            TradeState::NotPay => "NOTPAY",
            TradeState::Success => "SUCCESS",
            TradeState::Refund => "REFUND",
            TradeState::Closed => "CLOSED",
            TradeState::Revoked => "REVOKED",
            TradeState::UserPaying => "USERPAYING",
            TradeState::PayError => "PAYERROR",
            TradeState::Accept => "ACCEPT",
            TradeState::Other(s) => s,
        }
    }

    /// The money was taken: `SUCCESS`, or `REFUND` (paid, then a refund was asked for).
    pub fn is_paid(&self) -> bool {
        matches!(self, TradeState::Success | TradeState::Refund)
    }
}

impl<'de> Deserialize<'de> for TradeState {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| TradeState::parse(&s))
    }
}

/// `status` of a Refund, `refund_status` of a refund notify (§6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundStatus {
    Success,
    Closed,
    Processing,
    Abnormal,
    Other(String),
}

impl RefundStatus {
    pub fn parse(s: &str) -> RefundStatus {
        match s {
            "SUCCESS" => RefundStatus::Success,
            "CLOSED" => RefundStatus::Closed,
            "PROCESSING" => RefundStatus::Processing,
            "ABNORMAL" => RefundStatus::Abnormal,
            other => RefundStatus::Other(other.to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            RefundStatus::Success => "SUCCESS",
            RefundStatus::Closed => "CLOSED",
            RefundStatus::Processing => "PROCESSING",
            RefundStatus::Abnormal => "ABNORMAL",
            RefundStatus::Other(s) => s,
        }
    }

    /// The refund no longer holds money back: `CLOSED` (it failed and released the amount).
    pub fn released(&self) -> bool {
        matches!(self, RefundStatus::Closed)
    }
}

impl<'de> Deserialize<'de> for RefundStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|s| RefundStatus::parse(&s))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TransactionAmount {
    pub total: Option<u64>,
    pub payer_total: Option<u64>,
    pub currency: Option<String>,
    pub payer_currency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TransactionPayer {
    pub openid: Option<String>,
}

/// A Transaction (§4): the query answer, and the plaintext of a `TRANSACTION.SUCCESS` notify.
/// The models make every field optional; for `NOTPAY` expect no `transaction_id`,
/// `success_time` or `payer`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    pub trade_state: TradeState,
    pub transaction_id: Option<String>,
    pub trade_type: Option<String>,
    pub trade_state_desc: Option<String>,
    pub bank_type: Option<String>,
    pub attach: Option<String>,
    pub success_time: Option<String>,
    pub payer: Option<TransactionPayer>,
    pub amount: Option<TransactionAmount>,
}

impl Transaction {
    pub fn parse(json: &[u8]) -> Result<Transaction, String> {
        serde_json::from_slice(json).map_err(|e| format!("not a WeChat Pay transaction: {}", e.classify_name()))
    }

    /// `amount.total`, the figure checked against our order.
    pub fn total(&self) -> Option<u64> {
        self.amount.as_ref().and_then(|a| a.total)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundAmounts {
    pub total: Option<u64>,
    pub refund: Option<u64>,
    pub payer_total: Option<u64>,
    pub payer_refund: Option<u64>,
    pub currency: Option<String>,
}

/// A Refund (§6): the create and query answers.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub refund_id: Option<String>,
    pub out_refund_no: String,
    pub transaction_id: Option<String>,
    pub out_trade_no: Option<String>,
    pub status: RefundStatus,
    pub channel: Option<String>,
    pub user_received_account: Option<String>,
    pub success_time: Option<String>,
    pub create_time: Option<String>,
    pub amount: Option<RefundAmounts>,
}

impl Refund {
    pub fn parse(json: &[u8]) -> Result<Refund, String> {
        serde_json::from_slice(json).map_err(|e| format!("not a WeChat Pay refund: {}", e.classify_name()))
    }
}

/// The plaintext of a `REFUND.*` notify: note `refund_status` where the query says `status` (§6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundNotice {
    pub mchid: String,
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub refund_status: RefundStatus,
    pub transaction_id: Option<String>,
    pub refund_id: Option<String>,
    pub success_time: Option<String>,
    pub user_received_account: Option<String>,
    pub amount: Option<RefundAmounts>,
}

impl RefundNotice {
    pub fn parse(json: &[u8]) -> Result<RefundNotice, String> {
        serde_json::from_slice(json).map_err(|e| format!("not a WeChat Pay refund notice: {}", e.classify_name()))
    }
}

/// A WeChat Pay error answer: `{"code","message","detail"?}` (§2.2).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PayErrorBody {
    pub code: String,
    #[serde(default)]
    pub message: String,
}

impl PayErrorBody {
    /// `None` for a body that is not WeChat Pay's error JSON (an nginx HTML page, §2.2).
    pub fn parse(body: &[u8]) -> Option<PayErrorBody> {
        serde_json::from_slice(body).ok()
    }
}

trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    /// The kind of error without the input's text, which may carry an openid.
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "unreadable",
            serde_json::error::Category::Syntax => "malformed JSON",
            serde_json::error::Category::Data => "a field is missing or of the wrong type",
            serde_json::error::Category::Eof => "truncated JSON",
        }
    }
}

#[cfg(test)]
mod tests;
