//! Scripted failures (wechat-api.md §15.20): rules queued per path, each consumed by the calls
//! it matches, in order. A rule can delay the answer, replace it with an errcode or an HTTP
//! error page, garble it, or give it the wrong Content-Type.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRule {
    /// A WeChat path such as `/cgi-bin/stable_token`, or `*` for every WeChat path.
    pub path: String,
    /// Answer `{"errcode":E,"errmsg":"... rid: ..."}` instead of running the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i64>,
    /// HTTP status of the answer. Without `errcode`, a status of 300 or more answers an HTML
    /// error page instead of running the endpoint (unless `malformed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Wait this long (real milliseconds) before answering.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Cut the answer's body in half, so it is no longer valid JSON (or image).
    #[serde(default)]
    pub malformed: bool,
    /// Replace the answer's Content-Type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// How many matching calls this rule shapes; 0 = every one, forever.
    #[serde(default = "one")]
    pub times: u64,
    /// Let this many matching calls through untouched first ("the nth call fails").
    #[serde(default)]
    pub after: u64,
}

fn one() -> u64 {
    1
}

impl FaultRule {
    pub fn validate(&self) -> Result<(), String> {
        if self.path != "*" && !self.path.starts_with('/') {
            return Err(format!("path must start with / or be *, got {:?}", self.path));
        }
        if let Some(status) = self.status {
            if !(100..=599).contains(&status) {
                return Err(format!("status must be 100..=599, got {status}"));
            }
        }
        if let Some(ct) = &self.content_type {
            if axum::http::HeaderValue::from_str(ct).is_err() {
                return Err(format!("content_type is no valid header value: {ct:?}"));
            }
        }
        let does_something = self.errcode.is_some()
            || self.status.is_some()
            || self.delay_ms.is_some()
            || self.malformed
            || self.content_type.is_some();
        if !does_something {
            return Err("a fault needs errcode, status, delay_ms, malformed or content_type".into());
        }
        Ok(())
    }

    fn matches(&self, path: &str) -> bool {
        self.path == "*" || self.path == path
    }

    /// Whether the endpoint is skipped and the answer made up.
    pub fn replaces_answer(&self) -> bool {
        self.errcode.is_some() || (self.status.is_some_and(|s| s >= 300) && !self.malformed)
    }
}

#[derive(Default)]
pub struct Faults {
    rules: Vec<FaultRule>,
}

impl Faults {
    pub fn add(&mut self, rules: Vec<FaultRule>) {
        self.rules.extend(rules);
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn list(&self) -> &[FaultRule] {
        &self.rules
    }

    /// The rule that shapes this call, if any, consumed by one use. Only the first rule for a
    /// path is looked at: later rules wait their turn.
    pub fn take(&mut self, path: &str) -> Option<FaultRule> {
        let index = self.rules.iter().position(|r| r.matches(path))?;
        let rule = &mut self.rules[index];
        if rule.after > 0 {
            rule.after -= 1;
            return None;
        }
        let taken = rule.clone();
        if rule.times > 0 {
            rule.times -= 1;
            if rule.times == 0 {
                self.rules.remove(index);
            }
        }
        Some(taken)
    }
}

/// The first half of a body: never valid JSON (an object loses its closing brace).
pub fn garble(body: &[u8]) -> Vec<u8> {
    if body.len() < 2 {
        return b"{".to_vec();
    }
    body[..body.len() / 2].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(path: &str, errcode: i64, times: u64) -> FaultRule {
        FaultRule {
            path: path.into(),
            errcode: Some(errcode),
            status: None,
            delay_ms: None,
            malformed: false,
            content_type: None,
            times,
            after: 0,
        }
    }

    #[test]
    fn rules_for_a_path_are_consumed_in_order() {
        let mut faults = Faults::default();
        faults.add(vec![rule("/a", 1, 2), rule("/b", 9, 1), rule("/a", 2, 1)]);
        let codes: Vec<_> = (0..4).map(|_| faults.take("/a").and_then(|r| r.errcode)).collect();
        assert_eq!(codes, [Some(1), Some(1), Some(2), None]);
        assert_eq!(faults.take("/b").and_then(|r| r.errcode), Some(9));
    }

    #[test]
    fn a_rule_with_times_zero_never_runs_out() {
        let mut faults = Faults::default();
        faults.add(vec![rule("*", -1, 0)]);
        assert!((0..50).all(|_| faults.take("/any").is_some()));
    }

    #[test]
    fn after_lets_the_first_calls_through() {
        let mut faults = Faults::default();
        faults.add(vec![FaultRule { after: 2, ..rule("/a", -1, 1) }]);
        let hits: Vec<_> = (0..4).map(|_| faults.take("/a").is_some()).collect();
        assert_eq!(hits, [false, false, true, false]);
    }

    #[test]
    fn a_garbled_body_is_not_json() {
        for body in [&b"{}"[..], b"", br#"{"access_token":"x","expires_in":7200}"#] {
            assert!(serde_json::from_slice::<serde_json::Value>(&garble(body)).is_err());
        }
    }

    #[test]
    fn a_rule_that_does_nothing_is_refused() {
        let idle = FaultRule { errcode: None, ..rule("/a", 0, 1) };
        assert!(idle.validate().is_err());
        assert!(FaultRule { path: "a".into(), ..rule("/a", 1, 1) }.validate().is_err());
    }
}
