//! Subscribe messages (wechat-api.md §10.1, §15.14): `cgi-bin/message/subscribe/send`. The
//! user must be the app's (40003), the template the account's (40037), the data the
//! template's keywords under the §10.1 value rules (47003, errmsg naming the field), the page
//! one of the released version's (41030, formal state only; the pages `/_sim/pages` sets), and the user must have granted
//! the template (43101); a one-time grant is used up by the message. Every call is in the log.

use crate::keywords::check_value;
use crate::state::{Sim, State};
use crate::templates::Template;
use crate::tokens::authorize;
use crate::wx::{json_str, Call, Reply, WxErr};
use crate::{ids, wx};
use serde_json::{json, Map, Value};

/// A WeChat error with an errmsg of our own (e.g. one naming the bad field), HTTP 200 and a
/// ` rid: ...` suffix like every other error.
pub fn wx_error(state: &mut State, code: i64, message: &str) -> Reply {
    let rid = ids::rid(&mut state.rng);
    Reply::json(json!({"errcode": code, "errmsg": format!("{message} rid: {rid}")}))
}

/// Why a send was refused: the errcode and its errmsg (without the rid). Shared with the
/// official account's `bizsend` (`oa::template`).
pub(crate) struct Refusal(pub i64, pub String);

impl Refusal {
    pub(crate) fn plain(code: i64) -> Refusal {
        Refusal(code, wx::errmsg(code).to_string())
    }

    pub(crate) fn data(what: String) -> Refusal {
        Refusal(47003, format!("argument invalid! {what}"))
    }
}

impl From<WxErr> for Refusal {
    fn from(WxErr(code): WxErr) -> Refusal {
        Refusal::plain(code)
    }
}

/// `POST /cgi-bin/message/subscribe/send?access_token=` with `{"touser","template_id",
/// "page"?,"data","miniprogram_state"?,"lang"?}`.
pub fn send(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    match deliver(&mut guard, &appid, &body) {
        Ok(note) => Ok(Reply::ok_with(json!({})).with_note(note)),
        Err(Refusal(code, message)) => Ok(wx_error(&mut guard, code, &message)),
    }
}

fn deliver(state: &mut State, appid: &str, body: &Map<String, Value>) -> Result<String, Refusal> {
    let touser = json_str(body, "touser", 40003)?;
    let template_id = json_str(body, "template_id", 40037)?;
    let app = state.apps.get_mut(appid).ok_or(Refusal::plain(40013))?;
    if !app.users.contains_key(touser) {
        return Err(Refusal(40003, "invalid openid".into()));
    }
    let template = app.templates.get(template_id).ok_or_else(|| Refusal(40037, "invalid template id".into()))?;
    check_data(template, body.get("data"))?;
    let formal = match body.get("miniprogram_state") {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) if s == "formal" => true,
        Some(Value::String(s)) if s == "developer" || s == "trial" => false,
        Some(_) => return Err(Refusal(40097, "invalid args: miniprogram_state".into())),
    };
    match body.get("lang") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) if ["zh_CN", "en_US", "zh_HK", "zh_TW"].contains(&s.as_str()) => {}
        Some(_) => return Err(Refusal(40097, "invalid args: lang".into())),
    }
    match body.get("page") {
        None | Some(Value::Null) => {}
        Some(Value::String(page)) if page.is_empty() || !formal => {}
        Some(Value::String(page)) => {
            let path = page.split('?').next().unwrap_or_default();
            // The same released pages the QR codes and links check (`/_sim/pages`).
            if !app.codes.released_pages.contains(path) {
                return Err(Refusal(41030, "invalid page".into()));
            }
        }
        Some(_) => return Err(Refusal::plain(47001)),
    }
    let one_time = template.is_one_time();
    let key = (touser.to_string(), template_id.to_string());
    let remaining = app.templates.remaining(touser, template_id);
    if remaining == 0 {
        return Err(Refusal(43101, "user refuse to accept the msg".into()));
    }
    let left = if one_time {
        app.templates.grants.insert(key, remaining - 1);
        remaining - 1
    } else {
        remaining
    };
    Ok(format!("{template_id} to {touser}, {left} grants left"))
}

/// Every keyword of the template, each value under its type's rule; no keyword the template
/// lacks. The errmsg names the field the way WeChat does: `data.thing1.value is empty`.
pub(crate) fn check_data(template: &Template, data: Option<&Value>) -> Result<(), Refusal> {
    let data = match data {
        None | Some(Value::Null) => return Err(Refusal::data("data is empty".into())),
        Some(Value::Object(data)) => data,
        Some(_) => return Err(Refusal::data("data must be an object".into())),
    };
    let keys = template.keys();
    for key in &keys {
        let value = match data.get(key).map(|entry| entry.get("value")) {
            None | Some(None) | Some(Some(Value::Null)) => return Err(Refusal::data(format!("data.{key}.value is empty"))),
            Some(Some(Value::String(v))) => v,
            Some(Some(_)) => return Err(Refusal::data(format!("data.{key}.value must be a string"))),
        };
        let allowed = template.enum_values.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_slice());
        check_value(key, value, allowed).map_err(|problem| Refusal::data(format!("data.{key}.value {problem}")))?;
    }
    match data.keys().find(|k| !keys.contains(k)) {
        Some(extra) => Err(Refusal::data(format!("data.{extra} is not a keyword of the template"))),
        None => Ok(()),
    }
}
