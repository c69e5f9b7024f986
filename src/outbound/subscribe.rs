//! Subscribe messages (wechat-api.md §10): the body of `message/subscribe/send`, the value
//! rules of each keyword type (the type is the key's name without its number: `thing1` is a
//! `thing`), and the account's templates as `wxaapi/newtmpl/gettemplate` lists them.

use super::{has_control, openid, wechat_id, Body};
use crate::shared::date::days_in_month;
use crate::shared::error::ApiError;
use crate::shared::fields::{check_page, opt_str, PageQuery};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

pub const TEMPLATE_ID_MAX: usize = 128;
pub const MINIPROGRAM_STATES: [&str; 3] = ["developer", "trial", "formal"];
pub const LANGS: [&str; 4] = ["zh_CN", "en_US", "zh_HK", "zh_TW"];
/// Signs an `amount` may start with.
pub const CURRENCY_SIGNS: &[char] = &['¥', '￥', '$', '€', '£', '₩', '₹', '₽', '₫', '₱', '฿', '₺', '₴', '₦', '₪', '¢'];

/// A message ready for `subscribe/send`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeMessage {
    touser: String,
    template_id: String,
    page: Option<String>,
    /// `(key, value)` in the order the body listed them.
    data: Vec<(String, String)>,
    miniprogram_state: Option<String>,
    lang: Option<String>,
}

impl SubscribeMessage {
    /// Parses `{touser, template_id, page?, data, miniprogram_state?, lang?}`. Every value is
    /// checked by its keyword type ([`check_value`]); enum values and the template's own keys
    /// are checked later by [`check_against`](Self::check_against), once the template is known.
    /// Shape errors are 400 `invalid_field`; a value breaking its rule is 400
    /// `invalid_template_data` naming `data.<key>.value`.
    pub fn parse(body: &Body) -> Result<Self, ApiError> {
        let touser = openid(body, "touser")?;
        let template_id = match opt_str(body, "template_id")? {
            None => return Err(ApiError::invalid_field("template_id", "is required")),
            Some(id) => wechat_id(id, "template_id", TEMPLATE_ID_MAX)?,
        };
        let page = opt_str(body, "page")?.map(page).transpose()?;
        let data = parse_data(body.get("data"))?;
        let miniprogram_state = one_of(body, "miniprogram_state", &MINIPROGRAM_STATES)?;
        let lang = one_of(body, "lang", &LANGS)?;
        Ok(SubscribeMessage { touser, template_id, page, data, miniprogram_state, lang })
    }

    pub fn touser(&self) -> &str {
        &self.touser
    }

    pub fn template_id(&self) -> &str {
        &self.template_id
    }

    pub fn page(&self) -> Option<&str> {
        self.page.as_deref()
    }

    pub fn data(&self) -> &[(String, String)] {
        &self.data
    }

    /// The data against the template it is sent with: every key must be one of the template's,
    /// every key of the template must be given, and enum values must be the template's. Any
    /// failure is 400 `invalid_template_data` naming the field.
    pub fn check_against(&self, template: &TemplateInfo) -> Result<(), ApiError> {
        let bad = |m: String| ApiError::bad_request("invalid_template_data", m);
        if template.pri_tmpl_id != self.template_id {
            return Err(bad(format!(
                "`template_id` {} is not the template {} it was checked against",
                self.template_id, template.pri_tmpl_id
            )));
        }
        let listed = template.keys.join(", ");
        if let Some((key, _)) = self.data.iter().find(|(k, _)| !template.keys.contains(k)) {
            return Err(bad(format!(
                "`data.{key}` is not a keyword of template \"{}\" (its keywords: {listed})",
                template.title
            )));
        }
        if let Some(key) = template.keys.iter().find(|k| !self.data.iter().any(|(d, _)| d == *k)) {
            return Err(bad(format!("`data.{key}` is missing: template \"{}\" needs {listed}", template.title)));
        }
        for (key, value) in &self.data {
            let allowed = template.enum_values.get(key).map(Vec::as_slice);
            check_value(key, value, allowed).map_err(|problem| bad(format!("`data.{key}.value` {problem}")))?;
        }
        Ok(())
    }

    /// Exactly the body of `POST /cgi-bin/message/subscribe/send`.
    pub fn wechat_body(&self) -> Value {
        let data: Map<String, Value> = self.data.iter().map(|(k, v)| (k.clone(), json!({ "value": v }))).collect();
        let mut body = Map::new();
        body.insert("touser".into(), json!(self.touser));
        body.insert("template_id".into(), json!(self.template_id));
        if let Some(page) = &self.page {
            body.insert("page".into(), json!(page));
        }
        body.insert("data".into(), Value::Object(data));
        if let Some(state) = &self.miniprogram_state {
            body.insert("miniprogram_state".into(), json!(state));
        }
        if let Some(lang) = &self.lang {
            body.insert("lang".into(), json!(lang));
        }
        Value::Object(body)
    }
}

