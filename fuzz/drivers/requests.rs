//! Request drivers: `qr_and_links` (every QR-code and link parser, `etag_matches`), `outbound`
//! (customer-service, subscribe and content-check bodies, keyword values, datacube ranges,
//! WeChat's errmsg), `session` (the Authorization header and the login code).
//!
//! What a parser accepts is checked against its documented limits, and where a parser's output
//! has the shape of its input (`wechat_body`), parsing that output again gives the same value.

use super::input::{fields, flags, join, join_fields, text};
use serde_json::{json, Map, Value};
use wechat_edge::login::session::{SessionToken, WxCode, TOKEN_LEN};
use wechat_edge::outbound::analytics::{check_range, Period, Report};
use wechat_edge::outbound::custom::{Content, CustomMessage, Typing};
use wechat_edge::outbound::security::TextCheck;
use wechat_edge::outbound::subscribe::{check_value, KeywordType, SubscribeMessage, TemplateInfo};
use wechat_edge::qrcode::codes::{etag, etag_matches, ClassicCode, LimitedCode, OaScene, OaTicketQr, UnlimitedCode};
use wechat_edge::qrcode::links::{Expiry, Link, SchemeRequest, UrlLinkRequest};
use wechat_edge::shared::date::{today_from_unix, Date};
use wechat_edge::shared::errcode::{self, Api};
use wechat_edge::shared::error::ApiError;

const NOW: i64 = 1_700_000_000;
const APPID: &str = "wx2c2769f8efd9abc2";
const SCENE_SPECIALS: &str = "!#$&'()*+,/:;=?@-._~";

/// A parser's refusal is a 400 that says something.
fn check_refusal(e: &ApiError) {
    assert_eq!(e.status, 400, "a bad request body gave {e:?}");
    assert!(!e.code.is_empty() && !e.message.is_empty());
}

/// `parse(wechat_body(x)) == x`, for parsers whose output has their input's shape.
fn reparses<T: PartialEq + std::fmt::Debug>(value: &T, body: Value, parse: impl Fn(&Map<String, Value>) -> Result<T, ApiError>) {
    let Value::Object(map) = body else { panic!("wechat_body is not an object") };
    match parse(&map) {
        Ok(again) => assert_eq!(&again, value, "parsing the WeChat body again gives another value"),
        Err(e) => panic!("the WeChat body built from an accepted request is refused: {e:?}"),
    }
}

fn check_page(page: &str) {
    assert!(page.len() <= 1024 && !page.is_empty() && !page.starts_with('/') && !page.contains('?'));
    assert!(page.split('/').all(|segment| !segment.is_empty()), "a page with an empty segment: {page}");
}

/// Input: a JSON request body NUL an `If-None-Match` header.
pub fn qr_and_links(data: &[u8]) {
    let parts = fields(data, 2);
    if let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(parts[0]) {
        qr_codes(&body);
        links(&body);
    }
    let tag = etag(parts[0]);
    assert!(etag_matches(&tag, &tag) && etag_matches(&format!("W/{tag}"), &tag) && etag_matches("*", &tag));
    let header = text(parts[1]);
    let matched = etag_matches(&header, &tag);
    // In a well-formed list (every element a quoted tag, maybe weak), ours is found.
    let well_formed = |t: &str| {
        let t = t.trim();
        let t = t.strip_prefix("W/").unwrap_or(t);
        t.len() >= 2 && t.starts_with('"') && t.ends_with('"') && !t[1..t.len() - 1].contains('"')
    };
    let listed = header.split(',').all(well_formed) && header.split(',').any(|t| t.trim().trim_start_matches("W/") == tag);
    if header.trim() == "*" || listed {
        assert!(matched, "{header:?} does not match {tag}");
    }
    let _ = etag_matches(&header, &header);
    assert!(!etag_matches(&header, "") || header.trim() == "*", "an empty etag matched {header:?}");
}

