//! Official-account messages (wechat-oa.md §3), pure: a template message
//! (`message/template/send`) and a subscribe notification (`message/subscribe/bizsend`),
//! parsed and checked against the account's templates before WeChat sees them.

use crate::outbound::subscribe::{check_value, keys_in_content, TemplateInfo, TEMPLATE_ID_MAX};
use crate::outbound::{openid, wechat_id, Body};
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::fields::opt_str;
use crate::shared::origins;
use serde_json::{json, Map, Value};

/// One template of the account, as `template/get_all_private_template` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OaTemplate {
    pub template_id: String,
    pub title: String,
    pub keys: Vec<String>,
}

impl OaTemplate {
    /// The `template_list[]` of a `get_all_private_template` answer.
    pub fn from_list(body: &Value) -> Vec<OaTemplate> {
        let Some(list) = body.get("template_list").and_then(Value::as_array) else { return Vec::new() };
        list.iter()
            .filter_map(|t| {
                let text = |k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
                let template_id = t.get("template_id").and_then(Value::as_str).filter(|s| !s.is_empty())?.to_owned();
                // first/remark were dropped in 2023 and are filtered by WeChat: not required.
                let keys = keys_in_content(&text("content")).into_iter().filter(|k| k != "first" && k != "remark").collect();
                Some(OaTemplate { template_id, title: text("title"), keys })
            })
            .collect()
    }
}

/// The `miniprogram` a message opens: `{appid, pagepath?}`.
fn miniprogram(body: &Body) -> ApiResult<Option<Value>> {
    let Some(v) = body.get("miniprogram") else { return Ok(None) };
    let Some(mp) = v.as_object() else {
        return Err(ApiError::invalid_field("miniprogram", "must be an object {appid, pagepath?}"));
    };
    let appid = mp.get("appid").and_then(Value::as_str).unwrap_or("");
    if !crate::shared::config::valid_appid(appid) {
        return Err(ApiError::invalid_field("miniprogram.appid", "must be the mini program's app id"));
    }
    let mut out = json!({ "appid": appid });
    match mp.get("pagepath") {
        None => {}
        Some(Value::String(p)) if p.len() <= 1024 && !p.chars().any(char::is_control) => out["pagepath"] = json!(p),
        Some(_) => return Err(ApiError::invalid_field("miniprogram.pagepath", "must be a page path of up to 1024 characters")),
    }
    Ok(Some(out))
}

/// A web URL the message opens.
fn web_url(body: &Body, field: &str) -> ApiResult<Option<String>> {
    match opt_str(body, field)? {
        None => Ok(None),
        Some(u) if u.len() <= 1024 && origins::origin_of(u).is_some() => Ok(Some(u.to_owned())),
        Some(_) => Err(ApiError::invalid_field(field, "must be an absolute http(s) URL of up to 1024 characters")),
    }
}

/// `data`: `{key: {value}}` or, as a shorthand, `{key: "value"}`; keys in body order.
fn parse_data(body: &Body) -> ApiResult<Vec<(String, String)>> {
    let Some(data) = body.get("data").and_then(Value::as_object) else {
        return Err(ApiError::invalid_field("data", "is required: an object {key: {\"value\": ...}}"));
    };
    data.iter()
        .map(|(k, v)| {
            let value = match v {
                Value::String(s) => s.as_str(),
                Value::Object(o) => o.get("value").and_then(Value::as_str).unwrap_or(""),
                _ => return Err(ApiError::invalid_field(&format!("data.{k}"), "must be {\"value\": \"...\"}")),
            };
            if k.is_empty() || k.len() > 64 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(ApiError::invalid_field("data", "has a key that is not a template keyword name"));
            }
            Ok((k.clone(), value.to_owned()))
        })
        .collect()
}

fn data_json(data: &[(String, String)]) -> Value {
    Value::Object(data.iter().map(|(k, v)| (k.clone(), json!({ "value": v }))).collect::<Map<String, Value>>())
}

