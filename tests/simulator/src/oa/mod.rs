//! The official-account side of WeChat (wechat-oa.md; issue #14): apps declared with `--oa`
//! are service accounts (服务号) with their own endpoints, which a mini-program's token or
//! secret may not call (48001).
//!
//! - [`oauth`]: web authorization (§1): the `open.weixin.qq.com` authorize page that redirects
//!   the browser with a code, `sns/oauth2/access_token`, `sns/oauth2/refresh_token`,
//!   `sns/userinfo`, `sns/auth`.
//! - [`ticket`]: JS-SDK tickets (§2): `cgi-bin/ticket/getticket`, the `wx.config` check
//!   (`/_sim/jssdk/check`) and the ticket hooks.
//! - [`template`]: template messages and subscribe notifications (§3):
//!   `template/get_all_private_template`, `message/template/send`, `message/subscribe/bizsend`,
//!   the message log and the template hook.
//! - [`users`]: followers and `cgi-bin/user/info` (§4), the person behind an openid (§5:
//!   one unionid across the apps of one Open Platform account), `/_sim/oa/follow`.
//! - [`scan`]: the `scan` / `follow` / `unfollow` actions of `/_sim/push` (§6).

pub mod oauth;
pub mod scan;
pub mod template;
pub mod ticket;
pub mod users;

use crate::control::CtlError;
use crate::state::{Sim, State};
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use rand::Rng;
use serde_json::json;
use std::collections::HashMap;

pub use crate::config::AppKind;

/// What WeChat keeps across the official accounts: OAuth codes and user tokens (looked up by
/// their text, like the base tokens in `State::tokens`) and the JS-SDK tickets.
#[derive(Default)]
pub struct OaState {
    /// The official accounts in the order configured: the first is the default of the
    /// `/_sim/oa/...`, `/_sim/tickets` hooks and the official-account push actions.
    pub order: Vec<String>,
    pub codes: HashMap<String, oauth::OauthCode>,
    pub user_tokens: HashMap<String, oauth::UserToken>,
    pub refresh_tokens: HashMap<String, oauth::RefreshToken>,
    pub tickets: HashMap<String, ticket::JsTicket>,
}

impl OaState {
    pub fn new(config: &crate::config::Config) -> Self {
        let order = config.apps.iter().filter(|a| a.kind == AppKind::OfficialAccount).map(|a| a.appid.clone()).collect();
        OaState { order, ..OaState::default() }
    }

    /// The app a user access_token belongs to (for the call log and the counters).
    pub fn user_token_appid(&self, token: &str) -> Option<String> {
        self.user_tokens.get(token).map(|t| t.appid.clone())
    }
}

/// One official account's own state.
#[derive(Default)]
pub struct OaApp {
    /// Follow state by openid; a user absent here never followed.
    pub followers: HashMap<String, users::Follow>,
    /// The openid each person (a unionid given by a test, or minted) has in this app, kept
    /// even when the app is not bound to an Open Platform account and so shows no unionid.
    pub people: HashMap<String, String>,
    /// Private templates (`get_all_private_template`), and what was sent.
    pub templates: template::OaTemplates,
    /// The latest ticket of each type (older ones live on in `OaState::tickets`).
    pub jsapi_ticket: Option<String>,
    pub wx_card_ticket: Option<String>,
    /// Ticket texts the next `getticket` calls hand out instead of random ones
    /// (`/_sim/tickets/next`), oldest first.
    pub next_tickets: Vec<(ticket::TicketType, String)>,
}

/// The check in front of every official-account endpoint taking `?access_token=`: a valid
/// token, and of an official account (a mini-program's is 48001).
pub fn authorize_oa(state: &State, call: &Call, now: i64) -> Result<String, WxErr> {
    let appid = authorize(state, call, now)?;
    require_oa(state, &appid)?;
    Ok(appid)
}

pub fn require_oa(state: &State, appid: &str) -> Result<(), WxErr> {
    match state.apps.get(appid) {
        Some(app) if app.kind == AppKind::OfficialAccount => Ok(()),
        Some(_) => Err(WxErr(48001)),
        None => Err(WxErr(40013)),
    }
}

/// The official account a control request means: the one named (which must be one), or the
/// first configured.
pub fn resolve_oa_appid(state: &State, appid: Option<&str>) -> Result<String, CtlError> {
    match appid {
        Some(appid) => match state.apps.get(appid) {
            Some(app) if app.kind == AppKind::OfficialAccount => Ok(appid.to_string()),
            Some(_) => Err(CtlError::bad(format!("{appid} is a mini-program, not an official account (--oa)"))),
            None => Err(CtlError::bad(format!("unknown appid {appid:?}"))),
        },
        None => {
            state.oa.order.first().cloned().ok_or_else(|| CtlError::bad("no official account is configured (--oa APPID:SECRET)"))
        }
    }
}

/// The errmsg WeChat writes for the codes only these endpoints answer (the shared table in
/// `wx.rs` says "error" for them).
fn errmsg(code: i64) -> Option<&'static str> {
    Some(match code {
        40003 => "invalid openid",
        40030 => "invalid refresh_token",
        40037 => "invalid template_id",
        41003 => "refresh_token missing",
        42002 => "refresh_token expired",
        42003 => "code expired",
        43004 => "require subscribe",
        43101 => "user refuse to accept the msg",
        47003 => "argument invalid!",
        48001 => "api unauthorized",
        _ => return None,
    })
}

/// Turns an errcode of ours into its WeChat reply with the right errmsg; others pass through
/// to the shared envelope.
pub(crate) fn with_errmsg(sim: &Sim, result: Result<Reply, WxErr>) -> Result<Reply, WxErr> {
    match result {
        Err(WxErr(code)) => match errmsg(code) {
            Some(message) => Ok(error_with(sim, code, message)),
            None => Err(WxErr(code)),
        },
        ok => ok,
    }
}

/// An errcode reply with an errmsg of our own (one naming a field, say) and the usual rid.
pub(crate) fn error_with(sim: &Sim, code: i64, message: &str) -> Reply {
    let rid = crate::ids::rid(&mut sim.lock().rng);
    Reply::json(json!({"errcode": code, "errmsg": format!("{message} rid: {rid}")}))
}

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

/// Random text of `[A-Za-z0-9_-]`, the alphabet of tickets and tokens.
pub(crate) fn url_safe(rng: &mut impl Rng, len: usize) -> String {
    (0..len).map(|_| URL_SAFE[rng.gen_range(0..URL_SAFE.len())] as char).collect()
}

pub(crate) fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Openids and unionids from tests: 1–64 of `[A-Za-z0-9_-]`, as everywhere in the control API.
pub(crate) fn check_id(id: &str) -> Result<(), CtlError> {
    if valid_id(id) {
        Ok(())
    } else {
        Err(CtlError::bad(format!("ids must be 1-64 of [A-Za-z0-9_-], got {id:?}")))
    }
}