fn qr_codes(body: &Map<String, Value>) {
    match UnlimitedCode::parse(body) {
        Ok(code) => {
            let scene = code.scene.as_str();
            assert!((1..=32).contains(&scene.chars().count()), "scene of {} characters accepted", scene.chars().count());
            assert!(scene.chars().all(|c| c.is_ascii_alphanumeric() || SCENE_SPECIALS.contains(c)), "scene {scene:?} accepted");
            if let Some(page) = &code.page {
                check_page(page);
            }
            assert!((280..=1280).contains(&code.style.width));
            let key = code.cache_key(APPID);
            assert!(key.starts_with(&format!("qr:unlimited:{APPID}:")) && key.len() == "qr:unlimited::".len() + APPID.len() + 64);
            reparses(&code, code.wechat_body(), UnlimitedCode::parse);
        }
        Err(e) => check_refusal(&e),
    }
    match LimitedCode::parse(body) {
        Ok(code) => {
            assert!(!code.path.is_empty() && code.path.len() <= LimitedCode::MAX_PATH_LEN);
            check_page(code.path.split('?').next().unwrap_or_default());
            let _ = code.cache_key(APPID);
            reparses(&code, code.wechat_body(), LimitedCode::parse);
        }
        Err(e) => check_refusal(&e),
    }
    match ClassicCode::parse(body) {
        Ok(code) => {
            assert!(!code.path.is_empty() && code.path.len() <= ClassicCode::MAX_PATH_LEN);
            assert!((280..=1280).contains(&code.width));
            let _ = code.cache_key(APPID);
            reparses(&code, code.wechat_body(), ClassicCode::parse);
        }
        Err(e) => check_refusal(&e),
    }
    match OaTicketQr::parse(body) {
        Ok(qr) => {
            match &qr.scene {
                OaScene::Id(id) if qr.is_permanent() => assert!((1..=OaTicketQr::MAX_PERMANENT_SCENE_ID).contains(id)),
                OaScene::Id(id) => assert!(*id != 0 && i32::try_from(*id).is_ok()),
                OaScene::Str(s) => assert!((1..=64).contains(&s.chars().count()) && !s.chars().any(char::is_control)),
            }
            if let Some(seconds) = qr.expire_seconds {
                assert!((60..=2_592_000).contains(&seconds));
            }
            assert_eq!(qr.wechat_body()["action_name"].as_str(), Some(qr.action_name()));
        }
        Err(e) => check_refusal(&e),
    }
}

fn check_link(link: &Link) {
    if let Some(path) = &link.path {
        check_page(path);
    }
    if let Some(query) = &link.query {
        assert!(!query.is_empty() && query.chars().count() <= 1024 && query.is_ascii() && !query.contains(' '));
    }
    match link.expiry {
        Expiry::At(at) => assert!(at > NOW && at - NOW <= 30 * 86_400, "expire_time {at} accepted at {NOW}"),
        Expiry::AfterDays(days) => assert!((1..=30).contains(&days)),
    }
}

fn links(body: &Map<String, Value>) {
    match SchemeRequest::parse_at(body, NOW) {
        Ok(request) => {
            check_link(&request.link);
            assert!(request.wechat_body()["jump_wxa"].is_object());
        }
        Err(e) => check_refusal(&e),
    }
    match UrlLinkRequest::parse_at(body, NOW) {
        Ok(request) => {
            check_link(&request.link);
            reparses(&request, request.wechat_body(), |b| UrlLinkRequest::parse_at(b, NOW));
        }
        Err(e) => check_refusal(&e),
    }
}

/// Input: a JSON body NUL keyword key NUL keyword value NUL begin_date NUL end_date NUL eight
/// bytes for "today" (year as two bytes, month, day) and a unix time.
pub fn outbound(data: &[u8]) {
    let parts = fields(data, 6);
    if let Ok(value) = serde_json::from_slice::<Value>(parts[0]) {
        wechat_answer(&value);
        if let Value::Object(body) = &value {
            request_bodies(body, &value);
        }
    }
    keyword_value(&text(parts[1]), &text(parts[2]));
    date_range(&text(parts[3]), &text(parts[4]), parts[5]);
}