/// The data against the template: no unknown key, every key of the template given and
/// non-empty, each value by the rule of its keyword type. 400 `invalid_template_data` naming
/// the field, as WeChat's 47003 would, but before the call.
fn check_data(data: &[(String, String)], title: &str, keys: &[String]) -> ApiResult<()> {
    let bad = |m: String| ApiError::bad_request("invalid_template_data", m);
    let listed = keys.join(", ");
    if let Some((key, _)) = data.iter().find(|(k, _)| !keys.contains(k)) {
        return Err(bad(format!("`data.{key}` is not a keyword of template \"{title}\" (its keywords: {listed})")));
    }
    if let Some(key) = keys.iter().find(|k| !data.iter().any(|(d, _)| d == *k)) {
        return Err(bad(format!("`data.{key}` is missing: template \"{title}\" needs {listed}")));
    }
    for (key, value) in data {
        check_value(key, value, None).map_err(|problem| bad(format!("`data.{key}.value` {problem}")))?;
    }
    Ok(())
}

/// A template message ready for `message/template/send`.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateMessage {
    pub touser: String,
    pub template_id: String,
    url: Option<String>,
    miniprogram: Option<Value>,
    client_msg_id: Option<String>,
    data: Vec<(String, String)>,
}

impl TemplateMessage {
    /// `{touser, template_id, url?, miniprogram?: {appid, pagepath?}, client_msg_id?, data}`.
    pub fn parse(body: &Body) -> ApiResult<TemplateMessage> {
        let touser = openid(body, "touser")?;
        let template_id = match opt_str(body, "template_id")? {
            None => return Err(ApiError::invalid_field("template_id", "is required")),
            Some(id) => wechat_id(id, "template_id", TEMPLATE_ID_MAX)?,
        };
        let client_msg_id = match opt_str(body, "client_msg_id")? {
            None => None,
            Some(id) => Some(wechat_id(id, "client_msg_id", 64)?),
        };
        Ok(TemplateMessage {
            touser,
            template_id,
            url: web_url(body, "url")?,
            miniprogram: miniprogram(body)?,
            client_msg_id,
            data: parse_data(body)?,
        })
    }

    pub fn check_against(&self, template: &OaTemplate) -> ApiResult<()> {
        check_data(&self.data, &template.title, &template.keys)
    }

    pub fn wechat_body(&self) -> Value {
        let mut body = json!({ "touser": self.touser, "template_id": self.template_id, "data": data_json(&self.data) });
        if let Some(url) = &self.url {
            body["url"] = json!(url);
        }
        if let Some(mp) = &self.miniprogram {
            body["miniprogram"] = mp.clone();
        }
        if let Some(id) = &self.client_msg_id {
            body["client_msg_id"] = json!(id);
        }
        body
    }
}

/// A subscribe notification ready for `message/subscribe/bizsend` (§3.2): `page` is a web URL.
#[derive(Debug, Clone, PartialEq)]
pub struct BizsendMessage {
    pub touser: String,
    pub template_id: String,
    page: Option<String>,
    miniprogram: Option<Value>,
    data: Vec<(String, String)>,
}

impl BizsendMessage {
    /// `{touser, template_id, page?, miniprogram?, data}`.
    pub fn parse(body: &Body) -> ApiResult<BizsendMessage> {
        let touser = openid(body, "touser")?;
        let template_id = match opt_str(body, "template_id")? {
            None => return Err(ApiError::invalid_field("template_id", "is required")),
            Some(id) => wechat_id(id, "template_id", TEMPLATE_ID_MAX)?,
        };
        Ok(BizsendMessage {
            touser,
            template_id,
            page: web_url(body, "page")?,
            miniprogram: miniprogram(body)?,
            data: parse_data(body)?,
        })
    }

    /// Against the account's subscribe templates (`wxaapi/newtmpl/gettemplate`), enum values included.
    pub fn check_against(&self, template: &TemplateInfo) -> ApiResult<()> {
        check_data(&self.data, &template.title, &template.keys)?;
        for (key, value) in &self.data {
            if let Some(allowed) = template.enum_values.get(key) {
                check_value(key, value, Some(allowed))
                    .map_err(|problem| ApiError::bad_request("invalid_template_data", format!("`data.{key}.value` {problem}")))?;
            }
        }
        Ok(())
    }

    pub fn wechat_body(&self) -> Value {
        let mut body = json!({ "touser": self.touser, "template_id": self.template_id, "data": data_json(&self.data) });
        if let Some(page) = &self.page {
            body["page"] = json!(page);
        }
        if let Some(mp) = &self.miniprogram {
            body["miniprogram"] = mp.clone();
        }
        body
    }
}

#[cfg(test)]
mod tests;
