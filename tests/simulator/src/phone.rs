//! Phone numbers (wechat-api.md §5, §15.6): `wxa/business/getuserphonenumber` exchanges a
//! single-use, 5-minute code from `<button open-type="getPhoneNumber">` for the number.

use crate::state::{Phone, Sim, State};
use crate::tokens::authorize;
use crate::wx::{json_str, Call, Reply, WxErr};
use serde_json::json;

/// `POST /wxa/business/getuserphonenumber?access_token=` with `{"code"}`.
pub fn get_user_phone_number(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    let State { phone_codes, limits, .. } = &mut *guard;
    let code = json_str(&body, "code", 40029)?;
    let pending = phone_codes.get_mut(code).ok_or(WxErr(40029))?;
    if pending.appid != appid {
        return Err(WxErr(40013));
    }
    if pending.used || now >= pending.issued_at + limits.phone_code_lifetime {
        return Err(WxErr(40029));
    }
    pending.used = true;
    let phone = pending.phone.clone().ok_or(WxErr(40029))?;
    Ok(Reply::ok_with(json!({
        "phone_info": {
            "phoneNumber": phone.phone_number(),
            "purePhoneNumber": phone.pure,
            "countryCode": phone.country_code,
            "watermark": {"timestamp": now, "appid": appid},
        }
    }))
    .with_note(format!("openid {}", pending.openid)))
}

/// Reads a test's phone number: `+8613800138000`, or bare digits with a separate country code
/// (default 86). Answers None for anything that is not a plausible number.
pub fn parse_phone(phone: &str, country_code: Option<&str>) -> Option<Phone> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (country_code, pure) = match (phone.strip_prefix('+'), country_code) {
        (Some(rest), Some(cc)) => (cc.to_string(), rest.strip_prefix(cc)?.to_string()),
        (Some(rest), None) => ("86".to_string(), rest.strip_prefix("86")?.to_string()),
        (None, cc) => (cc.unwrap_or("86").to_string(), phone.to_string()),
    };
    (digits(&country_code) && digits(&pure) && pure.len() <= 15).then_some(Phone { country_code, pure })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_parse_with_or_without_plus() {
        let cn = parse_phone("+8613800138000", None).unwrap();
        assert_eq!((cn.country_code.as_str(), cn.pure.as_str()), ("86", "13800138000"));
        assert_eq!(parse_phone("13800138000", None), Some(cn));
        let us = parse_phone("+12025550123", Some("1")).unwrap();
        assert_eq!(us.pure, "2025550123");
        assert_eq!(parse_phone("+12025550123", None), None);
        assert_eq!(parse_phone("138-0013", None), None);
    }
}