/// WeChat's own answers: errmsg trimmed and bounded, every errcode mapped without panicking.
fn wechat_answer(value: &Value) {
    let errmsg = errcode::errmsg_of(value);
    assert!(errmsg.chars().count() <= 160, "errmsg of {} characters", errmsg.chars().count());
    assert!(!errmsg.contains(" rid:") && !errmsg.contains(" hint:"), "errmsg kept its suffix: {errmsg}");
    let code = errcode::errcode_of(value);
    for api in [Api::Token, Api::Login, Api::Phone, Api::CheckSession, Api::QrCode, Api::Messages, Api::Generic] {
        let e = errcode::map(api, code, &errmsg);
        assert!((400..=599).contains(&e.status), "errcode {code} maps to status {}", e.status);
        let _ = errcode::check(api, value.clone());
    }
}

fn request_bodies(body: &Map<String, Value>, value: &Value) {
    match CustomMessage::parse(body) {
        Ok(message) => {
            if let Content::Text { content } = message.content() {
                assert!(!content.is_empty() && content.len() <= 2048);
            }
            check_openid(message.touser());
            reparses(&message, message.wechat_body(), CustomMessage::parse);
        }
        Err(e) => check_refusal(&e),
    }
    let media = body.get("media_id").and_then(Value::as_str).map(str::to_owned);
    if let Err(e) = CustomMessage::parse_with_media(body, media) {
        check_refusal(&e);
    }
    match Typing::parse(body) {
        Ok(typing) => reparses(&typing, typing.wechat_body(), Typing::parse),
        Err(e) => check_refusal(&e),
    }
    match TextCheck::parse(body) {
        Ok(check) => {
            check_openid(check.openid());
            reparses(&check, check.wechat_body(), TextCheck::parse);
        }
        Err(e) => check_refusal(&e),
    }
    // Templates from a gettemplate answer: the body itself, or its `templates` array.
    let mut templates = TemplateInfo::from_gettemplate(value);
    templates.extend(TemplateInfo::from_gettemplate(&json!({ "data": body.get("templates") })));
    for template in &templates {
        assert!(!template.pri_tmpl_id.is_empty());
        let mut keys = template.keys.clone();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), template.keys.len(), "a template lists a key twice");
    }
    match SubscribeMessage::parse(body) {
        Ok(message) => {
            check_openid(message.touser());
            assert!(!message.data().is_empty());
            for (key, value) in message.data() {
                assert_eq!(check_value(key, value, None), Ok(()), "data.{key} accepted but its value breaks its rule");
            }
            reparses(&message, message.wechat_body(), SubscribeMessage::parse);
            for template in &templates {
                if message.check_against(template).is_ok() {
                    assert_eq!(message.template_id(), template.pri_tmpl_id);
                    assert!(message.data().iter().all(|(k, _)| template.keys.contains(k)));
                    assert!(template.keys.iter().all(|k| message.data().iter().any(|(d, _)| d == k)));
                }
            }
        }
        Err(e) => check_refusal(&e),
    }
}

