//! WeChat's errcodes and what each means for our callers. WeChat answers HTTP 200 for
//! business errors; success bodies may carry `errcode: 0` or no errcode at all.
//! Match on `errcode`, never on `errmsg` (its wording and `rid` suffix change).

use crate::shared::error::{ApiError, Retry};
use serde_json::Value;

/// The API family a call belongs to: the same errcode means different things per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    Token,
    Login,
    Phone,
    CheckSession,
    QrCode,
    Messages,
    /// Official-account web authorization: `sns/oauth2/access_token`, `sns/userinfo`.
    OAuth,
    /// Official-account template messages (`message/template/send`).
    Template,
    Generic,
}

/// The errcode of a WeChat JSON body; absent means success (0).
pub fn errcode_of(body: &Value) -> i64 {
    match body.get("errcode") {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(-1),
        Some(Value::String(s)) => s.trim().parse().unwrap_or(-1),
        _ => 0,
    }
}

/// `errmsg` without its ` rid: …` / ` hint: […]` suffix, bounded, for our error messages.
pub fn errmsg_of(body: &Value) -> String {
    let raw = body.get("errmsg").and_then(Value::as_str).unwrap_or("");
    let cut = [" rid:", ", rid:", " hint:", ",rid:"].iter().filter_map(|m| raw.find(m)).min().unwrap_or(raw.len());
    raw.get(..cut).unwrap_or(raw).chars().take(160).collect::<String>().trim().to_owned()
}

/// The codes that mean "this access_token is stale": refresh once (compare-and-refresh),
/// retry once.
pub fn is_stale_token(code: i64) -> bool {
    matches!(code, 40001 | 42001 | 40014)
}

