//! Followers and `GET /cgi-bin/user/info` (wechat-oa.md §4.1), and the person behind an openid
//! (§5): a test names a person by a unionid; every app gives that person its own openid, and
//! shows the unionid only when it is bound to the Open Platform account (`--unionid`).
//!
//! `POST /_sim/oa/follow` sets the follow state directly (no push); the `follow`, `unfollow`
//! and `scan` push actions ([`super::scan`]) change it and tell the webhook.

use super::{check_id, resolve_oa_appid, with_errmsg, AppKind};
use crate::control::{parse, Ctl, CtlError};
use crate::ids;
use crate::state::{App, Sim, State, User};
use crate::wx::{Call, Reply, WxErr};
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::Json;
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

/// `subscribe_scene` values (§4.1, WxJava `WxMpUser`).
pub const SCENES: &[&str] = &[
    "ADD_SCENE_SEARCH",
    "ADD_SCENE_ACCOUNT_MIGRATION",
    "ADD_SCENE_PROFILE_CARD",
    "ADD_SCENE_QR_CODE",
    "ADD_SCENE_PROFILE_LINK",
    "ADD_SCENE_PROFILE_ITEM",
    "ADD_SCENE_PAID",
    "ADD_SCENE_WECHAT_ADVERTISEMENT",
    "ADD_SCENE_REPRINT",
    "ADD_SCENE_LIVESTREAM",
    "ADD_SCENE_CHANNELS",
    "ADD_SCENE_OTHERS",
];
/// How a user followed when nothing says otherwise (searching for the account).
pub const DEFAULT_SCENE: &str = "ADD_SCENE_SEARCH";
pub const QR_SCENE: &str = "ADD_SCENE_QR_CODE";

/// A user's follow state in one official account.
#[derive(Clone, Debug)]
pub struct Follow {
    pub following: bool,
    /// The last follow (a re-follow overwrites it).
    pub subscribe_time: i64,
    pub scene: &'static str,
    /// The developer's scene of the QR code followed through (`ADD_SCENE_QR_CODE` only):
    /// `qr_scene` for a numeric scene, `qr_scene_str` for a string one.
    pub qr_scene: i64,
    pub qr_scene_str: String,
}

impl Follow {
    pub fn new(now: i64, scene: &'static str) -> Follow {
        Follow { following: true, subscribe_time: now, scene, qr_scene: 0, qr_scene_str: String::new() }
    }
}

/// The openid of the user a test means, created when new: the openid given; else the openid
/// this app already gave the person `unionid`; else a new one. The person's unionid is shown
/// (set on the user) only when the app is bound; a bound app gives a new person a new unionid.
pub fn person(app: &mut App, rng: &mut impl Rng, openid: Option<&str>, unionid: Option<&str>) -> String {
    let openid = match (openid, unionid) {
        (Some(openid), _) => openid.to_string(),
        (None, Some(unionid)) => app
            .oa
            .people
            .get(unionid)
            .cloned()
            .or_else(|| app.users.values().find(|u| u.unionid.as_deref() == Some(unionid)).map(|u| u.openid.clone()))
            .unwrap_or_else(|| ids::openid(rng)),
        (None, None) => ids::openid(rng),
    };
    let bound = app.unionid_bound;
    let known = app.oa.people.iter().find(|(_, o)| **o == openid).map(|(p, _)| p.clone());
    let user = app.users.entry(openid.clone()).or_insert_with(|| User::new(openid.clone(), None));
    let key = unionid.map(str::to_string).or_else(|| user.unionid.clone()).or(known).or_else(|| bound.then(|| ids::openid(rng)));
    if let Some(key) = key {
        if bound {
            user.unionid = Some(key.clone());
        }
        app.oa.people.insert(key, openid.clone());
    }
    openid
}

pub fn is_following(app: &App, openid: &str) -> bool {
    app.oa.followers.get(openid).is_some_and(|f| f.following)
}

/// `lang` of `user/info` and `sns/userinfo`: absent, or one of the three documented.
pub fn check_lang(call: &Call) -> Result<(), WxErr> {
    match call.param("lang") {
        None | Some("zh_CN" | "zh_TW" | "en") => Ok(()),
        Some(_) => Err(WxErr(40097)),
    }
}