fn check_openid(openid: &str) {
    assert!((1..=64).contains(&openid.len()) && openid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
}

/// A keyword value accepted under its type's rule fits the documented limits.
fn keyword_value(key: &str, value: &str) {
    let verdict = check_value(key, value, None);
    if verdict.is_ok() {
        assert!(!value.is_empty() && !value.chars().any(char::is_control), "{key}={value:?} accepted");
        let chars = value.chars().count();
        let limit = match KeywordType::of_key(key) {
            KeywordType::Thing => 20,
            KeywordType::Letter | KeywordType::CharacterString => 32,
            KeywordType::Symbol | KeywordType::Phrase => 5,
            KeywordType::PhoneNumber => 17,
            KeywordType::CarNumber => 8,
            KeywordType::Name => 20,
            KeywordType::Number => 33,
            _ => usize::MAX,
        };
        assert!(chars <= limit, "{key} accepted {chars} characters");
    }
    let allowed = [value.to_owned()];
    if KeywordType::of_key(key) == KeywordType::Enum {
        assert_eq!(check_value(key, value, Some(&allowed)).is_ok(), !value.is_empty() && !value.chars().any(char::is_control));
        assert!(check_value(key, value, Some(&[])).is_err(), "an enum value outside an empty list was accepted");
    }
}

/// A range any report accepts is two calendar dates, in order, ending before today.
fn date_range(begin: &str, end: &str, today_bytes: &[u8]) {
    let byte = |i: usize| today_bytes.get(i).copied().unwrap_or(0);
    let today = (i32::from(u16::from_be_bytes([byte(0), byte(1)])), u32::from(byte(2)), u32::from(byte(3)));
    let mut unix = [0u8; 8];
    unix.iter_mut().zip(today_bytes.iter().skip(4)).for_each(|(d, s)| *d = *s);
    let _ = today_from_unix(u64::from_be_bytes(unix));
    for report in Report::ALL {
        if check_range(report, begin, end, today).is_err() {
            continue;
        }
        let (Ok(b), Ok(e)) = (Date::parse(begin), Date::parse(end)) else { panic!("{begin}..{end} accepted but not dates") };
        let Some(t) = Date::new(today.0, today.1, today.2) else { panic!("{today:?} accepted as today") };
        assert!(b <= e && e.days() < t.days(), "{begin}..{end} accepted on {t}");
        assert_eq!(Date::from_days(b.days()), b, "the day number of {b} does not round-trip");
        match report.period() {
            Period::Day => assert_eq!(b, e),
            Period::Week => assert!(b.weekday() == 1 && e.weekday() == 7 && e.days() - b.days() == 6),
            Period::Month => assert!(b.day == 1 && (b.year, b.month) == (e.year, e.month)),
            Period::Recent => assert!(e.days() == t.days() - 1 && [1, 7, 30].contains(&(e.days() - b.days() + 1))),
        }
    }
}

/// Input: flags, then the header value (or a login code). Flag 1: no Authorization header.
pub fn session(data: &[u8]) {
    let (flags, rest) = flags(data);
    let header = text(rest);
    let parsed = SessionToken::from_authorization(if flags & 1 != 0 { None } else { Some(&header) });
    match parsed {
        Ok(token) => {
            let value = token.reveal();
            assert_eq!(value.len(), TOKEN_LEN);
            assert!(header.contains(value));
            let again = SessionToken::from_authorization(Some(&format!("Bearer {value}")));
            assert_eq!(again.as_ref().map(SessionToken::reveal), Ok(value), "a parsed token does not parse again");
            assert!(!token.storage_key().contains(value), "the storage key holds the token");
            assert!(!format!("{token:?}").contains(value), "Debug shows the token");
            let aad = wechat_edge::login::session::SessionRecord::seal_aad("wx1", "o1");
            let sealed = token.seal(&header, &aad, [3u8; 12]).expect("sealing never fails");
            assert_eq!(token.open(&sealed, &aad).as_deref(), Some(header.as_str()), "seal then open changed the value");
        }
        Err(e) => assert_eq!(e.status, 401, "a bad Authorization header gave {e:?}"),
    }
    let code = serde_json::from_slice::<Value>(rest).unwrap_or(Value::String(header.clone()));
    for value in [Some(&code), Some(&Value::String(header)), None] {
        match WxCode::parse(value) {
            Ok(code) => {
                let code = code.as_str();
                assert!((1..=WxCode::MAX_LEN).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_graphic()));
            }
            Err(e) => check_refusal(&e),
        }
    }
}

