//! The control hooks of the templates: `POST /_sim/templates` adds or replaces templates,
//! `POST /_sim/subscriptions` records a user's acceptance (grants), `GET /_sim/subscriptions`
//! shows what each user may still receive.

use super::{example_of, Template, LONG_TERM, ONE_TIME};
use crate::control::{parse, query, resolve_appid, Ctl, CtlError};
use crate::ids;
use crate::keywords::{keys_in_content, KeywordType};
use crate::state::{Sim, State, User};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;

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
        let id_ok = (1..=128).contains(&self.pri_tmpl_id.len()) && self.pri_tmpl_id.bytes().all(|b| b.is_ascii_graphic());
        if !id_ok {
            return Err(CtlError::bad(format!("priTmplId must be 1-128 printable ASCII characters, got {:?}", self.pri_tmpl_id)));
        }
        let keys = keys_in_content(&self.content);
        if keys.is_empty() {
            return Err(CtlError::bad("content needs keywords like 物品名称:{{thing1.DATA}}"));
        }
        let kind = self.kind.unwrap_or(ONE_TIME);
        if kind != ONE_TIME && kind != LONG_TERM {
            return Err(CtlError::bad(format!("type must be 2 (one-time) or 3 (long-term), got {kind}")));
        }
        let mut enum_values = Vec::new();
        for e in self.keyword_enum_value_list {
            let is_enum_key = keys.contains(&e.keyword_code) && KeywordType::of_key(&e.keyword_code) == KeywordType::Enum;
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

/// `POST /_sim/templates {"appid"?, "templates": [{"priTmplId","title","content","type"?,
/// "example"?,"keywordEnumValueList"?}], "replace"?: false}` → `{"appid","templates":[..]}`
/// (the list as `gettemplate` shows it).
pub async fn set(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: TemplatesRequest = parse(&body)?;
    let templates = req.templates.into_iter().map(TemplateSpec::into_template).collect::<Result<Vec<_>, _>>()?;
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    let app = state.apps.get_mut(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    let store = &mut app.templates;
    if req.replace {
        store.list.clear();
        store.grants.clear();
    }
    for template in templates {
        match store.list.iter_mut().find(|t| t.pri_tmpl_id == template.pri_tmpl_id) {
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
    let openid_ok =
        (1..=64).contains(&req.openid.len()) && req.openid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !openid_ok {
        return Err(CtlError::bad(format!("openid must be 1-64 of [A-Za-z0-9_-], got {:?}", req.openid)));
    }
    let mut guard = sim.lock();
    let appid = resolve_appid(&guard, req.appid.as_deref())?;
    let State { apps, rng, .. } = &mut *guard;
    let app = apps.get_mut(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
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
    let remaining = app.templates.grants.entry((req.openid.clone(), req.template_id.clone())).or_insert(0);
    *remaining = remaining.saturating_add(req.count);
    Ok(Json(json!({"openid": req.openid, "template_id": req.template_id, "remaining": *remaining})))
}

/// `GET /_sim/subscriptions?appid=&openid=` → `{"subscriptions":[{"openid","template_id",
/// "remaining"}]}` (all users without `openid`).
pub async fn show(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let state = sim.lock();
    let appid = resolve_appid(&state, q.get("appid").map(String::as_str))?;
    let app = state.apps.get(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
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
        .map(|(openid, template_id, remaining)| json!({"openid": openid, "template_id": template_id, "remaining": remaining}))
        .collect();
    Ok(Json(json!({"subscriptions": list})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_example_is_made_from_the_content() {
        let spec = TemplateSpec {
            pri_tmpl_id: "t1".into(),
            title: "t".into(),
            content: "状态:{{phrase1.DATA}}\n结果:{{enum2.DATA}}".into(),
            example: None,
            kind: None,
            keyword_enum_value_list: vec![EnumSpec { keyword_code: "enum2".into(), enum_value_list: vec!["成功".into()] }],
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
            keyword_enum_value_list: vec![EnumSpec { keyword_code: code.into(), enum_value_list: vec!["a".into()] }],
        };
        assert!(spec("enum2").into_template().is_ok());
        assert!(spec("thing1").into_template().is_err());
        assert!(spec("enum9").into_template().is_err());
    }
}