/// `GET /cgi-bin/user/info?access_token=&openid=&lang=`: a follower's record (no nickname,
/// avatar, gender or region since 2021: the keys stay, blank); a non-follower gets
/// `{"subscribe":0,"openid"}` only ("拉取不到其余信息"; the doc says no unionid then).
pub fn user_info(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, info(sim, call))
}

fn info(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let state = sim.lock();
    let appid = super::authorize_oa(&state, call, now)?;
    let openid = call.required("openid", 40003)?;
    check_lang(call)?;
    let app = state.apps.get(&appid).ok_or(WxErr(40013))?;
    // An openid this account never gave out.
    let user = app.users.get(openid).ok_or(WxErr(40003))?;
    let Some(follow) = app.oa.followers.get(openid).filter(|f| f.following) else {
        return Ok(Reply::json(json!({"subscribe": 0, "openid": openid})).with_note(format!("{openid} does not follow")));
    };
    let mut body = json!({
        "subscribe": 1,
        "openid": openid,
        "nickname": "",
        "sex": 0,
        "language": "zh_CN",
        "city": "",
        "province": "",
        "country": "",
        "headimgurl": "",
        "subscribe_time": follow.subscribe_time,
        "remark": "",
        "groupid": 0,
        "tagid_list": [],
        "subscribe_scene": follow.scene,
        "qr_scene": follow.qr_scene,
        "qr_scene_str": follow.qr_scene_str,
    });
    if let Some(unionid) = &user.unionid {
        body["unionid"] = json!(unionid);
    }
    Ok(Reply::json(body).with_note(format!("{openid} follows ({})", follow.scene)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowRequest {
    appid: Option<String>,
    openid: Option<String>,
    unionid: Option<String>,
    #[serde(default = "yes")]
    following: bool,
    /// How they followed (`subscribe_scene`), default `ADD_SCENE_SEARCH`.
    scene: Option<String>,
}

fn yes() -> bool {
    true
}

/// `POST /_sim/oa/follow {"appid"?, "openid"?, "unionid"?, "following"?: true, "scene"?}` →
/// `{"appid","openid","unionid"?,"following","subscribe_scene"?}`: creates the user when new and
/// sets their follow state, pushing nothing. Following again keeps the first follow unless a
/// `scene` is given.
pub async fn follow(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: FollowRequest = parse(&body)?;
    for id in [&req.openid, &req.unionid].into_iter().flatten() {
        check_id(id)?;
    }
    let scene = match req.scene.as_deref() {
        None => None,
        Some(s) => Some(
            *SCENES
                .iter()
                .find(|known| **known == s)
                .ok_or_else(|| CtlError::bad(format!("scene must be one of {}, got {s:?}", SCENES.join(", "))))?,
        ),
    };
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = resolve_oa_appid(&guard, req.appid.as_deref())?;
    let State { apps, rng, .. } = &mut *guard;
    let app =
        apps.get_mut(&appid).filter(|a| a.kind == AppKind::OfficialAccount).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let openid = person(app, rng, req.openid.as_deref(), req.unionid.as_deref());
    let already = is_following(app, &openid);
    match (req.following, already, scene) {
        (true, true, None) => {}
        (true, _, scene) => {
            app.oa.followers.insert(openid.clone(), Follow::new(now, scene.unwrap_or(DEFAULT_SCENE)));
        }
        (false, _, _) => {
            if let Some(f) = app.oa.followers.get_mut(&openid) {
                f.following = false;
            }
        }
    }
    Ok(Json(describe(app, &openid)))
}

/// A user as the follow hook and the push answer describe them.
pub fn describe(app: &App, openid: &str) -> Value {
    let mut out = json!({"appid": app.appid, "openid": openid, "following": is_following(app, openid)});
    if let Some(unionid) = app.users.get(openid).and_then(|u| u.unionid.as_ref()) {
        out["unionid"] = json!(unionid);
    }
    if let Some(f) = app.oa.followers.get(openid).filter(|f| f.following) {
        out["subscribe_scene"] = json!(f.scene);
        out["subscribe_time"] = json!(f.subscribe_time);
    }
    out
}