pub fn qr_and_links_seeds() -> Vec<Vec<u8>> {
    let bodies = [
        json!({"scene": "a=1&b=2", "page": "pages/index/index", "width": 430, "check_path": false, "env_version": "trial", "auto_color": false, "line_color": {"r": 0, "g": 255, "b": 10}, "is_hyaline": true}),
        json!({"path": "pages/item/item?id=1", "width": 280, "env_version": "develop"}),
        json!({"scene_id": 123, "expire_seconds": 604800}),
        json!({"scene_str": "hello", "permanent": true}),
        json!({"path": "pages/a/b", "query": "a=1%20b", "env_version": "release", "expire_type": 1, "expire_interval": 7}),
        json!({"path": "pages/a/b", "is_expire": true, "expire_type": 0, "expire_time": NOW + 86_400}),
    ];
    bodies
        .iter()
        .zip(["\"abc\"", "W/\"x\", \"y\"", "*", "", "\"", "a,b"])
        .map(|(body, header)| join_fields(&[body.to_string().as_bytes(), header.as_bytes()]))
        .collect()
}

pub fn outbound_seeds() -> Vec<Vec<u8>> {
    let openid = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    let bodies = [
        json!({"touser": openid, "msgtype": "text", "text": {"content": "hello"}}),
        json!({"touser": openid, "msgtype": "link", "link": {"title": "t", "description": "d", "url": "https://a.b/c", "thumb_url": "http://a/b.jpg"}}),
        json!({"touser": openid, "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "pagepath": "pages/a/a?x=1", "thumb_media_id": "m1"}, "media_id": "up1"}),
        json!({"touser": openid, "command": "Typing"}),
        json!({"touser": openid, "template_id": "tmpl1", "page": "pages/index/index?a=1", "miniprogram_state": "trial", "lang": "zh_CN",
               "data": {"thing1": {"value": "物品"}, "time2": {"value": "2019年10月1日 15:01"}, "amount3": {"value": "¥100.00"}, "enum4": {"value": "a"}},
               "templates": [{"priTmplId": "tmpl1", "title": "T", "content": "{{thing1.DATA}}{{time2.DATA}}{{amount3.DATA}}{{enum4.DATA}}",
                              "keywordEnumValueList": [{"keywordCode": "enum4", "enumValueList": ["a", "b"]}]}]}),
        json!({"content": "text", "openid": openid, "scene": 1, "signature": "sig", "title": "t", "nickname": "n"}),
        json!({"errcode": 40029, "errmsg": "invalid code, rid: 6500-abc hint: [x]"}),
    ];
    let values = [
        ("thing1", "物品名称"),
        ("date2", "2019-10-01 15:01~2019-10-02"),
        ("phone_number3", "+86 (10) 1234-5678"),
        ("car_number4", "粤A8Z888"),
        ("name5", "John O'Neil"),
        ("number6", "123.45"),
        ("phrase7", "已完成"),
    ];
    let ranges = [("20170313", "20170319"), ("20170201", "20170228"), ("20170319", "20170319"), ("20170219", "20170319")];
    let today = [7u8, 225, 3, 20, 0, 0, 0, 0, 0x58, 0xCF, 0x00, 0x00];
    bodies
        .iter()
        .zip(values)
        .zip(ranges.iter().cycle())
        .map(|((body, (key, value)), (begin, end))| {
            join_fields(&[
                body.to_string().as_bytes(),
                key.as_bytes(),
                value.as_bytes(),
                begin.as_bytes(),
                end.as_bytes(),
                &today,
            ])
        })
        .collect()
}

pub fn session_seeds() -> Vec<Vec<u8>> {
    let token = SessionToken::from_random([7; 32]);
    vec![
        join(0, &[format!("Bearer {}", token.reveal()).as_bytes()]),
        join(0, &[format!("bearer  {} ", token.reveal()).as_bytes()]),
        join(1, &[b"\"0a3Xyz\""]),
        join(0, &[b"Basic abc"]),
    ]
}
