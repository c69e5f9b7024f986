//! The field rules WeChat Pay checks (wechat-pay.md §3, §6, §7), checked here first so bad input
//! is a 400 naming the field and never reaches WeChat Pay. Every error is
//! [`ApiError::invalid_field`] with the field's name as WeChat spells it (`amount.total`).

use crate::shared::date::Date;
use crate::shared::error::{ApiError, ApiResult};

/// The largest amount we accept, in fen (¥1,000,000). WeChat's own limit depends on the
/// merchant and the payer's bank; ours keeps a typo (an amount in yuan × 10⁴) from reaching it
/// and stays well inside the `int32` the SDKs use for `amount.total`.
pub const MAX_AMOUNT_FEN: u64 = 100_000_000;

/// A length check in characters (WeChat's `string(n)` counts characters), plus WeChat's rule
/// that only UTF-8 characters of 1–3 bytes are supported: an emoji is refused by WeChat, so here.
pub fn text(field: &str, value: &str, min: usize, max: usize) -> ApiResult<()> {
    let chars = value.chars().count();
    if chars < min {
        return Err(if min == 1 {
            ApiError::invalid_field(field, "is required")
        } else {
            ApiError::invalid_field(field, &format!("must be at least {min} characters"))
        });
    }
    if chars > max {
        return Err(ApiError::invalid_field(field, &format!("is too long ({max} characters at most)")));
    }
    if value.chars().any(|c| c.len_utf8() > 3) {
        return Err(ApiError::invalid_field(
            field,
            "must not contain emoji or other 4-byte UTF-8 characters (WeChat Pay refuses them)",
        ));
    }
    if value.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(field, "must not contain control characters"));
    }
    Ok(())
}

/// `[min, max]` characters, each one of `extra` or ASCII alphanumeric.
fn token(field: &str, value: &str, min: usize, max: usize, extra: &[u8], shown: &str) -> ApiResult<()> {
    let ok = (min..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_alphanumeric() || extra.contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid_field(field, &format!("must be {min}–{max} characters of {shown}")))
    }
}

/// `out_trade_no`: 6–32 characters of `0-9 A-Z a-z _ - | *`, unique per merchant (§3).
pub fn out_trade_no(field: &str, value: &str) -> ApiResult<()> {
    token(field, value, 6, 32, b"_-|*", "0-9 A-Z a-z _ - | *")
}

/// `out_refund_no`: up to 64 characters of `0-9 A-Z a-z _ - | * @` (§6).
pub fn out_refund_no(field: &str, value: &str) -> ApiResult<()> {
    token(field, value, 1, 64, b"_-|*@", "0-9 A-Z a-z _ - | * @")
}

/// `transaction_id`: WeChat's 28 digits (we accept 1–32 digits: the length is not documented).
pub fn transaction_id(field: &str, value: &str) -> ApiResult<()> {
    token(field, value, 1, 32, b"", "digits").and_then(|()| digits(field, value))
}

/// `mchid` 商户号: digits, at most 32.
pub fn mchid(field: &str, value: &str) -> ApiResult<()> {
    token(field, value, 1, 32, b"", "digits").and_then(|()| digits(field, value))
}

fn digits(field: &str, value: &str) -> ApiResult<()> {
    if value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiError::invalid_field(field, "must be digits only"))
    }
}

/// `appid`: the mini-program's AppID, at most 32 ASCII letters and digits.
pub fn appid(field: &str, value: &str) -> ApiResult<()> {
    token(field, value, 1, 32, b"", "A-Z a-z 0-9")
}

/// `payer.openid`: at most 128 characters, no spaces or control characters.
pub fn openid(field: &str, value: &str) -> ApiResult<()> {
    token(field, value, 1, 128, b"_-", "A-Z a-z 0-9 _ -")
}

