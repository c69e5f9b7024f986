use super::*;
use serde_json::json;

fn body(v: Value) -> Body {
    v.as_object().unwrap().clone()
}

fn template() -> OaTemplate {
    // A category template (类目模板) as get_all_private_template lists it (wechat-oa.md §3.1).
    let list = json!({"template_list":[{"template_id":"tpl-1","title":"订单发货通知","primary_industry":"IT科技",
        "deputy_industry":"互联网","content":"商品名称:{{thing1.DATA}}\n发货时间:{{time2.DATA}}","example":""}]});
    OaTemplate::from_list(&list).remove(0)
}

#[test]
fn templates_list_their_keywords() {
    assert_eq!(template().keys, vec!["thing1", "time2"]);
    let legacy =
        json!({"template_list":[{"template_id":"t","title":"x","content":"{{first.DATA}}\n{{keyword1.DATA}}\n{{remark.DATA}}"}]});
    assert_eq!(OaTemplate::from_list(&legacy)[0].keys, vec!["keyword1"], "first/remark are filtered since 2023");
}

#[test]
fn a_template_message_is_checked_against_its_template() {
    let ok = TemplateMessage::parse(&body(json!({"touser":"o1","template_id":"tpl-1",
        "miniprogram":{"appid":"wx0000000000000001","pagepath":"pages/order?id=1"},"client_msg_id":"MSG_1",
        "data":{"thing1":{"value":"一件T恤"},"time2":{"value":"2026-12-01 10:00"}}})))
    .unwrap();
    ok.check_against(&template()).unwrap();
    let wire = ok.wechat_body();
    assert_eq!(wire["data"]["thing1"]["value"], "一件T恤");
    assert_eq!(wire["miniprogram"]["appid"], "wx0000000000000001");
    assert_eq!(wire["client_msg_id"], "MSG_1");

    let missing =
        TemplateMessage::parse(&body(json!({"touser":"o1","template_id":"tpl-1","data":{"thing1":{"value":"x"}}}))).unwrap();
    let e = missing.check_against(&template()).unwrap_err();
    assert_eq!(e.code, "invalid_template_data");
    assert!(e.message.contains("data.time2"), "{}", e.message);

    let empty = TemplateMessage::parse(&body(json!({"touser":"o1","template_id":"tpl-1",
        "data":{"thing1":{"value":""},"time2":{"value":"10:00"}}})))
    .unwrap();
    assert!(empty.check_against(&template()).unwrap_err().message.contains("data.thing1.value"));

    let too_long = TemplateMessage::parse(&body(json!({"touser":"o1","template_id":"tpl-1",
        "data":{"thing1":"一二三四五六七八九十一二三四五六七八九十一","time2":"10:00"}})))
    .unwrap();
    assert!(too_long.check_against(&template()).unwrap_err().message.contains("20 characters"));
}

#[test]
fn shapes_are_refused_with_the_field_named() {
    let e = TemplateMessage::parse(&body(json!({"touser":"o1","template_id":"t","data":{}, "url":"javascript:x"}))).unwrap_err();
    assert!(e.message.contains("url"));
    let e = TemplateMessage::parse(&body(json!({"touser":"o1","template_id":"t","data":{},"miniprogram":{"appid":"x"}})))
        .unwrap_err();
    assert!(e.message.contains("miniprogram.appid"));
    let e = TemplateMessage::parse(&body(json!({"touser":"o 1","template_id":"t","data":{}}))).unwrap_err();
    assert!(e.message.contains("touser"));
    let e = TemplateMessage::parse(&body(json!({"touser":"o1","template_id":"t"}))).unwrap_err();
    assert!(e.message.contains("data"));
}

#[test]
fn bizsend_takes_a_web_page_and_the_subscribe_rules() {
    let info = TemplateInfo::from_entry(&json!({"priTmplId":"sub-1","title":"审核结果","content":"结果:{{phrase3.DATA}}\n名称:{{name1.DATA}}\n日期:{{date2.DATA}}"}))
        .unwrap();
    // wechat-oa.md §3.2's example data.
    let m = BizsendMessage::parse(&body(json!({"touser":"o1","template_id":"sub-1","page":"https://example.com/x",
        "data":{"phrase3":{"value":"通过"},"name1":{"value":"subscription"},"date2":{"value":"2019-12-25 09:42"}}})))
    .unwrap();
    m.check_against(&info).unwrap();
    assert_eq!(m.wechat_body()["page"], "https://example.com/x");
    let bad = BizsendMessage::parse(&body(json!({"touser":"o1","template_id":"sub-1",
        "data":{"phrase3":{"value":"approved"},"name1":{"value":"x"},"date2":{"value":"2019-12-25"}}})))
    .unwrap();
    assert!(bad.check_against(&info).unwrap_err().message.contains("phrase3"));
}
