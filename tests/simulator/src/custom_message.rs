//! Customer-service messages (wechat-api.md §9, §15.11–12): `cgi-bin/message/custom/send` and
//! `cgi-bin/message/custom/typing`, with the send window a user's action opens — a message
//! allows 5 sends within 48 h, entering the session 2 within a minute; each new action starts
//! the count over (the latest action wins). Every send is in the call log in full.

use crate::config::Limits;
use crate::state::{CsWindow, Sim, State, User, UserAction};
use crate::tokens::authorize;
use crate::wx::{json_str, Call, Reply, WxErr};
use serde_json::{json, Map, Value};

/// `POST /cgi-bin/message/custom/send?access_token=` with `{"touser","msgtype",<msgtype>:{..}}`.
pub fn send(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    let State { apps, limits, media, .. } = &mut *guard;
    let touser = json_str(&body, "touser", 40003)?;
    let msgtype = json_str(&body, "msgtype", 40008)?;
    check_message(&body, msgtype, limits)?;
    // An image must be one this app uploaded in the last 3 days (40007 otherwise, §15.13).
    if let Some(media_id) = image_media_id(&body, msgtype) {
        media.check(&appid, media_id, now)?;
    }
    let user = apps.get_mut(&appid).and_then(|app| app.users.get_mut(touser)).ok_or(WxErr(40003))?;
    let window = user.cs_window.as_mut().filter(|w| now < w.closes_at).ok_or(WxErr(45015))?;
    if window.remaining == 0 {
        return Err(WxErr(45047));
    }
    window.remaining -= 1;
    let left = window.remaining;
    // A message replaces the typing indicator.
    user.typing_until = None;
    Ok(Reply::ok_with(json!({})).with_note(format!("{msgtype} to {touser}, {left} left")))
}

/// `POST /cgi-bin/message/custom/typing?access_token=` with `{"touser","command"}`.
pub fn typing(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    let State { apps, limits, .. } = &mut *guard;
    let touser = json_str(&body, "touser", 40003)?;
    let command = body.get("command").and_then(Value::as_str);
    let user = apps.get_mut(&appid).and_then(|app| app.users.get_mut(touser)).ok_or(WxErr(40003))?;
    match command {
        Some("Typing") => {
            let recent = user.last_action_at.is_some_and(|at| now - at <= limits.typing_interaction_window);
            if !recent {
                return Err(WxErr(45080));
            }
            if user.typing_until.is_some_and(|until| now < until) {
                return Err(WxErr(45081));
            }
            user.typing_until = Some(now + limits.typing_duration);
        }
        Some("CancelTyping") => user.typing_until = None,
        _ => return Err(WxErr(45072)),
    }
    Ok(Reply::ok_with(json!({})).with_note(format!("{} for {touser}", command.unwrap_or_default())))
}

/// A user action (from `/_sim/user_action`, later from a push delivery) opens a new window.
pub fn open_window(user: &mut User, action: UserAction, now: i64, limits: &Limits) {
    let (quota, duration) = match action {
        UserAction::Message => (limits.cs_message_quota, limits.cs_message_window),
        UserAction::EnterSession => (limits.cs_session_quota, limits.cs_session_window),
    };
    user.last_action_at = Some(now);
    user.cs_window = Some(CsWindow { opened_by: action, closes_at: now + duration, remaining: quota });
}

/// The window as tests see it in `/_sim/users` and `/_sim/user_action`.
pub fn describe_window(user: &User, now: i64) -> Value {
    match &user.cs_window {
        Some(w) => json!({
            "opened_by": w.opened_by.name(),
            "closes_at": w.closes_at,
            "remaining": w.remaining,
            "open": now < w.closes_at && w.remaining > 0,
            "typing": user.typing_until.is_some_and(|until| now < until),
        }),
        None => Value::Null,
    }
}

/// The message object each `msgtype` needs (§9.1). Image media ids are checked against the
/// uploads separately (`thumb_media_id` is not checked yet).
fn check_message(body: &Map<String, Value>, msgtype: &str, limits: &Limits) -> Result<(), WxErr> {
    let required: &[&str] = match msgtype {
        "text" => &["content"],
        "image" => &["media_id"],
        "link" => &["title", "url"],
        "miniprogrampage" => &["title", "pagepath", "thumb_media_id"],
        _ => return Err(WxErr(40008)),
    };
    let object = body.get(msgtype).and_then(Value::as_object).ok_or(WxErr(47001))?;
    for field in required {
        json_str(object, field, 47001)?;
    }
    let text_len = object.get("content").and_then(Value::as_str).map_or(0, str::len);
    if msgtype == "text" && text_len > limits.cs_text_max_bytes {
        return Err(WxErr(45002));
    }
    Ok(())
}

/// The `media_id` of an image message (present: `check_message` made sure of it).
fn image_media_id<'a>(body: &'a Map<String, Value>, msgtype: &str) -> Option<&'a str> {
    if msgtype != "image" {
        return None;
    }
    body.get("image")?.get("media_id")?.as_str()
}