/// Our error for a WeChat errcode in the given API family.
pub fn map(api: Api, code: i64, errmsg: &str) -> ApiError {
    let said = if errmsg.is_empty() { String::new() } else { format!(" (WeChat said: {errmsg})") };
    let e = |status: u16, c: &'static str, m: &str| ApiError::new(status, c, format!("{m}{said}")).with_errcode(code);
    match (api, code) {
        (_, -1) => e(503, "wechat_busy", "WeChat is busy (system error); retry shortly").with_retry(Retry::Safe),
        (Api::Login, 40029 | 40163) => e(
            401,
            "invalid_login_code",
            "the login code is invalid, expired or already used: call wx.login again and send the new code",
        ),
        (Api::OAuth, 40029) => e(400, "oauth_code_invalid", "the authorization code is invalid: start the web login again"),
        (Api::OAuth, 40163) => e(400, "oauth_code_used", "the authorization code was already used: start the web login again"),
        (Api::OAuth, 42003) => e(400, "oauth_code_expired", "the authorization code expired (5 minutes): start the web login again"),
        (Api::OAuth, 48001) => {
            e(403, "scope_unauthorized", "the user's authorization does not cover this (snsapi_base cannot read a profile)")
        }
        (Api::OAuth, 40003) => e(400, "invalid_openid", "the openid does not match the authorization"),
        (Api::Template, 43004) => e(409, "user_not_following", "the user does not follow the official account"),
        (Api::Template, 40003) => e(400, "invalid_openid", "the openid is not a user of this official account"),
        (Api::Template, 40037) => e(400, "invalid_template_id", "the template id is not in the account's templates"),
        (Api::Template, 47003) => e(400, "invalid_template_data", "WeChat rejected the template data"),
        (Api::Login, 40226) => e(403, "login_blocked", "WeChat blocked this login as high-risk"),
        (Api::Phone, 40029) => e(400, "invalid_phone_code", "the phone code is invalid, expired or already used: ask the user again"),
        (Api::Phone, 40013) => e(400, "invalid_phone_code", "the phone code belongs to another app"),
        (Api::CheckSession, 87009) => e(401, "session_key_invalid", "WeChat no longer accepts this session's key: log in again"),
        (Api::QrCode, 41030) => e(
            400,
            "invalid_page",
            "the page is not in the published version: publish it, or pass check_path=false or env_version trial/develop",
        ),
        (Api::QrCode, 40169) => e(400, "invalid_scene", "WeChat rejected the scene or the request body"),
        (Api::QrCode, 40097) => e(400, "invalid_args", "WeChat rejected an argument (env_version or width)"),
        (Api::QrCode, 40159) => e(400, "invalid_path", "WeChat rejected the path"),
        (Api::QrCode, 45029) => e(409, "quota_exhausted", "the lifetime total of 100,000 codes for this app is used up"),
        (Api::Messages, 43101) => e(409, "user_not_subscribed", "the user has not subscribed to this template (or used the grant)"),
        (Api::Messages, 45015) => e(409, "outside_service_window", "the user has not interacted within the customer-service window"),
        (Api::Messages, 45047) => e(429, "send_quota_exhausted", "the customer-service send quota for this user is used up"),
        (Api::Messages, 40003) => e(400, "invalid_openid", "the openid is not a user of this app"),
        (Api::Messages, 47003) => e(400, "invalid_template_data", "WeChat rejected the template data"),
        (Api::Messages, 45002) => e(413, "content_too_long", "the message content is too long"),
        (Api::Messages, 40007) => e(400, "invalid_media_id", "the media_id is unknown or expired (media ids live 3 days): upload again"),
        (Api::Messages, 45072) => e(400, "invalid_typing_command", "the typing command must be Typing or CancelTyping"),
        (Api::Messages, 45080) => e(409, "outside_typing_window", "typing can be shown only within 30 s of the user's last message"),
        (Api::Messages, 45081) => e(409, "already_typing", "typing is already shown to this user"),
        (Api::Messages, 40037) => e(400, "invalid_template_id", "the template id is invalid"),
        (_, 41030 | 40165) => e(
            400,
            "invalid_page",
            "the page is not in the published version: publish it, or use check_path=false / env_version trial or develop where allowed",
        ),
        (_, 40212) => e(400, "invalid_query", "WeChat rejected the query string"),
        (_, 85401) => e(400, "invalid_expiry", "WeChat rejected the expiry (at most 30 days ahead)"),
        (Api::Messages, 40004 | 40005) => e(400, "invalid_media_type", "WeChat refused the file type: send a JPEG or PNG image"),
        (Api::Messages, 40006 | 40009) => e(413, "media_too_large", "WeChat refused the file size"),
        (_, 61500 | 61501) => e(400, "invalid_date_range", "WeChat rejected the date range"),
        (_, 40129 | 44002) => e(400, "invalid_request", "WeChat rejected a parameter"),
        (_, 45009 | 45011) => e(429, "rate_limited", "WeChat's rate limit or quota was reached; retry later"),
        (_, 47001) => e(400, "invalid_request", "WeChat rejected the request format"),
        (_, 48001) => e(403, "api_unauthorized", "this app is not allowed to call this WeChat API"),
        (_, 40013 | 40125 | 41002 | 41004 | 40243) => e(
            502,
            "wechat_credentials_rejected",
            "WeChat rejected the app id or AppSecret: check WECHAT_APPID / WECHAT_APP_SECRET",
        ),
        (_, 40164 | 89501 | 89503 | 89506 | 89507) => e(
            502,
            "wechat_ip_not_allowed",
            "WeChat refused this caller's IP (IP whitelist): Workers have no fixed egress IP, so route the calls through a relay (WECHAT_RELAY_URL, deploy/relay/) or clear the whitelist",
        ),
        (_, 40001 | 42001 | 40014 | 41001) => e(502, "access_token_rejected", "WeChat rejected the access_token"),
        _ => e(502, "wechat_error", "WeChat answered with an error"),
    }
}

/// Maps a whole JSON body: `Ok(body)` on success, else our error.
pub fn check(api: Api, body: Value) -> Result<Value, ApiError> {
    match errcode_of(&body) {
        0 => Ok(body),
        code => Err(map(api, code, &errmsg_of(&body))),
    }
}

#[cfg(test)]
mod tests;
