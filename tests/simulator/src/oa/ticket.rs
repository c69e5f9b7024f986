//! JS-SDK tickets (wechat-oa.md §2): `GET /cgi-bin/ticket/getticket?access_token=&type=jsapi|
//! wx_card`, and what the WeChat client does with a `jsapi_ticket` signature in `wx.config`.
//!
//! Every call mints a new ticket and supersedes the previous one of that type, which keeps
//! working `ticket_overlap` seconds more (like a classic access_token). A ticket lives
//! `ticket_lifetime` (`--ticket-lifetime`), on its own clock: it neither outlives nor dies with
//! the token that fetched it. The control hooks:
//!
//! - `GET /_sim/tickets?appid=`: the current ticket of each type and every ticket still known;
//! - `POST /_sim/tickets/invalidate {"appid"?, "type"?}`: every ticket of the app (of that type)
//!   stops working now, as when WeChat revokes them behind the holder's back;
//! - `POST /_sim/tickets/next {"appid"?, "type"?, "ticket"}`: the next `getticket` of that type
//!   hands out this text (the doc's example ticket, say, to check a signature end to end);
//! - `POST /_sim/jssdk/check {"appId","timestamp","nonceStr","signature","url",...}`: `wx.config`
//!   on a page: the signature must be sha1 over `jsapi_ticket=..&noncestr=..&timestamp=..&url=..`
//!   (§2.2; the url without `#...`) with a still-valid `jsapi` ticket of the app.

use super::{authorize_oa, resolve_oa_appid, url_safe, with_errmsg, AppKind};
use crate::control::{parse, query, Ctl, CtlError};
use crate::state::{Sim, State};
use crate::wx::{Call, Reply, WxErr};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};
use std::sync::Arc;

/// Tickets look like the doc's example: 86 characters of `[A-Za-z0-9_-]`.
const TICKET_LEN: usize = 86;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TicketType {
    Jsapi,
    /// The card `api_ticket` (`type=wx_card`).
    WxCard,
}

impl TicketType {
    pub fn name(self) -> &'static str {
        match self {
            TicketType::Jsapi => "jsapi",
            TicketType::WxCard => "wx_card",
        }
    }

    fn parse(text: &str) -> Option<TicketType> {
        match text {
            "jsapi" => Some(TicketType::Jsapi),
            "wx_card" => Some(TicketType::WxCard),
            _ => None,
        }
    }
}

pub struct JsTicket {
    pub appid: String,
    pub kind: TicketType,
    pub issued_at: i64,
    pub expires_at: i64,
    /// Set when superseded or revoked: from then on the ticket is refused.
    pub invalid_from: Option<i64>,
}

impl JsTicket {
    pub fn is_valid_at(&self, now: i64) -> bool {
        now < self.expires_at && self.invalid_from.is_none_or(|from| now < from)
    }

    fn invalidate_from(&mut self, from: i64) {
        self.invalid_from = Some(self.invalid_from.map_or(from, |f| f.min(from)));
    }

    fn describe(&self, ticket: &str, now: i64) -> Value {
        json!({
            "ticket": ticket,
            "type": self.kind.name(),
            "issued_at": self.issued_at,
            "expires_at": self.expires_at,
            "invalid_from": self.invalid_from,
            "valid": self.is_valid_at(now),
        })
    }
}

/// hex(sha1(`jsapi_ticket=T&noncestr=N&timestamp=S&url=U`)): the fields sorted by name, raw
/// values (§2.2). The url is taken as given; the caller drops any `#fragment`.
pub fn jsapi_signature(ticket: &str, noncestr: &str, timestamp: &str, url: &str) -> String {
    let string1 = format!("jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}");
    hex::encode(Sha1::digest(string1.as_bytes()))
}

/// `GET /cgi-bin/ticket/getticket?access_token=&type=jsapi|wx_card`
pub fn getticket(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, issue(sim, call))
}

