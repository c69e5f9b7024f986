//! The account's subscribe-message templates and the users' grants for them (wechat-api.md
//! §10.2, §15.14): `GET /wxaapi/newtmpl/gettemplate`, and the control hooks
//! `POST /_sim/templates` (add or replace templates) and `POST`/`GET /_sim/subscriptions`
//! (a user accepts a template in `wx.requestSubscribeMessage`; what each user may still get).
//!
//! Two templates are there from the start: a one-time "订单发货提醒" (thing1,
//! character_string2, time3, amount4) and a one-time "预约结果通知" with a phrase and an enum.

use crate::control::{parse, query, resolve_appid, Ctl, CtlError};
use crate::ids;
use crate::state::{Sim, State, User};
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use wechat_edge::outbound::subscribe::{keys_in_content, KeywordType};

/// The default templates' ids (shaped like real `priTmplId`s: 43 URL-safe characters).
pub const ORDER_SHIPPED: &str = "SimOrderShipped0000000000000000000000000001";
pub const BOOKING_RESULT: &str = "SimBookingResult000000000000000000000000002";

/// `type` in `gettemplate`: 2 one-time, 3 long-term.
pub const ONE_TIME: i64 = 2;
pub const LONG_TERM: i64 = 3;

#[derive(Clone, Debug)]
pub struct Template {
    pub pri_tmpl_id: String,
    pub title: String,
    pub content: String,
    pub example: String,
    pub kind: i64,
    /// `keywordEnumValueList`: the values each `enum` key allows.
    pub enum_values: Vec<(String, Vec<String>)>,
}

impl Template {
    pub fn keys(&self) -> Vec<String> {
        keys_in_content(&self.content)
    }

    /// A one-time grant is used up by the message it allows; a long-term one is not.
    pub fn is_one_time(&self) -> bool {
        self.kind != LONG_TERM
    }

    /// One entry of `gettemplate`'s `data[]`.
    fn listing(&self) -> Value {
        let mut entry = json!({
            "priTmplId": self.pri_tmpl_id,
            "title": self.title,
            "content": self.content,
            "example": self.example,
            "type": self.kind,
        });
        if !self.enum_values.is_empty() {
            entry["keywordEnumValueList"] = self
                .enum_values
                .iter()
                .map(|(code, values)| json!({"keywordCode": code, "enumValueList": values}))
                .collect();
        }
        entry
    }
}

/// One app's templates and its users' grants.
#[derive(Debug)]
pub struct Templates {
    pub list: Vec<Template>,
    /// Messages `(openid, priTmplId)` may still receive.
    pub grants: HashMap<(String, String), u32>,
}

impl Default for Templates {
    fn default() -> Self {
        let order = Template {
            pri_tmpl_id: ORDER_SHIPPED.to_string(),
            title: "订单发货提醒".to_string(),
            content: "商品名称:{{thing1.DATA}}\n快递单号:{{character_string2.DATA}}\n发货时间:{{time3.DATA}}\n订单金额:{{amount4.DATA}}\n".to_string(),
            example: "商品名称:无线键盘\n快递单号:SF1234567890\n发货时间:2024年5月1日 15:01\n订单金额:¥199.00\n".to_string(),
            kind: ONE_TIME,
            enum_values: vec![],
        };
        let booking = Template {
            pri_tmpl_id: BOOKING_RESULT.to_string(),
            title: "预约结果通知".to_string(),
            content: "预约项目:{{thing1.DATA}}\n预约状态:{{phrase2.DATA}}\n审核结果:{{enum3.DATA}}\n预约日期:{{date4.DATA}}\n".to_string(),
            example: "预约项目:口腔检查\n预约状态:已受理\n审核结果:已通过\n预约日期:2024年5月1日\n".to_string(),
            kind: ONE_TIME,
            enum_values: vec![(
                "enum3".to_string(),
                vec!["已通过".to_string(), "未通过".to_string(), "待审核".to_string()],
            )],
        };
        Templates {
            list: vec![order, booking],
            grants: HashMap::new(),
        }
    }
}

impl Templates {
    pub fn get(&self, pri_tmpl_id: &str) -> Option<&Template> {
        self.list.iter().find(|t| t.pri_tmpl_id == pri_tmpl_id)
    }

    pub fn remaining(&self, openid: &str, pri_tmpl_id: &str) -> u32 {
        self.grants
            .get(&(openid.to_string(), pri_tmpl_id.to_string()))
            .copied()
            .unwrap_or(0)
    }
}