/// A page of this mini program, maybe with a query: `pages/index/index?foo=bar`.
fn page(page: &str) -> Result<String, ApiError> {
    if page.is_empty() {
        return Err(ApiError::invalid_field("page", "must not be empty (leave it out for a message that opens no page)"));
    }
    check_page("page", page, PageQuery::Allowed).map(|()| page.to_owned())
}

fn one_of(body: &Body, field: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
    match opt_str(body, field)? {
        None => Ok(None),
        Some(v) if allowed.contains(&v) => Ok(Some(v.to_owned())),
        Some(_) => Err(ApiError::invalid_field(field, &format!("must be one of {}", allowed.join(", ")))),
    }
}

fn parse_data(data: Option<&Value>) -> Result<Vec<(String, String)>, ApiError> {
    let data = match data {
        None | Some(Value::Null) => return Err(ApiError::invalid_field("data", "is required")),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(ApiError::invalid_field("data", "must be an object like {\"thing1\": {\"value\": \"...\"}}")),
    };
    if data.is_empty() {
        return Err(ApiError::invalid_field("data", "must have at least one keyword"));
    }
    let mut out = Vec::with_capacity(data.len());
    for (key, entry) in data {
        if !is_keyword_key(key) {
            return Err(ApiError::invalid_field(&format!("data.{key}"), "is not a template keyword (like thing1 or time2)"));
        }
        let value = match entry.get("value") {
            Some(Value::String(v)) => v,
            None | Some(Value::Null) if entry.is_object() => {
                return Err(ApiError::invalid_field(&format!("data.{key}.value"), "is required"))
            }
            Some(_) => return Err(ApiError::invalid_field(&format!("data.{key}.value"), "must be a string")),
            None => return Err(ApiError::invalid_field(&format!("data.{key}"), "must be an object like {\"value\": \"...\"}")),
        };
        check_value(key, value, None)
            .map_err(|problem| ApiError::bad_request("invalid_template_data", format!("`data.{key}.value` {problem}")))?;
        out.push((key.clone(), value.clone()));
    }
    Ok(out)
}

/// `thing1`, `character_string2`: lowercase letters and `_`, then a number.
fn is_keyword_key(key: &str) -> bool {
    let name = key.trim_end_matches(|c: char| c.is_ascii_digit());
    name.len() < key.len()
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
}

/// The keyword types of §10.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordType {
    Thing,
    Number,
    Letter,
    Symbol,
    CharacterString,
    Time,
    Date,
    Amount,
    PhoneNumber,
    CarNumber,
    Name,
    Phrase,
    Enum,
    /// A type WeChat may add later: only the rules every value follows apply.
    Other,
}

impl KeywordType {
    /// The type of a key: its name without the trailing number (`thing1` → `thing`).
    pub fn of_key(key: &str) -> KeywordType {
        match key.trim_end_matches(|c: char| c.is_ascii_digit()) {
            "thing" => KeywordType::Thing,
            "number" => KeywordType::Number,
            "letter" => KeywordType::Letter,
            "symbol" => KeywordType::Symbol,
            "character_string" => KeywordType::CharacterString,
            "time" => KeywordType::Time,
            "date" => KeywordType::Date,
            "amount" => KeywordType::Amount,
            "phone_number" => KeywordType::PhoneNumber,
            "car_number" => KeywordType::CarNumber,
            "name" => KeywordType::Name,
            "phrase" => KeywordType::Phrase,
            "enum" => KeywordType::Enum,
            _ => KeywordType::Other,
        }
    }
}

