//! Structured logs (issue 17): one JSON object per line, readable with `wrangler tail` and
//! Workers Logs. Callers pass names and numbers only: never a token, secret, openid or a
//! query string.

use serde_json::{Map, Value};

/// Any other log line: `{"level", "msg"}`, the message made of names and numbers only.
pub fn json_line(level: &str, msg: &str) -> String {
    let mut m = Map::new();
    m.insert("level".into(), Value::from(level));
    m.insert("msg".into(), Value::from(msg));
    Value::Object(m).to_string()
}

/// `console_log!` as one JSON line (`{"level":"info","msg":…}`).
#[macro_export]
macro_rules! log_info {
    ($($t:tt)*) => { worker::console_log!("{}", $crate::shared::log::json_line("info", &format!($($t)*))) };
}

/// `console_warn!` as one JSON line.
#[macro_export]
macro_rules! log_warn {
    ($($t:tt)*) => { worker::console_warn!("{}", $crate::shared::log::json_line("warn", &format!($($t)*))) };
}

/// `console_error!` as one JSON line.
#[macro_export]
macro_rules! log_error {
    ($($t:tt)*) => { worker::console_error!("{}", $crate::shared::log::json_line("error", &format!($($t)*))) };
}

/// One access line: the request's method, path (never its query), status, duration, and what
/// else is known (`route`, `appid`, `errcode`, `error` code). `level` follows the status.
#[derive(Debug, Default)]
pub struct Access<'a> {
    pub request_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub route: Option<&'a str>,
    pub appid: Option<&'a str>,
    pub status: u16,
    pub duration_ms: u64,
    pub error: Option<&'a str>,
    pub errcode: Option<i64>,
}

impl Access<'_> {
    pub fn level(&self) -> &'static str {
        match self.status {
            500.. => "error",
            400..=499 => "warn",
            _ => "info",
        }
    }

    pub fn line(&self) -> String {
        let mut m = Map::new();
        m.insert("level".into(), Value::from(self.level()));
        m.insert("msg".into(), Value::from("request"));
        m.insert("request_id".into(), Value::from(self.request_id));
        m.insert("method".into(), Value::from(self.method));
        // A path segment can be an app id or an order number, never a credential; the query,
        // which can carry signatures and codes, is never logged.
        m.insert("path".into(), Value::from(self.path.split('?').next().unwrap_or("")));
        if let Some(r) = self.route {
            m.insert("route".into(), Value::from(r));
        }
        if let Some(a) = self.appid {
            m.insert("appid".into(), Value::from(a));
        }
        m.insert("status".into(), Value::from(self.status));
        m.insert("duration_ms".into(), Value::from(self.duration_ms));
        if let Some(e) = self.error {
            m.insert("error".into(), Value::from(e));
        }
        if let Some(c) = self.errcode {
            m.insert("errcode".into(), Value::from(c));
        }
        Value::Object(m).to_string()
    }
}

#[cfg(test)]
mod tests;
