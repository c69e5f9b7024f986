//! Temporary media (wechat-api.md §9.3, §15.13): `POST /cgi-bin/media/upload?access_token=&
//! type=image` with a multipart `media` file, and the store `custom/send` checks image
//! `media_id`s against — they live 3 days (simulated time) and belong to one app.

use crate::control::{query, Ctl};
use crate::state::Sim;
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use rand::Rng;
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

mod multipart;

/// "media_id 有效期 3 天" (§9.3).
pub const MEDIA_LIFETIME: i64 = 3 * 86_400;
/// WeChat's temporary-image limit is 10 MB (assumed from the official-account media docs).
const MAX_IMAGE_BYTES: usize = 10 * 1024 * 1024;
const MEDIA_ID_LEN: usize = 64;
const MEDIA_ID_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// One uploaded file. The bytes are not kept: nothing reads them back.
#[derive(Clone, Debug, Serialize)]
pub struct Media {
    pub appid: String,
    pub created_at: i64,
    pub size: usize,
    pub filename: Option<String>,
    pub content_type: Option<String>,
}

/// Every media id issued, across apps.
#[derive(Default)]
pub struct MediaStore {
    items: HashMap<String, Media>,
}

impl MediaStore {
    /// A `media_id` `appid` may send at `now`: unknown, another app's, or older than 3 days →
    /// 40007 `invalid media_id` (the code is the simulator's choice, §15.13; unverified).
    pub fn check(&self, appid: &str, media_id: &str, now: i64) -> Result<(), WxErr> {
        match self.items.get(media_id) {
            Some(m) if m.appid == appid && now < m.created_at + MEDIA_LIFETIME => Ok(()),
            _ => Err(WxErr(40007)),
        }
    }

    fn insert(&mut self, media_id: String, media: Media) {
        self.items.insert(media_id, media);
    }
}

/// `GET /_sim/media?appid=` → `{"media":[{"media_id","appid","created_at","expires_at","size",
/// "filename","content_type"}]}`, oldest first: what the worker uploaded.
pub async fn list(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let state = sim.lock();
    let mut media: Vec<_> = state
        .media
        .items
        .iter()
        .filter(|(_, m)| q.get("appid").is_none_or(|a| *a == m.appid))
        .map(|(id, m)| {
            let mut entry = json!(m);
            entry["media_id"] = json!(id);
            entry["expires_at"] = json!(m.created_at + MEDIA_LIFETIME);
            entry
        })
        .collect();
    media.sort_by_key(|m| m["created_at"].as_i64());
    Ok(Json(json!({"media": media})))
}

/// 64 characters of `[A-Za-z0-9_-]`, like real media ids (§8.4's `ThumbMediaId`).
pub fn media_id(rng: &mut impl Rng) -> String {
    (0..MEDIA_ID_LEN).map(|_| MEDIA_ID_ALPHABET[rng.gen_range(0..MEDIA_ID_ALPHABET.len())] as char).collect()
}

/// `POST /cgi-bin/media/upload?access_token=&type=image` → `{"type","media_id","created_at"}`
/// (no errcode on success, like the doc's main example).
pub fn upload(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut state = sim.lock();
    let appid = authorize(&state, call, now)?;
    // Mini programs may only upload images (§9.3); a missing type is no image either.
    if call.param("type") != Some("image") {
        return Err(WxErr(40004));
    }
    // No multipart body, no `media` part, or an empty file: 41005 `media data missing`
    // (assumed: the doc names no errcode for this case).
    let part = multipart::parts(&call.body)
        .and_then(|parts| parts.into_iter().find(|p| p.name.as_deref() == Some("media")))
        .filter(|p| !p.data.is_empty())
        .ok_or(WxErr(41005))?;
    if part.data.len() > MAX_IMAGE_BYTES {
        // 40009 `invalid image size` (assumed).
        return Err(WxErr(40009));
    }
    let media_id = media_id(&mut state.rng);
    let note = format!("{} bytes -> {}", part.data.len(), crate::ids::short(&media_id));
    state.media.insert(
        media_id.clone(),
        Media { appid, created_at: now, size: part.data.len(), filename: part.filename, content_type: part.content_type },
    );
    Ok(Reply::json(json!({"type": "image", "media_id": media_id, "created_at": now})).with_note(note))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with(media_id: &str, appid: &str, created_at: i64) -> MediaStore {
        let mut store = MediaStore::default();
        store.insert(media_id.into(), Media { appid: appid.into(), created_at, size: 1, filename: None, content_type: None });
        store
    }

    #[test]
    fn a_media_id_works_for_three_days_and_only_for_its_app() {
        let store = store_with("m1", "wx1", 1000);
        assert_eq!(store.check("wx1", "m1", 1000 + MEDIA_LIFETIME - 1), Ok(()));
        assert_eq!(store.check("wx1", "m1", 1000 + MEDIA_LIFETIME), Err(WxErr(40007)));
        assert_eq!(store.check("wx2", "m1", 1000), Err(WxErr(40007)));
        assert_eq!(store.check("wx1", "m2", 1000), Err(WxErr(40007)));
    }

    #[test]
    fn media_ids_are_64_url_safe_characters() {
        let id = media_id(&mut rand::thread_rng());
        assert_eq!(id.len(), 64);
        assert!(id.bytes().all(|b| MEDIA_ID_ALPHABET.contains(&b)));
    }
}