/// The §10.1 rule for a value, by the type in its key's name. `enum_values` are the template's
/// values for an `enum` key (when known). `Err` is the problem, worded to follow the field name:
/// `` `data.thing1.value` is longer than 20 characters ``.
pub fn check_value(key: &str, value: &str, enum_values: Option<&[String]>) -> Result<(), String> {
    if value.is_empty() {
        return Err("is empty".to_owned());
    }
    if has_control(value) {
        return Err("contains a control character (line breaks included)".to_owned());
    }
    let chars = value.chars().count();
    let (ok, rule) = match KeywordType::of_key(key) {
        KeywordType::Thing => (chars <= 20, "is longer than 20 characters".to_owned()),
        KeywordType::Number => (is_number(value, 32), "must be a number of up to 32 digits (a decimal point allowed)".to_owned()),
        KeywordType::Letter => {
            (chars <= 32 && value.chars().all(|c| c.is_ascii_alphabetic()), "must be up to 32 letters A-Z a-z".to_owned())
        }
        KeywordType::Symbol => (chars <= 5 && value.chars().all(is_symbol), "must be up to 5 symbols".to_owned()),
        KeywordType::CharacterString => (
            chars <= 32 && value.chars().all(|c| c.is_ascii_alphanumeric() || is_symbol(c)),
            "must be up to 32 digits, letters A-Z a-z or symbols".to_owned(),
        ),
        KeywordType::Time => (
            is_range(value, Point::Time),
            "must be a 24-hour time like 15:01 (a date may come first; a range joins two with ~)".to_owned(),
        ),
        KeywordType::Date => (
            is_range(value, Point::Date),
            "must be a date like 2019年10月1日 or 2019-10-01 (a 24-hour time may follow; a range joins two with ~)".to_owned(),
        ),
        KeywordType::Amount => {
            (is_amount(value), "must be one currency sign and up to 10 digits, like ¥100.00 (a trailing 元 allowed)".to_owned())
        }
        KeywordType::PhoneNumber => (
            chars <= 17 && value.chars().all(|c| c.is_ascii_digit() || c == ' ' || c.is_ascii_punctuation()),
            "must be up to 17 digits or symbols like + - ( )".to_owned(),
        ),
        KeywordType::CarNumber => (is_car_number(value), "must be a plate of up to 8 characters, like 粤A8Z888".to_owned()),
        KeywordType::Name => (is_name(value), "must be up to 10 Chinese characters or up to 20 letters".to_owned()),
        KeywordType::Phrase => (chars <= 5 && value.chars().all(is_chinese), "must be up to 5 Chinese characters".to_owned()),
        KeywordType::Enum => match enum_values {
            Some(allowed) => (allowed.iter().any(|a| a == value), format!("must be one of: {}", allowed.join(", "))),
            None => (true, String::new()),
        },
        KeywordType::Other => (true, String::new()),
    };
    if ok {
        Ok(())
    } else {
        Err(rule)
    }
}

/// Not a letter, digit, space or control character: `%`, `-`, `#`, `·`, `✓`.
fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control()
}

/// A CJK ideograph (the basic block, its extensions and the compatibility block).
pub fn is_chinese(c: char) -> bool {
    matches!(c as u32,
        0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0xF900..=0xFAFF | 0x20000..=0x2A6DF | 0x2A700..=0x2EBEF | 0x30000..=0x3134F)
}

