//! Messages an official account sends (wechat-oa.md §3).
//!
//! - `GET /cgi-bin/template/get_all_private_template` → `{"template_list":[{template_id,title,
//!   primary_industry,deputy_industry,content,example}]}` (set with `POST /_sim/oa/templates`).
//! - `POST /cgi-bin/message/template/send` (§3.1): the user must be one the account knows
//!   (40003), the template the account's (40037), the user a follower (43004), and every
//!   `{{key.DATA}}` of the content filled (47003, errmsg naming the field; `first`/`remark` are
//!   filtered by WeChat since 2023 and never required). A repeated `client_msg_id` within
//!   `client_msg_id_window` (10 min) answers the first send's `msgid` and delivers nothing more.
//!   Success: `{"errcode":0,"errmsg":"ok","msgid":N}`, N above 2^53.
//! - `POST /cgi-bin/message/subscribe/bizsend` (§3.2): the mini-program `subscribe/send` rules
//!   (templates `/_sim/templates`, grants `/_sim/subscriptions`, values `keywords`; 40003, 40037,
//!   47003, 43101) on an official account; `page` is a web URL; `miniprogram` optional.
//!   `miniprogram_state` and `lang` (listed by the newer doc page) are accepted and ignored.
//!
//! Checks run in the order listed; the order between them is not documented. Every delivered
//! message of both kinds is in `GET /_sim/oa/messages?appid=&touser=`.

use super::users::is_following;
use super::{authorize_oa, resolve_oa_appid, with_errmsg};
use crate::control::{parse, query, Ctl, CtlError};
use crate::keywords::keys_in_content;
use crate::state::{Sim, State};
use crate::subscribe::{check_data, wx_error, Refusal};
use crate::wx::{json_str, Call, Reply, WxErr};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// The default private template (shaped like a real id: 43 URL-safe characters).
pub const ORDER_STATUS: &str = "SimOaOrderStatus000000000000000000000000001";
/// Keys WeChat drops from template messages since 2023-05 (never required).
const FILTERED_KEYS: &[&str] = &["first", "remark"];
/// Old messages are dropped past this, so a long demo run cannot exhaust memory.
const MAX_MESSAGES: usize = 10_000;

#[derive(Clone, Debug)]
pub struct OaTemplate {
    pub template_id: String,
    pub title: String,
    pub primary_industry: String,
    pub deputy_industry: String,
    pub content: String,
    pub example: String,
}

impl OaTemplate {
    fn listing(&self) -> Value {
        json!({
            "template_id": self.template_id,
            "title": self.title,
            "primary_industry": self.primary_industry,
            "deputy_industry": self.deputy_industry,
            "content": self.content,
            "example": self.example,
        })
    }

    /// The keys a send must fill.
    fn required_keys(&self) -> Vec<String> {
        keys_in_content(&self.content).into_iter().filter(|k| !FILTERED_KEYS.contains(&k.as_str())).collect()
    }
}

/// One account's private templates, what it sent, and the `client_msg_id`s it used.
#[derive(Debug)]
pub struct OaTemplates {
    pub list: Vec<OaTemplate>,
    pub sent: Vec<Value>,
    /// `client_msg_id` → (when first sent, its msgid).
    pub client_msg_ids: HashMap<String, (i64, u64)>,
}

impl Default for OaTemplates {
    fn default() -> Self {
        let order = OaTemplate {
            template_id: ORDER_STATUS.to_string(),
            title: "订单状态更新".to_string(),
            primary_industry: "IT科技".to_string(),
            deputy_industry: "互联网|电子商务".to_string(),
            content: "订单编号:{{character_string1.DATA}}\n订单状态:{{phrase2.DATA}}\n更新时间:{{time3.DATA}}".to_string(),
            example: "订单编号:A1-0001\n订单状态:已发货\n更新时间:2024年5月1日 15:01".to_string(),
        };
        OaTemplates { list: vec![order], sent: Vec::new(), client_msg_ids: HashMap::new() }
    }
}

impl OaTemplates {
    fn record(&mut self, message: Value) {
        if self.sent.len() >= MAX_MESSAGES {
            self.sent.remove(0);
        }
        self.sent.push(message);
    }
}

/// `GET /cgi-bin/template/get_all_private_template?access_token=`
pub fn get_all_private_template(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, list(sim, call))
}

fn list(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let state = sim.lock();
    let appid = authorize_oa(&state, call, now)?;
    let app = state.apps.get(&appid).ok_or(WxErr(40013))?;
    let list: Vec<Value> = app.oa.templates.list.iter().map(OaTemplate::listing).collect();
    let note = format!("{} templates", list.len());
    Ok(Reply::json(json!({"template_list": list})).with_note(note))
}

/// `POST /cgi-bin/message/template/send?access_token=` with `{"touser","template_id","url"?,
/// "miniprogram"?: {"appid","pagepath"?},"client_msg_id"?,"data"}`.
pub fn send(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, send_checked(sim, call))
}

