//! Requests the Worker sends to WeChat on a caller's behalf (customer-service messages,
//! subscribe messages, analytics, content checks), parsed and checked before WeChat sees
//! them: a bad request is our 400 naming the field, not a WeChat round trip and an errcode.
//!
//! - [`custom`]: `message/custom/send` and `message/custom/typing` (wechat-api.md §9).
//! - [`subscribe`]: `message/subscribe/send`, the keyword value rules, templates (§10).
//! - [`analytics`]: the `datacube` reports and their date ranges, with the date math (§11).
//! - [`security`]: `wxa/msg_sec_check` version 2 (§12.1).
//! - [`multipart`]: the multipart body of `media/upload`.
//! - `handler` (wasm32 only): `/internal/messages/*`, `/internal/media/upload`,
//!   `/internal/templates`, `/internal/analytics/*`, `/internal/security/text`.
//!
//! Every parser takes the request body as a JSON object and never panics; fields it does not
//! know (such as `appid`, which the handler reads) are ignored.

pub mod analytics;
pub mod custom;
pub mod multipart;
pub mod security;
pub mod subscribe;

#[cfg(target_arch = "wasm32")]
pub mod handler;

use crate::shared::error::ApiError;
use crate::shared::fields::required_str;
pub use crate::shared::fields::Body;

/// An openid: 1–64 of `[A-Za-z0-9_-]` (real ones are 28 characters).
pub(crate) fn openid(body: &Body, field: &str) -> Result<String, ApiError> {
    let value = required_str(body, field)?;
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
mod tests;