/// Digits with at most one decimal point inside them, `max_digits` digits at most.
fn is_number(s: &str, max_digits: usize) -> bool {
    let (whole, fraction) = match s.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (s, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && fraction.is_none_or(digits) && whole.len() + fraction.map_or(0, str::len) <= max_digits
}

fn is_amount(s: &str) -> bool {
    let s = s.strip_suffix('元').unwrap_or(s);
    let mut chars = s.chars();
    match chars.next() {
        Some(sign) if CURRENCY_SIGNS.contains(&sign) => is_number(chars.as_str(), 10),
        _ => false,
    }
}

/// Up to 8 characters: letters and digits, the first and the last may be Chinese (粤B12345,
/// 京A1234学).
fn is_car_number(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let last = chars.len().saturating_sub(1);
    chars.len() <= 8
        && chars.iter().enumerate().all(|(i, &c)| c.is_ascii_alphanumeric() || ((i == 0 || i == last) && is_chinese(c)))
}

/// Up to 10 Chinese characters (a `·` between parts allowed), or up to 20 letters, spaces
/// and symbols (`John Smith`, `O'Neil`).
fn is_name(s: &str) -> bool {
    let chars = s.chars().count();
    let chinese = chars <= 10 && s.chars().all(|c| is_chinese(c) || c == '·') && s.chars().any(is_chinese);
    let latin = chars <= 20
        && s.chars().all(|c| c.is_ascii_alphabetic() || c == ' ' || is_symbol(c))
        && s.chars().any(|c| c.is_ascii_alphabetic());
    chinese || latin
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Point {
    Time,
    Date,
}

/// One point, or two joined by `~` (the second may be a bare time after a dated first point:
/// `2019年10月1日 15:01~17:00`).
fn is_range(s: &str, kind: Point) -> bool {
    match s.split_once('~') {
        None => is_point(s, kind),
        Some((a, b)) => {
            let (a, b) = (a.trim(), b.trim());
            is_point(a, kind) && (is_point(b, kind) || (kind == Point::Date && is_time(b) && has_time(a)))
        }
    }
}

fn has_time(s: &str) -> bool {
    s.contains(':')
}

/// A time needs a time of day (a date before it optional); a date needs a date (a time after it
/// optional).
fn is_point(s: &str, kind: Point) -> bool {
    if is_time(s) {
        return kind == Point::Time;
    }
    if is_date(s) {
        return kind == Point::Date;
    }
    // A date and a time: `2019-10-01 15:01`, `2019年10月1日 15:01`, `2019年10月1日15:01`.
    let split = s.rsplit_once(' ').or_else(|| s.find('日').map(|i| s.split_at(i + '日'.len_utf8())));
    split.is_some_and(|(d, t)| is_date(d.trim_end()) && is_time(t.trim_start()))
}

/// `H:MM` or `HH:MM`, optionally `:SS`, 24-hour.
fn is_time(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    let num = |p: &str, len: std::ops::RangeInclusive<usize>, max: u32| {
        len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()) && p.parse::<u32>().is_ok_and(|n| n <= max)
    };
    match parts.as_slice() {
        [h, m] => num(h, 1..=2, 23) && num(m, 2..=2, 59),
        [h, m, sec] => num(h, 1..=2, 23) && num(m, 2..=2, 59) && num(sec, 2..=2, 59),
        _ => false,
    }
}

/// `2019年10月1日`, `2019-10-01`, `2019/10/1`, `2019.10.01`: a real calendar date.
fn is_date(s: &str) -> bool {
    let parts: Option<[&str; 3]> = if let Some(rest) = s.strip_suffix('日') {
        rest.split_once('年').and_then(|(y, md)| md.split_once('月').map(|(m, d)| [y, m, d]))
    } else {
        ['-', '/', '.'].iter().find_map(|&sep| {
            let p: Vec<&str> = s.split(sep).collect();
            match p.as_slice() {
                [y, m, d] => Some([*y, *m, *d]),
                _ => None,
            }
        })
    };
    let Some([y, m, d]) = parts else { return false };
    let digits = |p: &str, len: std::ops::RangeInclusive<usize>| len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y, 4..=4) && digits(m, 1..=2) && digits(d, 1..=2)) {
        return false;
    }
    let (y, m, d) = (y.parse::<i32>().unwrap_or(0), m.parse::<u32>().unwrap_or(0), d.parse::<u32>().unwrap_or(0));
    y >= 1 && d >= 1 && d <= days_in_month(y, m)
}

/// One template of the account, as `wxaapi/newtmpl/gettemplate` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateInfo {
    pub pri_tmpl_id: String,
    pub title: String,
    /// The keys of its content, in order: `["thing1", "time2"]`.
    pub keys: Vec<String>,
    /// The allowed values of each `enum` key (`keywordEnumValueList`).
    pub enum_values: HashMap<String, Vec<String>>,
}

impl TemplateInfo {
    /// The templates in a `gettemplate` answer's `data[]`; entries without a `priTmplId` are
    /// skipped.
    pub fn from_gettemplate(body: &Value) -> Vec<TemplateInfo> {
        let Some(list) = body.get("data").and_then(Value::as_array) else { return Vec::new() };
        list.iter().filter_map(TemplateInfo::from_entry).collect()
    }

    /// One `data[]` entry: `{priTmplId, title, content, keywordEnumValueList?, ...}`.
    pub fn from_entry(entry: &Value) -> Option<TemplateInfo> {
        let text = |k: &str| entry.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let pri_tmpl_id = entry.get("priTmplId").and_then(Value::as_str).filter(|s| !s.is_empty())?.to_owned();
        let enum_values = entry
            .get("keywordEnumValueList")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|e| {
                        let code = e.get("keywordCode").and_then(Value::as_str)?;
                        let values = e.get("enumValueList").and_then(Value::as_array)?;
                        let values = values.iter().filter_map(Value::as_str).map(str::to_owned).collect();
                        Some((code.to_owned(), values))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(TemplateInfo { pri_tmpl_id, title: text("title"), keys: keys_in_content(&text("content")), enum_values })
    }
}

/// The keys of a template's content: `"物品名称:{{thing1.DATA}}\n时间:{{time2.DATA}}"` →
/// `["thing1", "time2"]` (each once, in order).
pub fn keys_in_content(content: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("{{") {
        let after = rest.get(start + 2..).unwrap_or("");
        let Some(end) = after.find("}}") else { break };
        let inner = after.get(..end).unwrap_or("").trim();
        let key = inner.strip_suffix(".DATA").unwrap_or(inner);
        if !key.is_empty() && !keys.iter().any(|k| k == key) {
            keys.push(key.to_owned());
        }
        rest = after.get(end + 2..).unwrap_or("");
    }
    keys
}

#[cfg(test)]
mod tests;
