//! The push log behind `GET /_sim/push/log`: every delivery attempt to a webhook, and what the
//! user saw because of it (a passive text reply, or WeChat's failure notice).

use serde::Serialize;
use std::collections::VecDeque;

/// Old entries are dropped past this, so a long demo run cannot exhaust memory.
const MAX_ENTRIES: usize = 10_000;

/// One HTTP request to the webhook and how it went.
#[derive(Clone, Debug, Serialize)]
pub struct Delivery {
    /// The `/_sim/push` call this attempt belongs to.
    pub push: u64,
    /// 1-based.
    pub attempt: u32,
    /// `answered` (2xx), `http_<status>`, `timeout` or `connection_error`.
    pub outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub elapsed_ms: u64,
    /// The webhook's answer, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// WeChat's reading of a 2xx answer: `success`, `transfer`, `text_reply` or `abnormal`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reply_content: Option<String>,
    /// Why an answer was abnormal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Simulated unix seconds when the attempt started.
    pub at: i64,
    /// The webhook URL (without the signed query).
    pub url: String,
    pub appid: String,
    pub openid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub msg_id: Option<u64>,
    /// The signed query as sent (`signature`, `timestamp`, `nonce`, ...).
    pub query: String,
    pub request_body: String,
}

impl Delivery {
    /// WeChat tries again after a timeout, a connection error or a 5xx (§8.6).
    pub fn is_retryable(&self) -> bool {
        match self.status {
            Some(status) => status >= 500,
            None => true,
        }
    }

    pub fn is_answered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Something the user saw in the customer-service session.
#[derive(Clone, Debug, Serialize)]
pub struct UserEvent {
    pub push: u64,
    pub openid: Option<String>,
    /// `system_notice` (WeChat's failure text) or `text_reply`.
    pub kind: &'static str,
    pub saw: String,
    pub at: i64,
}

#[derive(Default)]
pub struct PushLog {
    last_push: u64,
    deliveries: VecDeque<Delivery>,
    user_events: VecDeque<UserEvent>,
}

impl PushLog {
    /// Push numbers keep increasing across `clear`.
    pub fn next_push(&mut self) -> u64 {
        self.last_push += 1;
        self.last_push
    }

    pub fn record(&mut self, delivery: Delivery) {
        if self.deliveries.len() == MAX_ENTRIES {
            self.deliveries.pop_front();
        }
        self.deliveries.push_back(delivery);
    }

    pub fn user_saw(&mut self, event: UserEvent) {
        if self.user_events.len() == MAX_ENTRIES {
            self.user_events.pop_front();
        }
        self.user_events.push_back(event);
    }

    pub fn deliveries(&self, push: Option<u64>) -> Vec<Delivery> {
        self.deliveries.iter().filter(|d| push.is_none_or(|p| d.push == p)).cloned().collect()
    }

    pub fn user_events(&self, push: Option<u64>) -> Vec<UserEvent> {
        self.user_events.iter().filter(|e| push.is_none_or(|p| e.push == p)).cloned().collect()
    }

    pub fn clear(&mut self) {
        self.deliveries.clear();
        self.user_events.clear();
    }
}