fn issue(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize_oa(&guard, call, now)?;
    // Undocumented: what a missing or unknown type answers; 40097 "invalid args" as elsewhere.
    let kind = call.param("type").and_then(TicketType::parse).ok_or(WxErr(40097))?;
    let State { apps, oa, rng, limits, .. } = &mut *guard;
    let app = apps.get_mut(&appid).ok_or(WxErr(40013))?;
    let queued = app.oa.next_tickets.iter().position(|(k, _)| *k == kind).map(|i| app.oa.next_tickets.remove(i).1);
    let ticket = queued.filter(|t| !oa.tickets.contains_key(t)).unwrap_or_else(|| url_safe(rng, TICKET_LEN));
    let record = JsTicket { appid, kind, issued_at: now, expires_at: now + limits.ticket_lifetime, invalid_from: None };
    oa.tickets.insert(ticket.clone(), record);
    let slot = match kind {
        TicketType::Jsapi => &mut app.oa.jsapi_ticket,
        TicketType::WxCard => &mut app.oa.wx_card_ticket,
    };
    if let Some(previous) = slot.replace(ticket.clone()) {
        if let Some(record) = oa.tickets.get_mut(&previous) {
            record.invalidate_from(now + limits.ticket_overlap);
        }
    }
    let note = format!("new {} ticket {}", kind.name(), crate::ids::short(&ticket));
    Ok(Reply::ok_with(json!({"ticket": ticket, "expires_in": limits.ticket_lifetime})).with_note(note))
}

