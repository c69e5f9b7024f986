//! The one error type of the HTTP contract: every failure becomes
//! `{"error": {"code", "message", "wechat_errcode"?}}` with a fitting status.
//!
//! Messages say what happened and what to do; they never carry a secret, a token or a
//! session_key (callers build them from names and errcodes, never from credentials).

use serde_json::json;
use std::borrow::Cow;
use std::fmt;

/// An error that becomes an HTTP response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: u16,
    pub code: Cow<'static, str>,
    pub message: String,
    pub wechat_errcode: Option<i64>,
    /// For a 405: the methods the path takes (the `Allow` header).
    pub allow: Option<String>,
    /// Whether trying again later can help; what runs after an answer (the outbox) decides
    /// on this, never on a message's text.
    pub retry: Retry,
    /// For a 429: seconds until a retry can succeed (the `Retry-After` header).
    pub retry_after: Option<u32>,
}

/// What trying the same request again later would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Retry {
    /// Nothing better: the request or the configuration must change first.
    #[default]
    Never,
    /// Nothing happened at WeChat (it said busy, answered 5xx, or could not be reached).
    Safe,
    /// WeChat may have acted (no answer in time): again only where repeating is harmless.
    Uncertain,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.into(),
            message: message.into(),
            wechat_errcode: None,
            allow: None,
            retry: Retry::Never,
            retry_after: None,
        }
    }

    /// Attaches the errcode WeChat answered with.
    pub fn with_errcode(mut self, errcode: i64) -> Self {
        self.wechat_errcode = Some(errcode);
        self
    }

    /// The methods the path takes, for a 405's `Allow` header.
    pub fn with_allow(mut self, allow: impl Into<String>) -> Self {
        self.allow = Some(allow.into());
        self
    }

    /// Says whether trying again later can help (see [`Retry`]).
    pub fn with_retry(mut self, retry: Retry) -> Self {
        self.retry = retry;
        self
    }

    /// A rate limit was reached: 429 with `Retry-After: seconds`.
    pub fn rate_limited(message: impl Into<String>, seconds: u32) -> Self {
        let mut e = Self::new(429, "rate_limited", message).with_retry(Retry::Safe);
        e.retry_after = Some(seconds);
        e
    }

    /// Replaces the code (a more specific one for the same status).
    pub fn with_code(mut self, code: impl Into<Cow<'static, str>>) -> Self {
        self.code = code.into();
        self
    }

    pub fn bad_request(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// A request field failed validation; `field` is named in the message.
    pub fn invalid_field(field: &str, problem: &str) -> Self {
        Self::new(400, "invalid_field", format!("`{field}` {problem}"))
    }

    pub fn unauthorized(code: impl Into<Cow<'static, str>>, message: impl Into<String>) -> Self {
        Self::new(401, code, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(404, "not_found", message)
    }

    pub fn method_not_allowed(method: &str, path: &str) -> Self {
        Self::new(405, "method_not_allowed", format!("{method} is not supported on {path}"))
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(413, "body_too_large", format!("the request body is larger than {limit} bytes"))
    }

    /// Configuration the route needs is missing or malformed; names the variable.
    pub fn config(variable: &str, problem: &str) -> Self {
        Self::new(
            500,
            "configuration_error",
            format!(
                "{variable} {problem}: set it in wrangler.toml [vars] or with `wrangler secret put {variable}` (.dev.vars locally)"
            ),
        )
    }

    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(502, "wechat_error", message)
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "wechat_unavailable", message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "internal_error", message)
    }

    /// What a public caller (the mini program) may see of this error: a 4xx as it is; a 5xx
    /// as a generic error of its status, with no configuration names, token-refresh detail or
    /// WeChat errcode, and the retry class kept.
    pub fn for_public(self) -> ApiError {
        if self.status < 500 {
            return self;
        }
        let (code, message) = match self.status {
            502 => ("wechat_error", "WeChat could not serve this request; retry later"),
            503 => ("temporarily_unavailable", "the service is temporarily unavailable; retry shortly"),
            _ => ("internal_error", "the server could not serve this request; the operator has been told"),
        };
        ApiError::new(self.status, code, message).with_retry(self.retry)
    }

    /// The JSON body of the contract.
    pub fn body(&self) -> serde_json::Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let (Some(code), Some(obj)) = (self.wechat_errcode, error.as_object_mut()) {
            obj.insert("wechat_errcode".into(), json!(code));
        }
        json!({ "error": error })
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.status, self.code, self.message)?;
        if let Some(code) = self.wechat_errcode {
            write!(f, " (wechat errcode {code})")?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests;
