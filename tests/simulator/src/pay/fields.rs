//! The field rules WeChat Pay applies to a request body (wechat-pay.md §3, §6, §10 item 3), as
//! the simulator checks them: every failure is `400 PARAM_ERROR` with `detail.field` a JSON
//! pointer. Also WeChat's RFC 3339 times.

use super::wire::PayErr;
use crate::dates::Date;
use serde_json::{Map, Value};

pub type Body = Map<String, Value>;

/// The body as a JSON object; `null` anywhere is refused ("不允许使用 null", §2.2).
pub fn object(body: &[u8]) -> Result<Body, PayErr> {
    let value: Value = serde_json::from_slice(body).map_err(|_| PayErr::new(400, "PARAM_ERROR", "请求体不是合法的JSON"))?;
    let Value::Object(map) = value else {
        return Err(PayErr::new(400, "PARAM_ERROR", "请求体必须是JSON对象"));
    };
    if let Some(path) = null_at(&Value::Object(map.clone()), String::new()) {
        return Err(PayErr::param(&path, "不允许使用null"));
    }
    Ok(map)
}

fn null_at(value: &Value, path: String) -> Option<String> {
    match value {
        Value::Null => Some(path),
        Value::Object(map) => map.iter().find_map(|(k, v)| null_at(v, format!("{path}/{k}"))),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| null_at(v, format!("{path}/{i}"))),
        _ => None,
    }
}

/// Refuses fields not in `known` (only with the `reject_unknown_fields` setting).
pub fn known(body: &Body, known: &[&str], prefix: &str) -> Result<(), PayErr> {
    match body.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(PayErr::new(400, "PARAM_ERROR", format!("参数中含有非法的额外参数 {prefix}/{k} (270924358)"))),
        None => Ok(()),
    }
}

pub fn opt_str<'a>(body: &'a Body, key: &str, pointer: &str) -> Result<Option<&'a str>, PayErr> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(PayErr::param(pointer, "应为字符串")),
    }
}

pub fn str<'a>(body: &'a Body, key: &str, pointer: &str) -> Result<&'a str, PayErr> {
    opt_str(body, key, pointer)?.filter(|s| !s.is_empty()).ok_or_else(|| PayErr::param(pointer, "为必填参数"))
}

pub fn object_at<'a>(body: &'a Body, key: &str, pointer: &str, required: bool) -> Result<Option<&'a Body>, PayErr> {
    match body.get(key) {
        None if required => Err(PayErr::param(pointer, "为必填参数")),
        None => Ok(None),
        Some(Value::Object(map)) => Ok(Some(map)),
        Some(_) => Err(PayErr::param(pointer, "应为对象")),
    }
}

/// A JSON integer (no fraction, no string).
pub fn int(body: &Body, key: &str, pointer: &str) -> Result<Option<i64>, PayErr> {
    match body.get(key) {
        None => Ok(None),
        Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(|| PayErr::param(pointer, "应为整数")),
        Some(_) => Err(PayErr::param(pointer, "应为整数")),
    }
}

/// `string(n)`: at most `max` characters, only 1–3-byte UTF-8 characters (no emoji).
pub fn text(value: &str, max: usize, pointer: &str) -> Result<(), PayErr> {
    if value.chars().count() > max {
        return Err(PayErr::param(pointer, format!("长度不能超过{max}")));
    }
    if value.chars().any(|c| c.len_utf8() > 3) {
        return Err(PayErr::param(pointer, "含有不支持的字符(仅支持1-3字节的UTF-8字符)"));
    }
    Ok(())
}

/// `[min, max]` characters of ASCII letters, digits and `extra`.
pub fn charset(value: &str, min: usize, max: usize, extra: &[u8], pointer: &str) -> Result<(), PayErr> {
    if (min..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b)) {
        Ok(())
    } else {
        Err(PayErr::param(pointer, format!("格式错误(长度{min}-{max}，仅限字母、数字及{})", String::from_utf8_lossy(extra))))
    }
}

/// An absolute HTTPS URL without parameters (§3 notify_url); plain HTTP only to a loopback
/// host (WeChat allows HTTP only over private lines: for a local worker, that is loopback).
pub fn notify_url(value: &str, max: usize, pointer: &str) -> Result<(), PayErr> {
    if value.len() > max {
        return Err(PayErr::param(pointer, format!("长度不能超过{max}")));
    }
    let host_and_path = if let Some(rest) = value.strip_prefix("https://") {
        rest
    } else if let Some(rest) = value.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        if !(host == "localhost" || host.starts_with("127.") || rest.starts_with("[::1]")) {
            return Err(PayErr::param(pointer, "必须为https地址"));
        }
        rest
    } else {
        return Err(PayErr::param(pointer, "必须为https地址"));
    };
    if host_and_path.is_empty() || host_and_path.starts_with('/') {
        return Err(PayErr::param(pointer, "格式错误"));
    }
    if value.contains(['?', '#']) {
        return Err(PayErr::param(pointer, "不能携带参数"));
    }
    Ok(())
}

/// Unix seconds of `2018-06-08T10:34:56+08:00` (fraction allowed and dropped, `Z` allowed).
pub fn parse_time(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    if b.len() < 20 || [4, 7].iter().any(|&i| b[i] != b'-') || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let n = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = value.get(r)?;
        if s.bytes().all(|c| c.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let date = Date::new(n(0..4)? as i32, n(5..7)? as u32, n(8..10)? as u32)?;
    let (h, m, s) = (n(11..13)?, n(14..16)?, n(17..19)?);
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let mut rest = value.get(19..)?;
    if let Some(frac) = rest.strip_prefix('.') {
        let digits = frac.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = frac.get(digits..)?;
    }
    let offset = if rest == "Z" {
        0
    } else {
        let sign = match rest.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        if rest.len() != 6 || rest.as_bytes()[3] != b':' {
            return None;
        }
        let (oh, om) = (rest.get(1..3)?.parse::<i64>().ok()?, rest.get(4..6)?.parse::<i64>().ok()?);
        sign * (oh * 3600 + om * 60)
    };
    Some(date.days() * 86_400 + h * 3600 + m * 60 + s - offset)
}

/// Beijing time as WeChat Pay writes it: `2018-06-08T10:34:56+08:00`.
pub fn beijing(unix: i64) -> String {
    let local = unix + 8 * 3600;
    let date = Date::from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00", date.year, date.month, date.day, secs / 3600, secs / 60 % 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_beijing_time() {
        let t = 1_722_850_421;
        assert_eq!(parse_time(&beijing(t)), Some(t));
        assert_eq!(parse_time("1970-01-01T00:00:00.5Z"), Some(0));
        assert_eq!(parse_time("2018-06-08T10:34:56"), None);
        assert_eq!(parse_time("2018-13-08T10:34:56+08:00"), None);
    }

    #[test]
    fn nulls_are_found_wherever_they_are() {
        let e = object(br#"{"amount":{"total":null}}"#).unwrap_err();
        assert_eq!(e.detail.unwrap()["field"], "/amount/total");
    }

    #[test]
    fn notify_urls_need_https_or_loopback_and_no_query() {
        assert!(notify_url("https://a.com/n", 255, "/notify_url").is_ok());
        assert!(notify_url("http://127.0.0.1:8787/n", 255, "/notify_url").is_ok());
        assert!(notify_url("http://a.com/n", 255, "/notify_url").is_err());
        assert!(notify_url("https://a.com/n?x=1", 255, "/notify_url").is_err());
    }
}