/// `GET /_sim/tickets?appid=` → `{"appid","now","jsapi":{"current","issued_at","expires_at",
/// "valid"},"wx_card":{..},"tickets":[{"ticket","type","issued_at","expires_at","invalid_from",
/// "valid"}]}` (oldest first).
pub async fn show(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let now = sim.clock.now();
    let state = sim.lock();
    let appid = resolve_oa_appid(&state, q.get("appid").map(String::as_str))?;
    let app = state.apps.get(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let slot = |current: &Option<String>| {
        let record = current.as_ref().and_then(|t| state.oa.tickets.get(t));
        json!({
            "current": current,
            "issued_at": record.map(|r| r.issued_at),
            "expires_at": record.map(|r| r.expires_at),
            "valid": record.is_some_and(|r| r.is_valid_at(now)),
        })
    };
    let mut tickets: Vec<(&String, &JsTicket)> = state.oa.tickets.iter().filter(|(_, t)| t.appid == appid).collect();
    tickets.sort_by_key(|(text, t)| (t.issued_at, text.as_str()));
    let tickets: Vec<Value> = tickets.into_iter().map(|(text, t)| t.describe(text, now)).collect();
    Ok(Json(json!({
        "appid": appid,
        "now": now,
        "jsapi": slot(&app.oa.jsapi_ticket),
        "wx_card": slot(&app.oa.wx_card_ticket),
        "tickets": tickets,
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvalidateRequest {
    appid: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

/// `POST /_sim/tickets/invalidate {"appid"?, "type"?: "jsapi"|"wx_card"}` → `{"appid",
/// "invalidated":[tickets]}`: every still-valid ticket (of that type) is refused from now on.
pub async fn invalidate(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: InvalidateRequest = parse(&body)?;
    let kind = match req.kind.as_deref() {
        None => None,
        Some(text) => {
            Some(TicketType::parse(text).ok_or_else(|| CtlError::bad(format!("type must be jsapi or wx_card, got {text:?}")))?)
        }
    };
    let now = sim.clock.now();
    let mut state = sim.lock();
    let appid = resolve_oa_appid(&state, req.appid.as_deref())?;
    let mut invalidated: Vec<String> = state
        .oa
        .tickets
        .iter_mut()
        .filter(|(_, t)| t.appid == appid && kind.is_none_or(|k| t.kind == k) && t.is_valid_at(now))
        .map(|(text, t)| {
            t.invalidate_from(now);
            text.clone()
        })
        .collect();
    invalidated.sort();
    Ok(Json(json!({"appid": appid, "invalidated": invalidated})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NextRequest {
    appid: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    ticket: String,
}

/// `POST /_sim/tickets/next {"appid"?, "type"?: "jsapi", "ticket"}` → `{"appid","type","queued"}`:
/// the next `getticket` of that type answers this ticket (1–512 of `[A-Za-z0-9_-]`, never
/// handed out before).
pub async fn next(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: NextRequest = parse(&body)?;
    let text = req.kind.as_deref().unwrap_or("jsapi");
    let kind = TicketType::parse(text).ok_or_else(|| CtlError::bad(format!("type must be jsapi or wx_card, got {text:?}")))?;
    let shaped =
        (1..=512).contains(&req.ticket.len()) && req.ticket.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !shaped {
        return Err(CtlError::bad("ticket must be 1-512 of [A-Za-z0-9_-]"));
    }
    let mut state = sim.lock();
    let appid = resolve_oa_appid(&state, req.appid.as_deref())?;
    let in_use = state.oa.tickets.contains_key(&req.ticket)
        || state.apps.values().any(|a| a.oa.next_tickets.iter().any(|(_, t)| *t == req.ticket));
    if in_use {
        return Err(CtlError::bad("this ticket was handed out or queued already"));
    }
    let app = state.apps.get_mut(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    app.oa.next_tickets.push((kind, req.ticket));
    let queued = app.oa.next_tickets.iter().filter(|(k, _)| *k == kind).count();
    Ok(Json(json!({"appid": appid, "type": kind.name(), "queued": queued})))
}

/// The `wx.config` fields the check reads; the rest of a config object is accepted as-is.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ConfigCheck {
    app_id: String,
    /// A number or a string, as pages pass either.
    timestamp: Value,
    nonce_str: String,
    signature: String,
    url: String,
    #[allow(dead_code)]
    debug: Option<Value>,
    #[allow(dead_code)]
    js_api_list: Option<Value>,
    #[allow(dead_code)]
    open_tag_list: Option<Value>,
}

/// `POST /_sim/jssdk/check` → `{"ok":true,"ticket"}` or `{"ok":false,"errMsg":
/// "config:invalid signature","reason"}`.
pub async fn check(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: ConfigCheck = parse(&body)?;
    let timestamp = match &req.timestamp {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => return Err(CtlError::bad("timestamp must be a number or a string")),
    };
    let now = sim.clock.now();
    let state = sim.lock();
    let refuse = |reason: String| Ok(Json(json!({"ok": false, "errMsg": "config:invalid signature", "reason": reason})));
    match state.apps.get(&req.app_id) {
        Some(app) if app.kind == AppKind::OfficialAccount => {}
        Some(_) => return refuse(format!("{} is a mini-program: no JS-SDK", req.app_id)),
        None => return refuse(format!("{} is no configured app", req.app_id)),
    }
    // `location.href.split('#')[0]`: the fragment is never signed.
    let url = req.url.split('#').next().unwrap_or_default();
    let mut valid: Vec<(&String, &JsTicket)> = state
        .oa
        .tickets
        .iter()
        .filter(|(_, t)| t.appid == req.app_id && t.kind == TicketType::Jsapi && t.is_valid_at(now))
        .collect();
    if valid.is_empty() {
        return refuse(format!("{} has no valid jsapi ticket", req.app_id));
    }
    valid.sort_by_key(|(text, t)| (std::cmp::Reverse(t.issued_at), text.as_str()));
    let matched = valid.iter().find(|(ticket, _)| jsapi_signature(ticket, &req.nonce_str, &timestamp, url) == req.signature);
    match matched {
        Some((ticket, _)) => Ok(Json(json!({"ok": true, "ticket": ticket}))),
        None => refuse(format!(
            "no valid jsapi ticket of {} signs jsapi_ticket=..&noncestr={}&timestamp={timestamp}&url={url} to {}",
            req.app_id, req.nonce_str, req.signature
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The JS-SDK doc's 附录1 example (wechat-oa.md §2.2).
    #[test]
    fn the_official_example_signs_to_the_documented_signature() {
        let ticket = "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg";
        let signature = jsapi_signature(ticket, "Wm3WZYTPz0wzccnW", "1414587457", "http://mp.weixin.qq.com?params=value");
        assert_eq!(signature, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
    }

    #[test]
    fn a_superseded_ticket_works_until_its_overlap_ends() {
        let mut t = JsTicket { appid: "wx".into(), kind: TicketType::Jsapi, issued_at: 0, expires_at: 7200, invalid_from: None };
        t.invalidate_from(300);
        t.invalidate_from(500);
        assert!(t.is_valid_at(299));
        assert!(!t.is_valid_at(300));
    }
}
