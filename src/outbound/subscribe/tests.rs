//! Unit tests of `outbound/subscribe.rs`.

use super::*;
use serde_json::json;

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
const TID: &str = "bDmywsp2oEHjwAadTGKkUHpC0RgBVPvfAEsw1s1nw4Q";

fn body(v: Value) -> Body {
    v.as_object().cloned().unwrap_or_default()
}

fn doc_example() -> Value {
    json!({
        "touser": OPENID, "template_id": TID, "page": "index?foo=bar",
        "miniprogram_state": "developer", "lang": "zh_CN",
        "data": {"number01": {"value": "339208499"}, "date01": {"value": "2015年01月05日"},
                 "site01": {"value": "TIT创意园"}, "site02": {"value": "广州市新港中路397号"}}
    })
}

fn ok(key: &str, value: &str) -> bool {
    check_value(key, value, None).is_ok()
}

fn template() -> TemplateInfo {
    TemplateInfo::from_entry(&json!({
        "priTmplId": TID, "title": "订单发货提醒",
        "content": "商品:{{thing1.DATA}}\n时间:{{time2.DATA}}\n状态:{{enum3.DATA}}\n",
        "keywordEnumValueList": [{"keywordCode": "enum3", "enumValueList": ["已发货", "已签收"]}]
    }))
    .unwrap()
}

fn message(data: Value) -> SubscribeMessage {
    SubscribeMessage::parse(&body(json!({"touser": OPENID, "template_id": TID, "data": data}))).unwrap()
}

#[test]
fn the_doc_example_parses_and_round_trips() {
    let msg = SubscribeMessage::parse(&body(doc_example())).unwrap();
    assert_eq!(msg.wechat_body(), doc_example());
    assert_eq!((msg.touser(), msg.template_id(), msg.page()), (OPENID, TID, Some("index?foo=bar")));
    assert_eq!(msg.data().len(), 4);
}

#[test]
fn optional_fields_are_left_out_of_the_wechat_body() {
    let msg = message(json!({"thing1": {"value": "x"}}));
    assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "template_id": TID, "data": {"thing1": {"value": "x"}}}));
}

#[test]
fn top_level_fields_are_checked() {
    let with = |field: &str, v: Value| {
        let mut b = doc_example();
        b[field] = v;
        SubscribeMessage::parse(&body(b)).map(|_| ()).map_err(|e| e.message)
    };
    assert_eq!(with("template_id", json!("")), Err("`template_id` must not be empty".into()));
    assert!(with("template_id", json!("a".repeat(129))).is_err());
    assert!(with("template_id", json!("a".repeat(128))).is_ok());
    assert_eq!(
        with("page", json!("/pages/index/index")),
        Err("`page` must not start with `/` (write `pages/index/index`)".into())
    );
    assert!(with("page", json!("p".repeat(1025))).is_err());
    assert!(with("page", json!("p".repeat(1024))).is_ok());
    assert!(with("page", json!("")).is_err());
    assert!(with("page", Value::Null).is_ok());
    assert_eq!(
        with("miniprogram_state", json!("release")),
        Err("`miniprogram_state` must be one of developer, trial, formal".into())
    );
    assert!(with("miniprogram_state", json!("trial")).is_ok());
    assert_eq!(with("lang", json!("zh")), Err("`lang` must be one of zh_CN, en_US, zh_HK, zh_TW".into()));
    assert!(with("lang", json!("zh_TW")).is_ok());
    assert_eq!(with("touser", json!("")), Err("`touser` must not be empty".into()));
    let mut b = doc_example();
    b.as_object_mut().unwrap().remove("template_id");
    assert_eq!(SubscribeMessage::parse(&body(b)).unwrap_err().message, "`template_id` is required");
}

