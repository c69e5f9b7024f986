//! What the simulated WeChat Pay remembers (inside the simulator's one mutex): merchants,
//! orders by (mchid, out_trade_no), refunds by (mchid, out_refund_no), the notify log, and
//! the settings tests change at run time.

use super::merchant::{Merchant, MerchantConfig, PaySetup};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, VecDeque};

/// The §5 schedule: "15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h – 总计 24h4m". The
/// simulator waits interval `i` before retry `i + 1` (16 deliveries at most; whether WeChat
/// makes 15 or 16 is unconfirmed, `max_notify_deliveries` caps it).
pub const RETRY_INTERVALS: [u64; 15] = [15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600];
/// A prepay_id lives 2 hours (§3); an unpaid order 7 days unless `time_expire` says otherwise.
pub const PREPAY_LIFETIME: i64 = 2 * 3600;
pub const DEFAULT_ORDER_LIFETIME: i64 = 7 * 86_400;
const MAX_LOGGED_NOTIFIES: usize = 10_000;

/// What tests may change at run time (`POST /_sim/pay/settings`, partial).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Multiplies the retry intervals and the refund delay (1.0 = real time).
    pub time_scale: f64,
    /// WeChat gives the notify URL 5 s.
    pub notify_timeout_ms: u64,
    /// Deliveries of one notify at most (first one included).
    pub max_notify_deliveries: u32,
    /// `|now − timestamp|` allowed in a merchant's `Authorization` (unconfirmed; the SDKs' 5 min).
    pub timestamp_window: i64,
    /// Refuse requests without `User-Agent` or `Accept` ("Http头缺少Accept或User-Agent").
    pub require_user_agent: bool,
    /// Sign error answers too (real WeChat Pay sometimes does not).
    pub sign_errors: bool,
    /// Refuse unknown body fields (270924358 "参数中含有非法的额外参数"); off by default.
    pub reject_unknown_fields: bool,
    /// How a refund ends after `refund_delay_ms`: SUCCESS, ABNORMAL, CLOSED, or none (stays
    /// PROCESSING until `POST /_sim/pay/refunds/settle`).
    pub refund_outcome: String,
    pub refund_delay_ms: u64,
    /// Seconds after payment before the shipping system knows the order (10060001 before).
    pub shipping_lag_seconds: i64,
    /// In migration mode, the share of notifies signed with the public key (0.0–1.0).
    pub migration_notify_ratio: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            time_scale: 1.0,
            notify_timeout_ms: 5000,
            max_notify_deliveries: 16,
            timestamp_window: 300,
            require_user_agent: true,
            sign_errors: false,
            reject_unknown_fields: false,
            refund_outcome: "SUCCESS".into(),
            refund_delay_ms: 0,
            shipping_lag_seconds: 0,
            migration_notify_ratio: 0.5,
        }
    }
}

impl Settings {
    pub fn validate(&self) -> Result<(), String> {
        if !(self.time_scale > 0.0 && self.time_scale <= 10.0) {
            return Err("time_scale must be in (0, 10]".into());
        }
        if !(1..=16).contains(&self.max_notify_deliveries) {
            return Err("max_notify_deliveries must be 1..=16".into());
        }
        if !(0.0..=1.0).contains(&self.migration_notify_ratio) {
            return Err("migration_notify_ratio must be in [0, 1]".into());
        }
        if !["SUCCESS", "ABNORMAL", "CLOSED", "none"].contains(&self.refund_outcome.as_str()) {
            return Err("refund_outcome must be SUCCESS, ABNORMAL, CLOSED or none".into());
        }
        if self.notify_timeout_ms == 0 || self.timestamp_window < 0 || self.shipping_lag_seconds < 0 {
            return Err("notify_timeout_ms must be positive, timestamp_window and shipping_lag_seconds not negative".into());
        }
        Ok(())
    }

    /// A simulated duration in real milliseconds.
    pub fn scaled_ms(&self, seconds: u64) -> u64 {
        ((seconds as f64) * 1000.0 * self.time_scale).round() as u64
    }
}

/// `trade_state` (§4), the JSAPI subset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeState {
    NotPay,
    Success,
    Refund,
    Closed,
}

impl TradeState {
    pub fn name(self) -> &'static str {
        match self {
            TradeState::NotPay => "NOTPAY",
            TradeState::Success => "SUCCESS",
            TradeState::Refund => "REFUND",
            TradeState::Closed => "CLOSED",
        }
    }

    pub fn desc(self) -> &'static str {
        match self {
            TradeState::NotPay => "未支付",
            TradeState::Success => "支付成功",
            TradeState::Refund => "转入退款",
            TradeState::Closed => "已关闭",
        }
    }

    pub fn paid(self) -> bool {
        matches!(self, TradeState::Success | TradeState::Refund)
    }
}

