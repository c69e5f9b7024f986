//! The official-account actions of `POST /_sim/push` (wechat-oa.md §6.2): what the user did, the
//! follow state it changes, and the event WeChat pushes for it. Signing, encryption, the
//! `openid=` query (`official_account`), delivery and the answer are the push machinery's.
//!
//! | action | user | event |
//! | --- | --- | --- |
//! | `{"type":"scan","ticket"}` | follows | `SCAN`, `EventKey` = the scene, `Ticket` |
//! | | does not follow | follows now (`ADD_SCENE_QR_CODE`, the scene as `qr_scene`/`qr_scene_str`): `subscribe`, `EventKey` = `qrscene_` + the scene, `Ticket` |
//! | `{"type":"follow"}` | does not follow | follows now (`ADD_SCENE_SEARCH`): `subscribe` without `EventKey` |
//! | `{"type":"unfollow"}` | follows | stops following: `unsubscribe` |
//!
//! The scene is `scene_str` for string codes and the decimal `scene_id` otherwise. Every
//! action takes `"openid"?` and `"unionid"?` (the person, as in `/_sim/oa/follow`). A ticket that
//! is not a live `qrcode/create` ticket of the app, a follow by a follower or an unfollow by a
//! non-follower (WeChat cannot send those) are a 400.

use super::users::{is_following, person, Follow, DEFAULT_SCENE, QR_SCENE};
use super::{check_id, AppKind};
use crate::control::CtlError;
use crate::qrcode::OaTicket;
use crate::state::App;
use crate::wire::Message;
use rand::Rng;
use std::collections::HashMap;

/// What the user did in the official account.
#[derive(Clone, Copy, Debug)]
pub enum OaAction<'a> {
    /// Scanned the parametric QR code of this ticket.
    Scan(&'a str),
    Follow,
    Unfollow,
}

/// Who did it, and to which account.
pub struct Actor<'a> {
    pub openid: Option<&'a str>,
    pub unionid: Option<&'a str>,
    /// The account's original id (`ToUserName`).
    pub to_user_name: &'a str,
    pub create_time: u64,
    pub now: i64,
}

/// Applies the action to the follow state and builds its event: `(openid, event)`.
pub fn event(
    app: &mut App,
    rng: &mut impl Rng,
    tickets: &HashMap<String, OaTicket>,
    action: OaAction<'_>,
    actor: &Actor<'_>,
) -> Result<(String, Message), CtlError> {
    if app.kind != AppKind::OfficialAccount {
        return Err(CtlError::bad(format!(
            "{} is a mini-program: scan, follow and unfollow need an official account (--oa)",
            app.appid
        )));
    }
    if let Some(unionid) = actor.unionid {
        check_id(unionid)?;
    }
    let scanned = match action {
        OaAction::Scan(ticket) => {
            let live = tickets
                .get(ticket)
                .filter(|t| t.appid == app.appid && t.expires_at.is_none_or(|at| actor.now < at))
                .ok_or_else(|| CtlError::bad(format!("ticket {ticket:?} is no live qrcode/create ticket of {}", app.appid)))?;
            Some((ticket, live))
        }
        _ => None,
    };
    let openid = person(app, rng, actor.openid, actor.unionid);
    let following = is_following(app, &openid);
    let base = |event: &str| Message::event(actor.to_user_name, &openid, actor.create_time, event);
    let message = match (action, scanned, following) {
        (OaAction::Scan(_), Some((ticket, code)), true) => {
            base("SCAN").with_text("EventKey", code.scene.clone()).with_text("Ticket", ticket)
        }
        (OaAction::Scan(_), Some((ticket, code)), false) => {
            let mut follow = Follow::new(actor.now, QR_SCENE);
            match code.scene_str {
                true => follow.qr_scene_str = code.scene.clone(),
                false => follow.qr_scene = code.scene.parse().unwrap_or(0),
            }
            app.oa.followers.insert(openid.clone(), follow);
            base("subscribe").with_text("EventKey", format!("qrscene_{}", code.scene)).with_text("Ticket", ticket)
        }
        (OaAction::Follow, _, false) => {
            app.oa.followers.insert(openid.clone(), Follow::new(actor.now, DEFAULT_SCENE));
            base("subscribe")
        }
        (OaAction::Follow, _, true) => return Err(CtlError::bad(format!("{openid} already follows {}", app.appid))),
        (OaAction::Unfollow, _, true) => {
            if let Some(f) = app.oa.followers.get_mut(&openid) {
                f.following = false;
            }
            base("unsubscribe")
        }
        (OaAction::Unfollow, _, false) => return Err(CtlError::bad(format!("{openid} does not follow {}", app.appid))),
        // A scan always found its ticket above.
        (OaAction::Scan(ticket), None, _) => return Err(CtlError::bad(format!("ticket {ticket:?} not found"))),
    };
    Ok((openid, message))
}