fn send_checked(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize_oa(&guard, call, now)?;
    let body = call.json_object()?;
    match deliver_template(&mut guard, &appid, &body, now) {
        Ok((msgid, note)) => Ok(Reply::ok_with(json!({"msgid": msgid})).with_note(note)),
        Err(Refusal(code, message)) => Ok(wx_error(&mut guard, code, &message)),
    }
}

fn deliver_template(state: &mut State, appid: &str, body: &Map<String, Value>, now: i64) -> Result<(u64, String), Refusal> {
    let State { apps, rng, limits, .. } = state;
    let app = apps.get_mut(appid).ok_or(Refusal::plain(40013))?;
    let touser = json_str(body, "touser", 40003).map_err(|_| Refusal(40003, "invalid openid".into()))?;
    let template_id = json_str(body, "template_id", 40037).map_err(|_| Refusal(40037, "invalid template_id".into()))?;
    let url = optional_str(body, "url")?;
    let miniprogram = miniprogram(body)?;
    let client_msg_id = optional_str(body, "client_msg_id")?;
    if let Some(id) = client_msg_id {
        if let Some((at, msgid)) = app.oa.templates.client_msg_ids.get(id) {
            if now < at + limits.client_msg_id_window {
                return Ok((*msgid, format!("client_msg_id {id} again: msgid {msgid}, nothing sent")));
            }
        }
    }
    if !app.users.contains_key(touser) {
        return Err(Refusal(40003, "invalid openid".into()));
    }
    let template = app.oa.templates.list.iter().find(|t| t.template_id == template_id);
    let template = template.ok_or_else(|| Refusal(40037, "invalid template_id".into()))?;
    if !is_following(app, touser) {
        return Err(Refusal(43004, "require subscribe".into()));
    }
    let data = match body.get("data") {
        None | Some(Value::Null) => return Err(Refusal::data("data is empty".into())),
        Some(Value::Object(data)) => data,
        Some(_) => return Err(Refusal::data("data must be an object".into())),
    };
    for key in template.required_keys() {
        match data.get(&key).map(|entry| entry.get("value")) {
            Some(Some(Value::String(v))) if !v.is_empty() => {}
            Some(Some(Value::String(_))) | None | Some(None) | Some(Some(Value::Null)) => {
                return Err(Refusal::data(format!("data.{key}.value is empty")))
            }
            Some(Some(_)) => return Err(Refusal::data(format!("data.{key}.value must be a string"))),
        }
    }
    let msgid = msgid(rng);
    if let Some(id) = client_msg_id {
        app.oa.templates.client_msg_ids.insert(id.to_string(), (now, msgid));
    }
    app.oa.templates.record(json!({
        "kind": "template",
        "msgid": msgid,
        "at": now,
        "touser": touser,
        "template_id": template_id,
        "url": url,
        "miniprogram": miniprogram,
        "client_msg_id": client_msg_id,
        "data": Value::Object(data.clone()),
    }));
    Ok((msgid, format!("{template_id} to {touser}, msgid {msgid}")))
}

/// `POST /cgi-bin/message/subscribe/bizsend?access_token=` with `{"touser","template_id",
/// "page"?,"miniprogram"?: {"appid","pagepath"?},"data"}`.
pub fn bizsend(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, bizsend_checked(sim, call))
}

fn bizsend_checked(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize_oa(&guard, call, now)?;
    let body = call.json_object()?;
    match deliver_subscribe(&mut guard, &appid, &body, now) {
        Ok(note) => Ok(Reply::ok_with(json!({})).with_note(note)),
        Err(Refusal(code, message)) => Ok(wx_error(&mut guard, code, &message)),
    }
}

fn deliver_subscribe(state: &mut State, appid: &str, body: &Map<String, Value>, now: i64) -> Result<String, Refusal> {
    let app = state.apps.get_mut(appid).ok_or(Refusal::plain(40013))?;
    let touser = json_str(body, "touser", 40003).map_err(|_| Refusal(40003, "invalid openid".into()))?;
    let template_id = json_str(body, "template_id", 40037).map_err(|_| Refusal(40037, "invalid template id".into()))?;
    if !app.users.contains_key(touser) {
        return Err(Refusal(40003, "invalid openid".into()));
    }
    let template = app.templates.get(template_id).ok_or_else(|| Refusal(40037, "invalid template id".into()))?;
    check_data(template, body.get("data"))?;
    let page = optional_str(body, "page")?;
    let miniprogram = miniprogram(body)?;
    let one_time = template.is_one_time();
    let remaining = app.templates.remaining(touser, template_id);
    if remaining == 0 {
        return Err(Refusal(43101, "user refuse to accept the msg".into()));
    }
    let left = if one_time {
        app.templates.grants.insert((touser.to_string(), template_id.to_string()), remaining - 1);
        remaining - 1
    } else {
        remaining
    };
    app.oa.templates.record(json!({
        "kind": "bizsend",
        "at": now,
        "touser": touser,
        "template_id": template_id,
        "page": page,
        "miniprogram": miniprogram,
        "data": body.get("data").cloned().unwrap_or(Value::Null),
    }));
    Ok(format!("{template_id} to {touser}, {left} grants left"))
}

