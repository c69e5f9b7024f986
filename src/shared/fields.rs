//! Reading fields of a JSON request body: one family of readers for every capability, each
//! naming the field in its 400 (`invalid_field`), so a caller learns exactly what to fix.
//! `null` always reads as "left out". No input can make these functions panic.

use crate::shared::error::{ApiError, ApiResult};
use serde_json::{Map, Value};

/// A JSON request body.
pub type Body = Map<String, Value>;

/// The value of a field; `null` counts as left out.
pub fn get<'a>(body: &'a Body, key: &str) -> Option<&'a Value> {
    body.get(key).filter(|v| !v.is_null())
}

/// Refuses any field not in `known`; `prefix` names the enclosing object (`line_color.`), so
/// a typo like `widht` is a 400 rather than a silent default.
pub fn reject_unknown(body: &Body, known: &[&str], prefix: &str) -> ApiResult<()> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(ApiError::invalid_field(
            &format!("{prefix}{}", printable(k)),
            &format!("is not a known field (expected one of: {})", known.join(", ")),
        )),
        None => Ok(()),
    }
}

/// A field name as it may appear in a message: bounded, without control characters.
fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).take(64).collect()
}

/// An optional string at `key`; `shown` is how the error names it (`text.content`).
pub fn opt_str_as<'a>(body: &'a Body, key: &str, shown: &str) -> ApiResult<Option<&'a str>> {
    match get(body, key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ApiError::invalid_field(shown, "must be a string")),
    }
}

pub fn opt_str<'a>(body: &'a Body, key: &str) -> ApiResult<Option<&'a str>> {
    opt_str_as(body, key, key)
}

/// A required, non-empty string at `key`, named `shown` in errors.
pub fn required_str_as<'a>(body: &'a Body, key: &str, shown: &str) -> ApiResult<&'a str> {
    match opt_str_as(body, key, shown)? {
        None => Err(ApiError::invalid_field(shown, "is required")),
        Some("") => Err(ApiError::invalid_field(shown, "must not be empty")),
        Some(s) => Ok(s),
    }
}

pub fn required_str<'a>(body: &'a Body, key: &str) -> ApiResult<&'a str> {
    required_str_as(body, key, key)
}

/// [`required_str`] of at most `max_len` bytes.
pub fn bounded_str<'a>(body: &'a Body, key: &str, max_len: usize) -> ApiResult<&'a str> {
    let value = required_str(body, key)?;
    if value.len() > max_len {
        return Err(ApiError::invalid_field(key, &format!("is too long ({max_len} bytes at most)")));
    }
    Ok(value)
}

/// A required object field (`{"text": {...}}`).
pub fn required_object<'a>(body: &'a Body, key: &str) -> ApiResult<&'a Body> {
    match get(body, key) {
        None => Err(ApiError::invalid_field(key, "is required")),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(ApiError::invalid_field(key, "must be an object")),
    }
}

pub fn opt_bool(body: &Body, key: &str, default: bool) -> ApiResult<bool> {
    match get(body, key) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(ApiError::invalid_field(key, "must be true or false (a JSON boolean, not a string)")),
    }
}

/// A whole JSON number (`430`, not `430.5`, `"430"` or `4.3e2`), within `min..=max`.
pub fn opt_int(body: &Body, key: &str, min: i64, max: i64) -> ApiResult<Option<i64>> {
    get(body, key).map(|v| int_value(v, key, min, max)).transpose()
}

/// [`opt_int`] for a value already in hand; `name` is how the error names it.
pub fn int_value(value: &Value, name: &str, min: i64, max: i64) -> ApiResult<i64> {
    let range = || ApiError::invalid_field(name, &format!("must be between {min} and {max}"));
    match value {
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) if (min..=max).contains(&i) => Ok(i),
            (Some(_), _) | (None, Some(_)) => Err(range()),
            (None, None) => Err(ApiError::invalid_field(name, "must be a whole number")),
        },
        _ => Err(ApiError::invalid_field(name, "must be a number (not a string)")),
    }
}

/// Whether a page may carry `?query`: a QR code's `page` may not (the scene carries data), a
/// subscribe message's `page` may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageQuery {
    Refused,
    Allowed,
}

/// The longest page path we pass on (WeChat documents none for a code's `page`; 1024 matches
/// `path` and a subscribe message's `page`).
pub const MAX_PAGE_LEN: usize = 1024;

/// A page of the mini program: `pages/index/index`, no leading `/`, no empty segment, only
/// `A-Z a-z 0-9 _ - . /` in the path; a query (where allowed) has no spaces or control
/// characters. `name` is how the error names the field.
pub fn check_page(name: &str, page: &str, query: PageQuery) -> ApiResult<()> {
    let fail = |problem: &str| Err(ApiError::invalid_field(name, problem));
    if page.chars().count() > MAX_PAGE_LEN {
        return fail(&format!("is longer than {MAX_PAGE_LEN} characters"));
    }
    if page.starts_with('/') {
        return fail("must not start with `/` (write `pages/index/index`)");
    }
    let (path, rest) = match page.split_once('?') {
        Some((path, rest)) => (path, Some(rest)),
        None => (page, None),
    };
    match (rest, query) {
        (Some(_), PageQuery::Refused) => return fail("must not carry a query string (no `?`)"),
        (Some(q), PageQuery::Allowed) if q.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            return fail("must not contain spaces or control characters");
        }
        _ => {}
    }
    if !path.bytes().all(|b| b.is_ascii_alphanumeric() || b"_-./".contains(&b)) {
        return fail("may only contain letters, digits, `_`, `-`, `.` and `/` before any `?`");
    }
    if path.split('/').any(str::is_empty) {
        return fail("has an empty path segment (`//` or a trailing `/`)");
    }
    Ok(())
}

/// An optional page (see [`check_page`]); `""` reads as left out (the home page).
pub fn opt_page(body: &Body, key: &str, query: PageQuery) -> ApiResult<Option<String>> {
    match opt_str(body, key)? {
        None | Some("") => Ok(None),
        Some(page) => check_page(key, page, query).map(|()| Some(page.to_owned())),
    }
}

#[cfg(test)]
mod tests;