/// The shipping side of a paid order (§7): `order_state` 1 待发货 → 2 已发货 → 3 确认收货 → 4 交易完成.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Shipping {
    pub order_state: u8,
    pub uploads: u32,
    pub last_upload: Option<Value>,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub mchid: String,
    pub appid: String,
    pub out_trade_no: String,
    pub description: String,
    pub notify_url: String,
    pub total: u64,
    pub openid: String,
    pub attach: Option<String>,
    /// The order's parameters as first sent: a re-order must repeat them exactly (§3).
    pub params: Value,
    pub created_at: i64,
    pub expires_at: i64,
    pub prepay_id: String,
    pub prepay_expires_at: i64,
    pub state: TradeState,
    pub transaction_id: Option<String>,
    pub success_time: Option<i64>,
    /// The payment notify as first composed (duplicates resend this body).
    pub notify_body: Option<String>,
    pub shipping: Shipping,
}

#[derive(Clone, Debug)]
pub struct RefundRecord {
    pub mchid: String,
    pub out_refund_no: String,
    pub refund_id: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub refund: u64,
    pub total: u64,
    pub params: Value,
    pub notify_url: Option<String>,
    pub status: &'static str,
    pub created_at: i64,
    pub success_time: Option<i64>,
}

/// One delivery of a notify, as `/_sim/pay/notifies` lists it.
#[derive(Clone, Debug, Serialize)]
pub struct NotifyAttempt {
    pub seq: u64,
    /// The notify's `id` (the same on every delivery of one notify).
    pub notify_id: String,
    pub event_type: String,
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_refund_no: Option<String>,
    pub attempt: u32,
    pub url: String,
    /// Simulated unix seconds when sent.
    pub at: i64,
    /// `answered` (2xx), `http_<status>`, `timeout`, `connection_error`.
    pub outcome: String,
    pub status: Option<u16>,
    /// Our side's answer body, bounded.
    pub answer: Option<String>,
    pub elapsed_ms: u64,
    /// Which key signed it: the `Wechatpay-Serial` sent.
    pub serial: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tamper: Option<String>,
    /// Whether WeChat counts it as received (2xx in time).
    pub accepted: bool,
}

pub struct PayState {
    pub merchants: BTreeMap<String, Merchant>,
    pub orders: BTreeMap<(String, String), Order>,
    pub refunds: BTreeMap<(String, String), RefundRecord>,
    pub notifies: VecDeque<NotifyAttempt>,
    pub settings: Settings,
    next_seq: u64,
}

impl PayState {
    /// The merchants configured at start (a bad one was refused by `start` already).
    pub fn new(setup: &PaySetup) -> PayState {
        let merchants =
            setup.merchants.iter().filter_map(|m| Merchant::new(m.clone()).ok()).map(|m| (m.config.mchid.clone(), m)).collect();
        let mut settings = Settings::default();
        if let Some(scale) = setup.time_scale {
            settings.time_scale = scale;
        }
        PayState {
            merchants,
            orders: BTreeMap::new(),
            refunds: BTreeMap::new(),
            notifies: VecDeque::new(),
            settings,
            next_seq: 0,
        }
    }

    pub fn add_merchant(&mut self, config: MerchantConfig) -> Result<&Merchant, String> {
        let merchant = Merchant::new(config)?;
        let mchid = merchant.config.mchid.clone();
        self.merchants.insert(mchid.clone(), merchant);
        self.merchants.get(&mchid).ok_or_else(|| "merchant vanished".to_string())
    }

    pub fn order_by_transaction(&self, mchid: &str, transaction_id: &str) -> Option<&Order> {
        self.orders.values().find(|o| o.mchid == mchid && o.transaction_id.as_deref() == Some(transaction_id))
    }

    pub fn log_notify(&mut self, mut attempt: NotifyAttempt) -> NotifyAttempt {
        self.next_seq += 1;
        attempt.seq = self.next_seq;
        if self.notifies.len() == MAX_LOGGED_NOTIFIES {
            self.notifies.pop_front();
        }
        self.notifies.push_back(attempt.clone());
        attempt
    }

    /// Unpaid orders past their expiry are closed when next looked at (WeChat closes them some
    /// time after expiry, "一般不超过14天"; the simulator does it at once).
    pub fn expire(&mut self, now: i64) {
        for order in self.orders.values_mut() {
            if order.state == TradeState::NotPay && now >= order.expires_at {
                order.state = TradeState::Closed;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_schedule_adds_up_to_24_hours_4_minutes() {
        assert_eq!(RETRY_INTERVALS.iter().sum::<u64>(), 24 * 3600 + 4 * 60);
    }

    #[test]
    fn settings_scale_and_validate() {
        let s = Settings { time_scale: 0.001, ..Settings::default() };
        assert_eq!(s.scaled_ms(15), 15);
        assert!(s.validate().is_ok());
        assert!(Settings { time_scale: 0.0, ..Settings::default() }.validate().is_err());
        assert!(Settings { refund_outcome: "DONE".into(), ..Settings::default() }.validate().is_err());
    }
}
