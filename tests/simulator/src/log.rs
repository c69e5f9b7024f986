//! The call log: every WeChat-API call the simulator served (control calls are not logged),
//! with secrets redacted, so tests can assert what the worker sent and what it got back.

use crate::wx::Call;
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::VecDeque;

/// Old entries are dropped past this, so a long demo run cannot exhaust memory.
const MAX_ENTRIES: usize = 100_000;
const REDACTED: &str = "***";
/// Fields that carry a secret wherever they appear (query or top-level JSON body).
const SECRET_FIELDS: &[&str] = &["secret"];

#[derive(Clone, Debug, Serialize)]
pub struct LoggedCall {
    pub seq: u64,
    /// Simulated unix seconds when the call arrived.
    pub at: i64,
    pub method: String,
    pub path: String,
    pub query: Map<String, Value>,
    /// Parsed JSON, else the text, else null when empty.
    pub body: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appid: Option<String>,
    /// 0 on success; null when the reply was no WeChat JSON (an injected 5xx page, a 404).
    pub errcode: Option<i64>,
    pub status: u16,
    /// Whether an injected fault shaped this reply.
    pub fault: bool,
    /// Which port the call came in on: `relay` (the relay's whitelisted address, `--relay-port`)
    /// or `direct` (the main port).
    pub via: &'static str,
}

#[derive(Default)]
pub struct CallLog {
    last_seq: u64,
    calls: VecDeque<LoggedCall>,
}

impl CallLog {
    /// Numbers stay increasing across `clear`, so a test can tell new calls from old ones.
    pub fn next_seq(&mut self) -> u64 {
        self.last_seq += 1;
        self.last_seq
    }

    pub fn push(&mut self, entry: LoggedCall) {
        if self.calls.len() == MAX_ENTRIES {
            self.calls.pop_front();
        }
        self.calls.push_back(entry);
    }

    /// The calls to `path` (all when None) that came in `via` (either way when None).
    pub fn calls(&self, path: Option<&str>, via: Option<&str>) -> Vec<LoggedCall> {
        self.calls.iter().filter(|c| path.is_none_or(|p| c.path == p) && via.is_none_or(|v| c.via == v)).cloned().collect()
    }

    pub fn clear(&mut self) {
        self.calls.clear();
    }
}

pub fn redacted_query(call: &Call) -> Map<String, Value> {
    let mut map = Map::new();
    for (key, value) in &call.query {
        if !map.contains_key(key) {
            map.insert(key.clone(), Value::String(value.clone()));
        }
    }
    redact(&mut map);
    map
}

pub fn redacted_body(call: &Call) -> Value {
    if call.body.is_empty() {
        return Value::Null;
    }
    match serde_json::from_slice::<Value>(&call.body) {
        Ok(Value::Object(mut map)) => {
            redact(&mut map);
            Value::Object(map)
        }
        Ok(other) => other,
        Err(_) => Value::String(String::from_utf8_lossy(&call.body).into_owned()),
    }
}

fn redact(map: &mut Map<String, Value>) {
    for field in SECRET_FIELDS {
        if let Some(value) = map.get_mut(*field) {
            *value = Value::String(REDACTED.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;
    use axum::http::Method;

    fn call(query: &[(&str, &str)], body: &'static str) -> Call {
        Call {
            method: Method::GET,
            path: "/cgi-bin/token".into(),
            query: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: Bytes::from_static(body.as_bytes()),
            headers: Default::default(),
        }
    }

    #[test]
    fn secrets_are_redacted_in_query_and_body() {
        let c = call(&[("appid", "wx1"), ("secret", "s3cret")], r#"{"appid":"wx1","secret":"s3cret"}"#);
        assert_eq!(redacted_query(&c)["secret"], "***");
        assert_eq!(redacted_query(&c)["appid"], "wx1");
        assert_eq!(redacted_body(&c)["secret"], "***");
    }

    #[test]
    fn bodies_are_json_text_or_null() {
        assert_eq!(redacted_body(&call(&[], "")), Value::Null);
        assert_eq!(redacted_body(&call(&[], "a=b")), Value::String("a=b".into()));
    }
}