#[test]
fn data_must_be_a_non_empty_object_of_value_objects() {
    let with = |data: Value| {
        SubscribeMessage::parse(&body(json!({"touser": OPENID, "template_id": TID, "data": data})))
            .map(|_| ())
            .map_err(|e| e.message)
    };
    assert_eq!(with(Value::Null), Err("`data` is required".into()));
    assert!(with(json!([])).unwrap_err().starts_with("`data` must be an object"));
    assert_eq!(with(json!({})), Err("`data` must have at least one keyword".into()));
    assert!(with(json!({"thing1": "x"})).unwrap_err().starts_with("`data.thing1` must be an object"));
    assert_eq!(with(json!({"thing1": {}})), Err("`data.thing1.value` is required".into()));
    assert_eq!(with(json!({"thing1": {"value": 3}})), Err("`data.thing1.value` must be a string".into()));
    assert!(with(json!({"Thing1": {"value": "x"}})).unwrap_err().starts_with("`data.Thing1` is not a template keyword"));
    assert!(with(json!({"thing": {"value": "x"}})).is_err());
    assert!(with(json!({"1": {"value": "x"}})).is_err());
}

#[test]
fn a_value_breaking_its_rule_names_the_field() {
    let e = SubscribeMessage::parse(&body(json!({"touser": OPENID, "template_id": TID, "data": {"thing1": {"value": "一二三四五六七八九十一二三四五六七八九十一"}}})))
        .unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (400, "invalid_template_data"));
    assert_eq!(e.message, "`data.thing1.value` is longer than 20 characters");
    let e = SubscribeMessage::parse(&body(json!({"touser": OPENID, "template_id": TID, "data": {"thing1": {"value": ""}}})))
        .unwrap_err();
    assert_eq!(e.message, "`data.thing1.value` is empty");
}

#[test]
fn keyword_types_come_from_the_key_name() {
    assert_eq!(KeywordType::of_key("thing1"), KeywordType::Thing);
    assert_eq!(KeywordType::of_key("character_string2"), KeywordType::CharacterString);
    assert_eq!(KeywordType::of_key("phone_number9"), KeywordType::PhoneNumber);
    assert_eq!(KeywordType::of_key("car_number10"), KeywordType::CarNumber);
    assert_eq!(KeywordType::of_key("enum13"), KeywordType::Enum);
    assert_eq!(KeywordType::of_key("site01"), KeywordType::Other);
}

#[test]
fn no_value_may_be_empty_or_hold_control_characters() {
    for key in ["thing1", "site01", "enum1", "number1"] {
        assert_eq!(check_value(key, "", None), Err("is empty".into()));
    }
    assert!(check_value("thing1", "a\nb", None).unwrap_err().starts_with("contains a control character"));
    assert!(!ok("site01", "tab\there"));
    assert!(ok("site01", "anything at all, of any length it likes to be"));
}

#[test]
fn thing_is_up_to_20_characters_of_anything() {
    assert!(ok("thing1", "TIT创意园 A-1 (东门)"));
    assert!(ok("thing1", &"字".repeat(20)));
    assert!(!ok("thing1", &"字".repeat(21)));
    assert!(!ok("thing1", &"a".repeat(21)));
}

#[test]
fn number_is_up_to_32_digits_with_an_optional_decimal_point() {
    for good in ["339208499", "3.14", "0", &"9".repeat(32), "1234567890123456789012345678901.5"] {
        assert!(ok("number1", good), "{good}");
    }
    for bad in ["-1", "1.2.3", ".5", "5.", "1e5", "一", "12 3", &"9".repeat(33), "1,000"] {
        assert!(!ok("number1", bad), "{bad}");
    }
}

#[test]
fn letter_is_up_to_32_ascii_letters() {
    assert!(ok("letter1", "ABCxyz"));
    assert!(ok("letter1", &"a".repeat(32)));
    assert!(!ok("letter1", &"a".repeat(33)));
    assert!(!ok("letter1", "abc1"));
    assert!(!ok("letter1", "ab c"));
    assert!(!ok("letter1", "é"));
}

#[test]
fn symbol_is_up_to_5_symbols() {
    assert!(ok("symbol1", "%"));
    assert!(ok("symbol1", "#-+*✓"));
    assert!(!ok("symbol1", "%%%%%%"));
    assert!(!ok("symbol1", "a%"));
    assert!(!ok("symbol1", "% %"));
}

