//! Login and session keys (wechat-api.md §3, §4, §15.4–5): `sns/jscode2session` exchanges a
//! single-use, 5-minute code for openid + a fresh session_key (retiring the previous key);
//! `wxa/checksession` and `wxa/resetusersessionkey` prove knowledge of the current key with
//! hex(HMAC-SHA256(key = session_key text, message = "")).

use crate::clock::minute_of;
use crate::ids;
use crate::sim_crypto;
use crate::state::{Sim, State, User};
use crate::tokens::{app_with_secret, authorize};
use crate::wx::{Call, Reply, WxErr};
use serde_json::json;

/// `GET /sns/jscode2session?appid&secret&js_code&grant_type=authorization_code`
pub fn jscode2session(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let State { apps, login_codes, rng, limits, .. } = &mut *guard;
    let app = app_with_secret(apps, call.param("appid"), call.param("secret"))?;
    if call.param("grant_type") != Some("authorization_code") {
        return Err(WxErr(40002));
    }
    let js_code = call.required("js_code", 41008)?;
    // Unknown, or minted for another app: WeChat cannot tell the two apart either.
    let code = login_codes.get_mut(js_code).filter(|c| c.appid == app.appid).ok_or(WxErr(40029))?;
    let user = app.users.get_mut(&code.openid).ok_or(WxErr(40029))?;
    if user.logins_this_minute.hit(minute_of(now)) > limits.login_per_minute_per_user {
        return Err(WxErr(45011));
    }
    if user.blocked {
        return Err(WxErr(40226));
    }
    if code.used {
        return Err(WxErr(40163));
    }
    if now >= code.issued_at + limits.login_code_lifetime {
        return Err(WxErr(40029));
    }
    code.used = true;
    let session_key = ids::session_key(rng);
    user.session_key = Some(session_key.clone());
    // A real success carries no errcode at all.
    let mut body = json!({"openid": user.openid, "session_key": session_key});
    if let Some(unionid) = &user.unionid {
        body["unionid"] = json!(unionid);
    }
    Ok(Reply::json(body).with_note(format!("openid {}", user.openid)))
}

/// `GET /wxa/checksession?access_token&openid&signature&sig_method=hmac_sha256`
pub fn check_session(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let user = signed_user(&mut guard, call, now)?;
    Ok(Reply::ok_with(json!({})).with_note(format!("openid {}", user.openid)))
}

/// `GET /wxa/resetusersessionkey?access_token&openid&signature&sig_method=hmac_sha256`:
/// a new key replaces the current one. Session keys have no expiry in the simulator, so
/// "the new key inherits the old key's expiry" holds trivially.
pub fn reset_session_key(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let session_key = ids::session_key(&mut guard.rng);
    let user = signed_user(&mut guard, call, now)?;
    user.session_key = Some(session_key.clone());
    let openid = user.openid.clone();
    Ok(Reply::ok_with(json!({"openid": openid, "session_key": session_key})).with_note(format!("openid {openid}")))
}

/// The token check, then the user, then their signature over "" with the current key.
fn signed_user<'a>(state: &'a mut State, call: &Call, now: i64) -> Result<&'a mut User, WxErr> {
    let appid = authorize(state, call, now)?;
    // Assumption: WeChat does not document the errcode for a wrong sig_method; 40097
    // ("invalid args") is what its other endpoints answer for a bad enumerated argument.
    if call.param("sig_method") != Some("hmac_sha256") {
        return Err(WxErr(40097));
    }
    let openid = call.required("openid", 41009)?;
    // Assumption: an openid this app never saw is 40003 ("invalid openid"), as elsewhere.
    let user = state.apps.get_mut(&appid).and_then(|app| app.users.get_mut(openid)).ok_or(WxErr(40003))?;
    let signature = call.param("signature").unwrap_or_default();
    let matches = user.session_key.as_deref().is_some_and(|key| sim_crypto::session_signature(key, "") == signature);
    if !matches {
        return Err(WxErr(87009));
    }
    Ok(user)
}