/// An amount in fen (分): a whole number, at least 1, at most [`MAX_AMOUNT_FEN`].
pub fn amount(field: &str, fen: u64) -> ApiResult<u64> {
    if (1..=MAX_AMOUNT_FEN).contains(&fen) {
        Ok(fen)
    } else {
        Err(ApiError::invalid_field(field, &format!("must be a whole number of fen between 1 and {MAX_AMOUNT_FEN}")))
    }
}

/// A notify URL (§3 `notify_url`, §6): absolute, HTTPS, without a query string ("不能携带参数")
/// or fragment, at most `max` characters. Plain HTTP is only reachable over private lines, so
/// it is accepted for a loopback host only (local runs against the simulator).
pub fn notify_url(field: &str, value: &str, max: usize) -> ApiResult<()> {
    if value.len() > max {
        return Err(ApiError::invalid_field(field, &format!("is too long ({max} characters at most)")));
    }
    let rest = if let Some(rest) = value.strip_prefix("https://") {
        rest
    } else if let Some(rest) = value.strip_prefix("http://") {
        let host = rest.split(['/', ':']).next().unwrap_or("");
        if !(host == "localhost" || host.starts_with("127.") || rest.starts_with("[::1]")) {
            return Err(ApiError::invalid_field(field, "must be an https:// URL (plain http only to a loopback host)"));
        }
        rest
    } else {
        return Err(ApiError::invalid_field(field, "must be an absolute https:// URL"));
    };
    if rest.is_empty() || rest.starts_with('/') {
        return Err(ApiError::invalid_field(field, "must name a host"));
    }
    if value.contains(['?', '#']) {
        return Err(ApiError::invalid_field(field, "must not carry a query string or fragment (WeChat Pay refuses parameters)"));
    }
    if value.bytes().any(|b| b.is_ascii_whitespace() || b.is_ascii_control()) {
        return Err(ApiError::invalid_field(field, "must not contain spaces"));
    }
    Ok(())
}

/// An RFC 3339 time as WeChat Pay writes it: `2018-06-08T10:34:56+08:00`, optionally with a
/// fraction (`…56.120+08:00`, the shipping API's form), offset `Z` or `±HH:MM`.
pub fn rfc3339(field: &str, value: &str) -> ApiResult<()> {
    if parse_rfc3339(value).is_some() {
        Ok(())
    } else {
        Err(ApiError::invalid_field(field, "must be an RFC 3339 time such as 2018-06-08T10:34:56+08:00"))
    }
}

/// Unix seconds of an RFC 3339 time (the fraction is dropped), or `None` if it is not one.
pub fn parse_rfc3339(value: &str) -> Option<i64> {
    let b = value.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = value.get(from..from + len)?;
        part.bytes().all(|c| c.is_ascii_digit()).then(|| part.parse().ok())?
    };
    let punct = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if b.len() < 20 || punct.iter().any(|&(i, c)| b.get(i) != Some(&c)) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let date = Date::new(i32::try_from(year).ok()?, u32::try_from(month).ok()?, u32::try_from(day).ok()?)?;
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut rest = &value[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset = match rest.as_bytes() {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {
            let hours = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let minutes = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if hours > 23 || minutes > 59 {
                return None;
            }
            let secs = hours * 3600 + minutes * 60;
            if *sign == b'+' {
                secs
            } else {
                -secs
            }
        }
        _ => return None,
    };
    Some(date.days() * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

/// Beijing time (UTC+8, WeChat's zone) in RFC 3339: `2018-06-08T10:34:56+08:00`, or with
/// milliseconds (`…56.120+08:00`) as `upload_time` wants them.
pub fn beijing_rfc3339(unix_secs: i64, millis: Option<u32>) -> String {
    let local = unix_secs + 8 * 3600;
    let date = Date::from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let fraction = millis.map(|ms| format!(".{:03}", ms.min(999))).unwrap_or_default();
    format!("{:04}-{:02}-{:02}T{h:02}:{m:02}:{s:02}{fraction}+08:00", date.year, date.month, date.day)
}

#[cfg(test)]
mod tests;
