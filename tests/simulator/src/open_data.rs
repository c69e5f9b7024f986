//! The open-data hook (wechat-api.md §6, §15.7): what `wx.getUserInfo` (and friends) would hand
//! the mini-program — `encryptedData`, `iv`, `rawData`, `signature` — made with the user's
//! current session_key, or with a stranger key to play a user whose key has since rotated.

use crate::control::{parse, resolve_appid, Ctl, CtlError};
use crate::ids;
use crate::sim_crypto::{encrypt_open_data, raw_data_signature};
use crate::state::Sim;
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::Json;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenDataRequest {
    appid: Option<String>,
    openid: String,
    /// The plaintext minus its watermark; default a userInfo object. A `watermark` given here
    /// is kept as is (to test a foreign one), otherwise the real one is added.
    data: Option<Value>,
    #[serde(default)]
    rotated: bool,
}

/// What a user who never set a profile shows since 2022: "微信用户" and the grey avatar.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserInfo {
    nick_name: &'static str,
    gender: u8,
    language: &'static str,
    city: &'static str,
    province: &'static str,
    country: &'static str,
    avatar_url: &'static str,
}

const USER_INFO: UserInfo = UserInfo {
    nick_name: "微信用户",
    gender: 0,
    language: "zh_CN",
    city: "",
    province: "",
    country: "",
    avatar_url: "https://thirdwx.qlogo.cn/mmopen/vi_32/POgEwh4mIHO4nibH0KlMECNjjGxQUq24ZEaGT4poC6icRiccVGKSyXwibcPq4BWmiaIGuG1icwxaQX6grC9VemZoJ8rg/132",
};

/// The encrypted form, in the field order WeChat uses (§14-A).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Decrypted<'a> {
    open_id: &'a str,
    #[serde(flatten)]
    info: &'a UserInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    union_id: Option<&'a str>,
    watermark: Value,
}

/// `POST /_sim/open_data {"appid"?, "openid", "data"?, "rotated"?}` →
/// `{"encryptedData","iv","rawData","signature"}`.
pub async fn create(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: OpenDataRequest = parse(&body)?;
    let now = sim.clock.now();
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    let user = state
        .apps
        .get(&appid)
        .and_then(|app| app.users.get(&req.openid))
        .ok_or_else(|| CtlError::bad(format!("unknown openid {:?} in {appid}", req.openid)))?;
    let current_key =
        user.session_key.clone().ok_or_else(|| CtlError::bad("this user has no session_key yet: exchange a login code first"))?;
    let watermark = json!({"timestamp": now, "appid": appid});

    let (raw_data, plaintext) = match req.data {
        None => {
            let raw = serde_json::to_string(&USER_INFO).unwrap_or_default();
            let full = Decrypted { open_id: &user.openid, info: &USER_INFO, union_id: user.unionid.as_deref(), watermark };
            (raw, serde_json::to_string(&full).unwrap_or_default())
        }
        Some(Value::Object(mut data)) => {
            data.entry("watermark").or_insert(watermark);
            let plaintext = Value::Object(data.clone()).to_string();
            data.remove("watermark");
            (Value::Object(data).to_string(), plaintext)
        }
        Some(_) => return Err(CtlError::bad("data must be a JSON object")),
    };
    let key = if req.rotated { ids::session_key(&mut state.rng) } else { current_key };
    let iv: [u8; 16] = state.rng.gen();
    drop(state);

    let encrypted = encrypt_open_data(&key, iv, &plaintext)
        .map_err(|e| CtlError::bad(format!("cannot encrypt with this session_key: {e:?}")))?;
    Ok(Json(json!({
        "encryptedData": encrypted,
        "iv": B64.encode(iv),
        "rawData": raw_data,
        "signature": raw_data_signature(&raw_data, &key),
    })))
}
