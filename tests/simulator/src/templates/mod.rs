//! The account's subscribe-message templates and the users' grants for them (wechat-api.md
//! §10.2, §15.14): `GET /wxaapi/newtmpl/gettemplate`, and the control hooks
//! `POST /_sim/templates` (add or replace templates) and `POST`/`GET /_sim/subscriptions`
//! (a user accepts a template in `wx.requestSubscribeMessage`; what each user may still get),
//! which live in [`hooks`].
//!
//! Two templates are there from the start: a one-time "订单发货提醒" (thing1,
//! character_string2, time3, amount4) and a one-time "预约结果通知" with a phrase and an enum.

mod hooks;

pub use hooks::{grant, set, show};

use crate::keywords::{keys_in_content, KeywordType};
use crate::state::Sim;
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use serde_json::{json, Value};
use std::collections::HashMap;

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
    pub(crate) fn listing(&self) -> Value {
        let mut entry = json!({
            "priTmplId": self.pri_tmpl_id,
            "title": self.title,
            "content": self.content,
            "example": self.example,
            "type": self.kind,
        });
        if !self.enum_values.is_empty() {
            entry["keywordEnumValueList"] =
                self.enum_values.iter().map(|(code, values)| json!({"keywordCode": code, "enumValueList": values})).collect();
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
            content: "预约项目:{{thing1.DATA}}\n预约状态:{{phrase2.DATA}}\n审核结果:{{enum3.DATA}}\n预约日期:{{date4.DATA}}\n"
                .to_string(),
            example: "预约项目:口腔检查\n预约状态:已受理\n审核结果:已通过\n预约日期:2024年5月1日\n".to_string(),
            kind: ONE_TIME,
            enum_values: vec![("enum3".to_string(), vec!["已通过".to_string(), "未通过".to_string(), "待审核".to_string()])],
        };
        Templates { list: vec![order, booking], grants: HashMap::new() }
    }
}

impl Templates {
    pub fn get(&self, pri_tmpl_id: &str) -> Option<&Template> {
        self.list.iter().find(|t| t.pri_tmpl_id == pri_tmpl_id)
    }

    pub fn remaining(&self, openid: &str, pri_tmpl_id: &str) -> u32 {
        self.grants.get(&(openid.to_string(), pri_tmpl_id.to_string())).copied().unwrap_or(0)
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

/// The content with a plausible value in each keyword.
pub(crate) fn example_of(template: &Template) -> String {
    let mut example = template.content.clone();
    for key in template.keys() {
        let first_enum = template.enum_values.iter().find(|(k, _)| *k == key).and_then(|(_, v)| v.first().cloned());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_templates_list_their_keywords_and_enum_values() {
        let templates = Templates::default();
        let listing: Vec<Value> = templates.list.iter().map(Template::listing).collect();
        assert_eq!(templates.list[0].keys(), ["thing1", "character_string2", "time3", "amount4"]);
        assert_eq!(listing[1]["priTmplId"], BOOKING_RESULT);
        assert_eq!(templates.list[1].keys(), ["thing1", "phrase2", "enum3", "date4"]);
        assert_eq!(listing[1]["keywordEnumValueList"][0]["keywordCode"], "enum3");
        assert_eq!(listing[1]["keywordEnumValueList"][0]["enumValueList"][0], "已通过");
    }
}