/// `GET /wxaapi/newtmpl/gettemplate?access_token=` → `{"errcode":0,"errmsg":"ok","data":[..]}`.
pub fn gettemplate(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let state = sim.lock();
    let appid = authorize(&state, call, now)?;
    let app = state.apps.get(&appid).ok_or(WxErr(40013))?;
    let data: Vec<Value> = app.templates.list.iter().map(Template::listing).collect();
    let count = data.len();
    Ok(Reply::ok_with(json!({"data": data})).with_note(format!("{count} templates")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplatesRequest {
    appid: Option<String>,
    templates: Vec<TemplateSpec>,
    /// Drop every template (and grant) first; otherwise templates are added or replaced by id.
    #[serde(default)]
    replace: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TemplateSpec {
    pri_tmpl_id: String,
    title: String,
    content: String,
    example: Option<String>,
    #[serde(rename = "type")]
    kind: Option<i64>,
    #[serde(default)]
    keyword_enum_value_list: Vec<EnumSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnumSpec {
    keyword_code: String,
    enum_value_list: Vec<String>,
}

impl TemplateSpec {
    fn into_template(self) -> Result<Template, CtlError> {
        let id_ok = (1..=128).contains(&self.pri_tmpl_id.len())
            && self.pri_tmpl_id.bytes().all(|b| b.is_ascii_graphic());
        if !id_ok {
            return Err(CtlError::bad(format!(
                "priTmplId must be 1-128 printable ASCII characters, got {:?}",
                self.pri_tmpl_id
            )));
        }
        let keys = keys_in_content(&self.content);
        if keys.is_empty() {
            return Err(CtlError::bad(
                "content needs keywords like 物品名称:{{thing1.DATA}}",
            ));
        }
        let kind = self.kind.unwrap_or(ONE_TIME);
        if kind != ONE_TIME && kind != LONG_TERM {
            return Err(CtlError::bad(format!(
                "type must be 2 (one-time) or 3 (long-term), got {kind}"
            )));
        }
        let mut enum_values = Vec::new();
        for e in self.keyword_enum_value_list {
            let is_enum_key = keys.contains(&e.keyword_code)
                && KeywordType::of_key(&e.keyword_code) == KeywordType::Enum;
            if !is_enum_key || e.enum_value_list.is_empty() {
                return Err(CtlError::bad(format!(
                    "keywordEnumValueList: {:?} must be an enum keyword of the content with at least one value",
                    e.keyword_code
                )));
            }
            enum_values.push((e.keyword_code, e.enum_value_list));
        }
        let mut template = Template {
            pri_tmpl_id: self.pri_tmpl_id,
            title: self.title,
            content: self.content,
            example: String::new(),
            kind,
            enum_values,
        };
        template.example = self.example.unwrap_or_else(|| example_of(&template));
        Ok(template)
    }
}

/// The content with a plausible value in each keyword.
fn example_of(template: &Template) -> String {
    let mut example = template.content.clone();
    for key in template.keys() {
        let first_enum = template
            .enum_values
            .iter()
            .find(|(k, _)| *k == key)
            .and_then(|(_, v)| v.first().cloned());
        let sample = match KeywordType::of_key(&key) {
            KeywordType::Thing => "示例内容".to_string(),
            KeywordType::Number => "100".to_string(),
            KeywordType::Letter => "ABC".to_string(),
            KeywordType::Symbol => "%".to_string(),
            KeywordType::CharacterString => "A1-0001".to_string(),
            KeywordType::Time => "15:01".to_string(),
            KeywordType::Date => "2024年5月1日".to_string(),
            KeywordType::Amount => "¥99.00".to_string(),
            KeywordType::PhoneNumber => "13800138000".to_string(),
            KeywordType::CarNumber => "粤A8Z888".to_string(),
            KeywordType::Name => "张三".to_string(),
            KeywordType::Phrase => "已完成".to_string(),
            KeywordType::Enum => first_enum.unwrap_or_else(|| "选项".to_string()),
            KeywordType::Other => "示例".to_string(),
        };
        example = example.replace(&format!("{{{{{key}.DATA}}}}"), &sample);
    }
    example
}

/// `POST /_sim/templates {"appid"?, "templates": [{"priTmplId","title","content","type"?,
/// "example"?,"keywordEnumValueList"?}], "replace"?: false}` → `{"appid","templates":[..]}`
/// (the list as `gettemplate` shows it).
pub async fn set(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: TemplatesRequest = parse(&body)?;
    let templates = req
        .templates
        .into_iter()
        .map(TemplateSpec::into_template)
        .collect::<Result<Vec<_>, _>>()?;
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    let app = state
        .apps
        .get_mut(&appid)
        .ok_or_else(|| CtlError::bad("unknown appid"))?;
    let store = &mut app.templates;
    if req.replace {
        store.list.clear();
        store.grants.clear();
    }
    for template in templates {
        match store
            .list
            .iter_mut()
            .find(|t| t.pri_tmpl_id == template.pri_tmpl_id)
        {
            Some(existing) => *existing = template,
            None => store.list.push(template),
        }
    }
    let listed: Vec<Value> = store.list.iter().map(Template::listing).collect();
    Ok(Json(json!({"appid": appid, "templates": listed})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    appid: Option<String>,
    openid: String,
    template_id: String,
    #[serde(default = "one")]
    count: u32,
}

fn one() -> u32 {
    1
}

/// `POST /_sim/subscriptions {"appid"?, "openid", "template_id", "count"?: 1}`: the user accepts
/// the template `count` times (one-time grants add up, one per message) → `{"openid",
/// "template_id","remaining"}`. Creates the user when new.
pub async fn grant(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: GrantRequest = parse(&body)?;
    let openid_ok = (1..=64).contains(&req.openid.len())
        && req
            .openid
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !openid_ok {
        return Err(CtlError::bad(format!(
            "openid must be 1-64 of [A-Za-z0-9_-], got {:?}",
            req.openid
        )));
    }
    let mut guard = sim.lock();
    let appid = resolve_appid(&guard, req.appid.as_deref())?;
    let State { apps, rng, .. } = &mut *guard;
    let app = apps
        .get_mut(&appid)
        .ok_or_else(|| CtlError::bad("unknown appid"))?;
    if app.templates.get(&req.template_id).is_none() {
        return Err(CtlError::bad(format!(
            "unknown template_id {:?} in {appid}: add it with POST /_sim/templates",
            req.template_id
        )));
    }
    let unionid_bound = app.unionid_bound;
    app.users.entry(req.openid.clone()).or_insert_with(|| {
        let unionid = unionid_bound.then(|| ids::openid(rng));
        User::new(req.openid.clone(), unionid)
    });
    let remaining = app
        .templates
        .grants
        .entry((req.openid.clone(), req.template_id.clone()))
        .or_insert(0);
    *remaining = remaining.saturating_add(req.count);
    Ok(Json(
        json!({"openid": req.openid, "template_id": req.template_id, "remaining": *remaining}),
    ))
}

/// `GET /_sim/subscriptions?appid=&openid=` → `{"subscriptions":[{"openid","template_id",
/// "remaining"}]}` (all users without `openid`).
pub async fn show(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let state = sim.lock();
    let appid = resolve_appid(&state, q.get("appid").map(String::as_str))?;
    let app = state
        .apps
        .get(&appid)
        .ok_or_else(|| CtlError::bad("unknown appid"))?;
    let mut list: Vec<(&String, &String, u32)> = app
        .templates
        .grants
        .iter()
        .filter(|((openid, _), _)| q.get("openid").is_none_or(|o| o == openid))
        .map(|((openid, template), n)| (openid, template, *n))
        .collect();
    list.sort();
    let list: Vec<Value> = list
        .into_iter()
        .map(|(openid, template_id, remaining)| {
            json!({"openid": openid, "template_id": template_id, "remaining": remaining})
        })
        .collect();
    Ok(Json(json!({"subscriptions": list})))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wechat_edge::outbound::subscribe::TemplateInfo;

    #[test]
    fn the_default_templates_read_back_through_the_workers_parser() {
        let templates = Templates::default();
        let listing =
            json!({"data": templates.list.iter().map(Template::listing).collect::<Vec<_>>()});
        let parsed = TemplateInfo::from_gettemplate(&listing);
        assert_eq!(parsed.len(), 2);
        assert_eq!(
            parsed[0].keys,
            ["thing1", "character_string2", "time3", "amount4"]
        );
        assert_eq!(parsed[1].pri_tmpl_id, BOOKING_RESULT);
        assert_eq!(parsed[1].keys, ["thing1", "phrase2", "enum3", "date4"]);
        assert_eq!(parsed[1].enum_values["enum3"][0], "已通过");
    }

    #[test]
    fn a_missing_example_is_made_from_the_content() {
        let spec = TemplateSpec {
            pri_tmpl_id: "t1".into(),
            title: "t".into(),
            content: "状态:{{phrase1.DATA}}\n结果:{{enum2.DATA}}".into(),
            example: None,
            kind: None,
            keyword_enum_value_list: vec![EnumSpec {
                keyword_code: "enum2".into(),
                enum_value_list: vec!["成功".into()],
            }],
        };
        let t = spec.into_template().unwrap();
        assert_eq!(t.example, "状态:已完成\n结果:成功");
        assert!(t.is_one_time());
    }

    #[test]
    fn enum_lists_must_name_enum_keywords_of_the_content() {
        let spec = |code: &str| TemplateSpec {
            pri_tmpl_id: "t1".into(),
            title: "t".into(),
            content: "{{thing1.DATA}}{{enum2.DATA}}".into(),
            example: None,
            kind: Some(3),
            keyword_enum_value_list: vec![EnumSpec {
                keyword_code: code.into(),
                enum_value_list: vec!["a".into()],
            }],
        };
        assert!(spec("enum2").into_template().is_ok());
        assert!(spec("thing1").into_template().is_err());
        assert!(spec("enum9").into_template().is_err());
    }
}
