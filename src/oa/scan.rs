//! Scan-to-login through the official account (wechat-oa.md §6), pure: the attempt's scene and
//! its secret id, the scene a `subscribe` / `SCAN` push carries, and the attempt's life.
//!
//! The QR code carries a `scene` (in WeChat's ticket, not in the picture); the browser that
//! shows it holds the attempt's id = scene + a secret, so seeing a scene in a push, or a
//! scanner's phone, never lets anyone else collect the session.

use crate::shared::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};

/// Scenes of login attempts start with this; other parametric QR codes are left alone.
pub const SCENE_PREFIX: &str = "login_";
const SCENE_HEX: usize = 24;
const SECRET_HEX: usize = 32;

/// A new attempt's scene (`login_` + 96 random bits) and id (the scene's hex + 128 more).
pub fn new_attempt(scene_random: [u8; 12], secret_random: [u8; 16]) -> (String, String) {
    let scene_hex = hex::encode(scene_random);
    (format!("{SCENE_PREFIX}{scene_hex}"), format!("{scene_hex}{}", hex::encode(secret_random)))
}

/// An attempt id from the URL: its scene and secret.
pub fn parse_id(id: &str) -> ApiResult<(String, String)> {
    if id.len() != SCENE_HEX + SECRET_HEX || !id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(ApiError::new(404, "attempt_not_found", "no such scan-login attempt"));
    }
    let (scene, secret) = id.split_at(SCENE_HEX);
    Ok((format!("{SCENE_PREFIX}{scene}"), secret.to_owned()))
}

/// The login scene of a push, if it is one: `subscribe` with `EventKey` `qrscene_<scene>` (a
/// new follower), or `SCAN` with the bare scene (a follower), §6.2.
pub fn login_scene<'a>(event: Option<&str>, event_key: Option<&'a str>) -> Option<&'a str> {
    let key = event_key?.trim();
    let scene = match event? {
        "subscribe" => key.strip_prefix("qrscene_")?,
        "SCAN" => key,
        _ => return None,
    };
    let hex = scene.strip_prefix(SCENE_PREFIX)?;
    (hex.len() == SCENE_HEX && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(scene)
}

/// Where an attempt is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Attempt {
    /// Waiting for the scan.
    Pending {
        expires_at: u64,
    },
    /// Scanned by this user; the session is made when the page collects it.
    Scanned {
        openid: String,
        new_follower: bool,
        expires_at: u64,
    },
    /// The page collected its session: nothing more to give.
    Collected,
    Expired,
}

#[cfg(test)]
mod tests;
