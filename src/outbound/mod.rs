//! Requests the Worker sends to WeChat on a caller's behalf (customer-service messages,
//! subscribe messages, analytics, content checks), parsed and checked before WeChat sees
//! them: a bad request is our 400 naming the field, not a WeChat round trip and an errcode.
//!
//! - [`custom`]: `message/custom/send` and `message/custom/typing` (wechat-api.md §9).
//! - [`subscribe`]: `message/subscribe/send`, the keyword value rules, templates (§10).
//! - [`analytics`]: the `datacube` reports and their date ranges, with the date math (§11).
//! - [`security`]: `wxa/msg_sec_check` version 2 (§12.1).
//!
//! Every parser takes the request body as a JSON object and never panics; fields it does not
//! know (such as `appid`, which the handler reads) are ignored.

pub mod analytics;
pub mod custom;
pub mod security;
pub mod subscribe;

use crate::error::ApiError;
use serde_json::{Map, Value};

/// A JSON request body.
pub type Body = Map<String, Value>;

/// An optional string field: absent or `null` is `None`; anything but a string is a 400.
pub(crate) fn optional_str<'a>(body: &'a Body, field: &str, shown: &str) -> Result<Option<&'a str>, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid_field(shown, "must be a string")),
    }
}

/// A required, non-empty string field. `shown` is the name in the error (`text.content`).
pub(crate) fn required_str<'a>(body: &'a Body, field: &str, shown: &str) -> Result<&'a str, ApiError> {
    match optional_str(body, field, shown)? {
        None => Err(ApiError::invalid_field(shown, "is required")),
        Some("") => Err(ApiError::invalid_field(shown, "must not be empty")),
        Some(s) => Ok(s),
    }
}

/// A required object field (`{"text": {...}}`).
pub(crate) fn required_object<'a>(body: &'a Body, field: &str) -> Result<&'a Body, ApiError> {
    match body.get(field) {
        None | Some(Value::Null) => Err(ApiError::invalid_field(field, "is required")),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(ApiError::invalid_field(field, "must be an object")),
    }
}

/// An openid: 1–64 of `[A-Za-z0-9_-]` (real ones are 28 characters).
pub(crate) fn openid(body: &Body, field: &str) -> Result<String, ApiError> {
    let value = required_str(body, field, field)?;
    let ok = value.len() <= 64 && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(ApiError::invalid_field(field, "must be an openid (1-64 of A-Z a-z 0-9 _ -)"));
    }
    Ok(value.to_owned())
}

/// An identifier WeChat issued (media_id, template id): printable ASCII without spaces.
pub(crate) fn wechat_id(value: &str, field: &str, max: usize) -> Result<String, ApiError> {
    if value.is_empty() {
        return Err(ApiError::invalid_field(field, "must not be empty"));
    }
    if value.chars().count() > max {
        return Err(ApiError::invalid_field(field, &format!("is longer than {max} characters")));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ApiError::invalid_field(field, "must be printable ASCII without spaces"));
    }
    Ok(value.to_owned())
}

pub(crate) fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(v: Value) -> Body {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn string_fields_say_what_is_wrong() {
        let b = body(json!({"a": "x", "n": 3, "e": "", "z": null}));
        assert_eq!(required_str(&b, "a", "a").unwrap(), "x");
        assert_eq!(required_str(&b, "n", "n").unwrap_err().message, "`n` must be a string");
        assert_eq!(required_str(&b, "e", "e").unwrap_err().message, "`e` must not be empty");
        assert_eq!(required_str(&b, "z", "z").unwrap_err().message, "`z` is required");
        assert_eq!(optional_str(&b, "missing", "missing").unwrap(), None);
    }

    #[test]
    fn openids_are_url_safe_and_bounded() {
        assert!(openid(&body(json!({"o": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})), "o").is_ok());
        assert!(openid(&body(json!({"o": "o".repeat(64)})), "o").is_ok());
        assert!(openid(&body(json!({"o": "o".repeat(65)})), "o").is_err());
        assert!(openid(&body(json!({"o": "a b"})), "o").is_err());
        assert!(openid(&body(json!({"o": "微信"})), "o").is_err());
        assert_eq!(openid(&body(json!({})), "touser").unwrap_err().message, "`touser` is required");
    }

    #[test]
    fn wechat_ids_are_printable_ascii() {
        assert!(wechat_id("bDmywsp2oEHjwAadTGKkUHpC0RgBVPvfAEsw1s1nw4Q", "id", 128).is_ok());
        assert!(wechat_id("", "id", 128).is_err());
        assert!(wechat_id("a b", "id", 128).is_err());
        assert!(wechat_id(&"a".repeat(129), "id", 128).is_err());
    }
}