/// A string field that may be left out; another type is 47001.
fn optional_str<'a>(body: &'a Map<String, Value>, name: &str) -> Result<Option<&'a str>, Refusal> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(Refusal(47001, format!("data format error: {name} must be a string"))),
    }
}

/// `miniprogram: {"appid", "pagepath"?}` when given. Whether the mini-program is associated
/// with the account is not modelled.
fn miniprogram(body: &Map<String, Value>) -> Result<Option<Value>, Refusal> {
    let bad = || Refusal(47001, "data format error: miniprogram must be {\"appid\",\"pagepath\"?}".into());
    match body.get("miniprogram") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(mp)) => {
            let appid_ok = matches!(mp.get("appid"), Some(Value::String(s)) if !s.is_empty());
            let path_ok = matches!(mp.get("pagepath"), None | Some(Value::Null) | Some(Value::String(_)));
            if appid_ok && path_ok {
                Ok(Some(Value::Object(mp.clone())))
            } else {
                Err(bad())
            }
        }
        Some(_) => Err(bad()),
    }
}

/// Template `msgid`s are above 2^53 (3717005636572528642 in a capture): only a parser that keeps
/// 64-bit integers reads them right.
fn msgid(rng: &mut impl Rng) -> u64 {
    rng.gen_range((1u64 << 53) + 1..=i64::MAX as u64)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesRequest {
    appid: Option<String>,
    templates: Vec<TemplateSpec>,
    /// Drop every template first; otherwise templates are added or replaced by id.
    #[serde(default)]
    replace: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSpec {
    template_id: String,
    title: String,
    content: String,
    example: Option<String>,
    primary_industry: Option<String>,
    deputy_industry: Option<String>,
}

impl TemplateSpec {
    fn into_template(self) -> Result<OaTemplate, CtlError> {
        let id_ok = (1..=128).contains(&self.template_id.len()) && self.template_id.bytes().all(|b| b.is_ascii_graphic());
        if !id_ok {
            return Err(CtlError::bad(format!(
                "template_id must be 1-128 printable ASCII characters, got {:?}",
                self.template_id
            )));
        }
        if keys_in_content(&self.content).is_empty() {
            return Err(CtlError::bad("content needs keywords like 订单编号:{{character_string1.DATA}}"));
        }
        Ok(OaTemplate {
            template_id: self.template_id,
            title: self.title,
            primary_industry: self.primary_industry.unwrap_or_else(|| "IT科技".to_string()),
            deputy_industry: self.deputy_industry.unwrap_or_else(|| "互联网|电子商务".to_string()),
            example: self.example.unwrap_or_else(|| self.content.clone()),
            content: self.content,
        })
    }
}

/// `POST /_sim/oa/templates {"appid"?, "templates":[{"template_id","title","content","example"?,
/// "primary_industry"?,"deputy_industry"?}], "replace"?: false}` → `{"appid","template_list"}`.
pub async fn set(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: TemplatesRequest = parse(&body)?;
    let templates = req.templates.into_iter().map(TemplateSpec::into_template).collect::<Result<Vec<_>, _>>()?;
    let mut state = sim.lock();
    let appid = resolve_oa_appid(&state, req.appid.as_deref())?;
    let app = state.apps.get_mut(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let store = &mut app.oa.templates;
    if req.replace {
        store.list.clear();
    }
    for template in templates {
        match store.list.iter_mut().find(|t| t.template_id == template.template_id) {
            Some(existing) => *existing = template,
            None => store.list.push(template),
        }
    }
    let listed: Vec<Value> = store.list.iter().map(OaTemplate::listing).collect();
    Ok(Json(json!({"appid": appid, "template_list": listed})))
}

/// `GET /_sim/oa/messages?appid=&touser=` → `{"appid","messages":[{"kind":"template"|"bizsend",
/// "msgid"? (template),"at","touser","template_id","url"|"page","miniprogram","client_msg_id"?,
/// "data"}]}`, oldest first.
pub async fn messages(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let state = sim.lock();
    let appid = resolve_oa_appid(&state, q.get("appid").map(String::as_str))?;
    let app = state.apps.get(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let wanted = |m: &&Value| q.get("touser").is_none_or(|t| m["touser"].as_str() == Some(t.as_str()));
    let messages: Vec<Value> = app.oa.templates.sent.iter().filter(wanted).cloned().collect();
    Ok(Json(json!({"appid": appid, "messages": messages})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_and_remark_are_never_required() {
        let t = OaTemplate {
            template_id: "t".into(),
            title: "t".into(),
            primary_industry: String::new(),
            deputy_industry: String::new(),
            content: "{{first.DATA}}\n名称:{{keyword1.DATA}}\n{{remark.DATA}}".into(),
            example: String::new(),
        };
        assert_eq!(t.required_keys(), ["keyword1"]);
        assert_eq!(ORDER_STATUS.len(), 43);
    }

    #[test]
    fn msgids_do_not_fit_a_double() {
        let mut rng = rand::thread_rng();
        assert!((0..1000).all(|_| msgid(&mut rng) > 1 << 53));
    }
}