#[test]
fn character_string_is_up_to_32_digits_letters_or_symbols() {
    assert!(ok("character_string2", "SF1234567890"));
    assert!(ok("character_string2", "No.2024-01_ABC#9"));
    assert!(ok("character_string2", &"x".repeat(32)));
    assert!(!ok("character_string2", &"x".repeat(33)));
    assert!(!ok("character_string2", "订单123"));
    assert!(!ok("character_string2", "AB 12"));
}

#[test]
fn time_is_a_24_hour_time_maybe_dated_maybe_a_range() {
    for good in [
        "15:01",
        "9:05",
        "23:59:59",
        "2019年10月1日 15:01",
        "2019年10月1日15:01",
        "2019-10-01 15:01",
        "2019/10/01 08:00",
        "15:01~17:00",
        "15:01 ~ 17:00",
        "2019年10月1日 15:01~2019年10月1日 17:00",
    ] {
        assert!(ok("time3", good), "{good}");
    }
    for bad in ["24:00", "15:60", "15", "1501", "下午3点", "2019年10月1日", "2019-10-01", "15:01~", "15:01~17:00~18:00", "15:1"]
    {
        assert!(!ok("time3", bad), "{bad}");
    }
}

#[test]
fn date_is_a_calendar_date_in_any_of_four_spellings() {
    for good in [
        "2015年01月05日",
        "2019年10月1日",
        "2019-10-01",
        "2019/10/1",
        "2019.10.01",
        "2019年10月1日 15:01",
        "2019-10-01 15:01:30",
        "2019年10月1日~2019年10月7日",
        "2019-10-01~2019-10-07",
        "2019年10月1日 15:01~17:00",
        "2024-02-29",
    ] {
        assert!(ok("date4", good), "{good}");
    }
    for bad in [
        "2019年13月1日",
        "2023-02-29",
        "19-10-01",
        "2019-10",
        "2019-10/01",
        "10月1日",
        "15:01",
        "2019.10.01~",
        "明天",
        "2019-10-01~17:00",
    ] {
        assert!(!ok("date4", bad), "{bad}");
    }
}

#[test]
fn amount_needs_exactly_one_currency_sign() {
    for good in ["¥100", "￥100.00", "$9.99", "€1234567890", "£0.5", "¥100元", "¥12345678.90"] {
        assert!(ok("amount5", good), "{good}");
    }
    // The rule is literal: no sign (even with 元) is refused, as are two signs.
    for bad in ["100", "100元", "100.00", "¥¥100", "¥", "¥12345678901", "¥1,000", "¥-5", "100¥", "¥1.2.3"] {
        assert!(!ok("amount5", bad), "{bad}");
    }
}

#[test]
fn phone_number_is_up_to_17_digits_or_symbols() {
    for good in ["13800138000", "+86 138-0013-8000", "(010)12345678", "020-88888888"] {
        assert!(ok("phone_number6", good), "{good}");
    }
    assert!(ok("phone_number6", &"1".repeat(17)));
    assert!(!ok("phone_number6", &"1".repeat(18)));
    assert!(!ok("phone_number6", "call 110"));
}

#[test]
fn car_number_is_up_to_8_with_chinese_only_first_or_last() {
    for good in ["粤A8Z888", "京A12345", "粤B1234学", "AB12345", "沪AD12345"] {
        assert!(ok("car_number7", good), "{good}");
    }
    for bad in ["粤A8Z88888", "粤A中8888", "粤A 8888", "粤A-8888"] {
        assert!(!ok("car_number7", bad), "{bad}");
    }
}

#[test]
fn name_is_up_to_10_chinese_characters_or_20_letters() {
    for good in ["张三", "欧阳娜娜", "阿卜杜拉·买买提", "John Smith", "O'Neil", &"a".repeat(20), &"张".repeat(10)]
    {
        assert!(ok("name8", good), "{good}");
    }
    for bad in [&"张".repeat(11), &"a".repeat(21), "张三Smith", "R2D2", "·"] {
        assert!(!ok("name8", bad), "{bad}");
    }
}

