//! Official-account web authorization (网页授权, wechat-oa.md §1), pure: the authorize URL in
//! the parameter order WeChat matches strictly, the signed single-use `state`, the callback's
//! query and the code exchange's answer.

use crate::shared::crypto::hex_eq;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::origins;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::Sha256;

/// HKDF `info` of the state-signing key, derived from `INTERNAL_API_KEY`.
const STATE_KEY_INFO: &[u8] = b"wechat-edge/oauth-state/hmac-sha256/v1";
const ID_HEX: usize = 32;
const MAC_HEX: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Silent; the openid only.
    SnsapiBase,
    /// Consent; the profile through `sns/userinfo`.
    SnsapiUserinfo,
}

impl Scope {
    pub fn parse(value: Option<&str>) -> ApiResult<Scope> {
        match value.map(str::trim) {
            None | Some("") | Some("snsapi_base") => Ok(Scope::SnsapiBase),
            Some("snsapi_userinfo") => Ok(Scope::SnsapiUserinfo),
            Some(_) => Err(ApiError::invalid_field("scope", "must be snsapi_base or snsapi_userinfo")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::SnsapiBase => "snsapi_base",
            Scope::SnsapiUserinfo => "snsapi_userinfo",
        }
    }
}

fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// WeChat's authorize URL: "会对授权链接做正则强匹配校验" — exactly this parameter order, and
/// `#wechat_redirect` at the end. An empty `state` is left out.
pub fn authorize_url(open_base: &str, appid: &str, redirect_uri: &str, scope: Scope, state: &str) -> String {
    let mut url = format!(
        "{open_base}/connect/oauth2/authorize?appid={}&redirect_uri={}&response_type=code&scope={}",
        encode(appid),
        encode(redirect_uri),
        scope.as_str()
    );
    if !state.is_empty() {
        url.push_str("&state=");
        url.push_str(state);
    }
    url.push_str("#wechat_redirect");
    url
}

/// Where the user goes after the login: an absolute http(s) URL on a `WEB_ORIGINS` origin.
pub fn check_redirect(allowed: &[String], redirect: Option<&str>) -> ApiResult<String> {
    let redirect = redirect.map(str::trim).filter(|r| !r.is_empty()).ok_or_else(|| {
        ApiError::invalid_field("redirect", "is required: the page to return to after the login (on a WEB_ORIGINS origin)")
    })?;
    if redirect.len() > 2048 {
        return Err(ApiError::invalid_field("redirect", "is longer than 2048 characters"));
    }
    if origins::origin_of(redirect).is_none() {
        return Err(ApiError::invalid_field("redirect", "must be an absolute http(s) URL"));
    }
    if !origins::allowed(allowed, redirect) {
        return Err(ApiError::new(
            400,
            "redirect_not_allowed",
            "`redirect` is not on an origin listed in WEB_ORIGINS; add the origin there to allow it",
        ));
    }
    Ok(redirect.to_owned())
}

/// The state-signing key.
pub fn state_key(internal_api_key: &str) -> [u8; 32] {
    let mut key = [0u8; 32];
    // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
    let _ = Hkdf::<Sha256>::new(None, internal_api_key.as_bytes()).expand(STATE_KEY_INFO, &mut key);
    key
}

fn state_mac(key: &[u8; 32], id: &str, expires_at: u64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(expires_at.to_string().as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..MAC_HEX / 2])
}

/// A `state`: id (hex) + expiry (decimal) + MAC (hex), only `[0-9a-f]` and under WeChat's
/// 128-byte limit. The id names the login attempt's object, which makes it single use; the
/// MAC lets a forged state be refused without touching storage.
pub fn mint_state(key: &[u8; 32], id: [u8; 16], expires_at: u64) -> String {
    let id = hex::encode(id);
    let mac = state_mac(key, &id, expires_at);
    format!("{id}{expires_at:010}{mac}")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateError {
    Missing,
    Forged,
    Expired,
}

impl StateError {
    pub fn into_error(self) -> ApiError {
        match self {
            StateError::Missing => ApiError::new(400, "state_missing", "the callback has no state: start the web login again"),
            StateError::Forged => ApiError::new(400, "state_invalid", "the state was not issued by this server"),
            StateError::Expired => {
                ApiError::new(400, "state_expired", "the web login took longer than 10 minutes: start it again")
            }
        }
    }
}

/// Checks a state's MAC (in constant time) and expiry; answers its id.
pub fn verify_state(key: &[u8; 32], state: Option<&str>, now: u64) -> Result<String, StateError> {
    let state = state.filter(|s| !s.is_empty()).ok_or(StateError::Missing)?;
    if state.len() != ID_HEX + 10 + MAC_HEX || !state.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(StateError::Forged);
    }
    let (id, rest) = state.split_at(ID_HEX);
    let (expiry, mac) = rest.split_at(10);
    let expires_at: u64 = expiry.parse().map_err(|_| StateError::Forged)?;
    if !hex_eq(&state_mac(key, id, expires_at), mac) {
        return Err(StateError::Forged);
    }
    if now >= expires_at {
        return Err(StateError::Expired);
    }
    Ok(id.to_owned())
}

/// `sns/oauth2/access_token`'s answer, as far as we use it. The user-level token is used at
/// once for `sns/userinfo` and then dropped; it is never stored or returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGrant {
    pub access_token: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub scope: String,
    /// `is_snapshotuser: 1` (§1.6): a virtual user from the snapshot page; its ids are fake.
    pub snapshot: bool,
}

pub fn parse_grant(body: &Value) -> ApiResult<UserGrant> {
    let text = |name: &str| body.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    let (Some(access_token), Some(openid)) = (text("access_token"), text("openid")) else {
        return Err(ApiError::upstream("WeChat's sns/oauth2/access_token answer lacks access_token or openid"));
    };
    let snapshot = matches!(body.get("is_snapshotuser"), Some(v) if v.as_i64() == Some(1) || v.as_str() == Some("1"));
    Ok(UserGrant { access_token, openid, unionid: text("unionid"), scope: text("scope").unwrap_or_default(), snapshot })
}

/// The refusal of a snapshot user (§1.6): create and bind nothing, point at "使用完整服务".
pub fn snapshot_refused() -> ApiError {
    ApiError::new(
        403,
        "snapshot_user",
        "WeChat opened the page in snapshot mode (a virtual user): tap 使用完整服务 (use the full service) and log in again",
    )
}

#[cfg(test)]
mod tests;