#[test]
fn phrase_is_up_to_5_chinese_characters() {
    assert!(ok("phrase9", "已发货"));
    assert!(ok("phrase9", "配送中啦啦"));
    assert!(!ok("phrase9", "配送中啦啦啦"));
    assert!(!ok("phrase9", "done"));
    assert!(!ok("phrase9", "已 发货"));
}

#[test]
fn enum_must_be_one_of_the_templates_values_when_known() {
    let values = vec!["已发货".to_string(), "已签收".to_string()];
    assert!(check_value("enum10", "已发货", Some(&values)).is_ok());
    assert_eq!(check_value("enum10", "已取消", Some(&values)), Err("must be one of: 已发货, 已签收".into()));
    assert!(check_value("enum10", "已取消", None).is_ok());
}

#[test]
fn templates_are_read_from_gettemplate() {
    let body = json!({"errcode": 0, "errmsg": "ok", "data": [
        {"priTmplId": "9Aw5ZV1j9xdWTFEkqCpZ7mIBbSC34khK55OtzUPl0rU", "title": "报名结果通知",
         "content": "会议时间:{{date2.DATA}}\n会议地点:{{thing1.DATA}}\n", "example": "会议时间:2016年8月8日\n会议地点:TIT会议室\n", "type": 2},
        {"priTmplId": TID, "title": "订单状态", "content": "状态:{{enum3.DATA}}\n物品:{{thing1.DATA}}",
         "keywordEnumValueList": [{"keywordCode": "enum3", "enumValueList": ["已发货", "已签收"]}], "type": 3},
        {"title": "no id"},
        "garbage"
    ]});
    let templates = TemplateInfo::from_gettemplate(&body);
    assert_eq!(templates.len(), 2);
    assert_eq!(templates[0].keys, ["date2", "thing1"]);
    assert_eq!(templates[0].title, "报名结果通知");
    assert!(templates[0].enum_values.is_empty());
    assert_eq!(templates[1].enum_values.get("enum3"), Some(&vec!["已发货".to_string(), "已签收".to_string()]));
    assert!(TemplateInfo::from_gettemplate(&json!({"errcode": 48001})).is_empty());
}

#[test]
fn content_keys_are_found_once_each_in_order() {
    assert_eq!(keys_in_content("物品名称:{{thing1.DATA}}\n时间:{{time2.DATA}}"), ["thing1", "time2"]);
    assert_eq!(keys_in_content("{{a1.DATA}}{{a1.DATA}}{{b2.DATA}}"), ["a1", "b2"]);
    assert!(keys_in_content("no keys {{ unterminated").is_empty());
    assert!(keys_in_content("").is_empty());
}

#[test]
fn data_is_checked_against_its_template() {
    let t = template();
    let good = message(json!({"thing1": {"value": "键盘"}, "time2": {"value": "15:01"}, "enum3": {"value": "已发货"}}));
    assert_eq!(good.check_against(&t), Ok(()));

    let unknown = message(
        json!({"thing1": {"value": "键盘"}, "time2": {"value": "15:01"}, "enum3": {"value": "已发货"}, "thing4": {"value": "x"}}),
    );
    let e = unknown.check_against(&t).unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (400, "invalid_template_data"));
    assert!(e.message.starts_with("`data.thing4` is not a keyword of template"), "{}", e.message);

    let missing = message(json!({"thing1": {"value": "键盘"}, "enum3": {"value": "已发货"}}));
    assert!(missing.check_against(&t).unwrap_err().message.starts_with("`data.time2` is missing"));

    let bad_enum = message(json!({"thing1": {"value": "键盘"}, "time2": {"value": "15:01"}, "enum3": {"value": "已取消"}}));
    assert_eq!(bad_enum.check_against(&t).unwrap_err().message, "`data.enum3.value` must be one of: 已发货, 已签收");

    let other = TemplateInfo { pri_tmpl_id: "other".into(), ..t };
    assert!(good.check_against(&other).unwrap_err().message.starts_with("`template_id`"));
}
