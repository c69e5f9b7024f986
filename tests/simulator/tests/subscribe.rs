//! subscribe/send and the template list: grants, template data rules, pages, and the hooks
//! that set templates and grants.

mod common;

use common::*;
use serde_json::{json, Value};

const ORDER: &str = "SimOrderShipped0000000000000000000000000001";
const BOOKING: &str = "SimBookingResult000000000000000000000000002";

async fn send(sim: &TestSim, token: &str, body: Value) -> Answer {
    sim.post("/cgi-bin/message/subscribe/send", &[("access_token", token)], &body).await
}

fn order_data() -> Value {
    json!({
        "thing1": {"value": "无线键盘"},
        "character_string2": {"value": "SF1234567890"},
        "time3": {"value": "2024年5月1日 15:01"},
        "amount4": {"value": "¥199.00"},
    })
}

fn order(openid: &str) -> Value {
    json!({"touser": openid, "template_id": ORDER, "page": "pages/detail/detail?id=42", "data": order_data()})
}

async fn grant(sim: &TestSim, openid: &str, template_id: &str, count: u32) -> Value {
    sim.control("/_sim/subscriptions", json!({"openid": openid, "template_id": template_id, "count": count})).await
}

async fn remaining(sim: &TestSim, openid: &str) -> Value {
    sim.control_get("/_sim/subscriptions", &[("openid", openid)]).await
}

/// The `{{key.DATA}}` names of a template's content, in order: what a sender must fill in.
fn keywords(content: &Value) -> Vec<String> {
    let text = content.as_str().unwrap_or_default();
    text.split("{{").skip(1).filter_map(|part| part.split_once(".DATA}}").map(|(key, _)| key.to_string())).collect()
}

fn errmsg(answer: &Answer) -> String {
    answer.json()["errmsg"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn gettemplate_lists_the_default_templates_with_their_keywords_and_enums() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let answer = sim.get("/wxaapi/newtmpl/gettemplate", &[("access_token", token.as_str())]).await;

    let body = answer.json();
    assert_eq!((answer.status, answer.errcode()), (200, 0));
    assert_eq!(body["errmsg"], "ok");
    assert_eq!(body["data"][0]["priTmplId"], ORDER);
    assert_eq!(body["data"][0]["title"], "订单发货提醒");
    assert_eq!(body["data"][0]["type"], 2);
    assert!(body["data"][0]["example"].as_str().unwrap().contains("¥199.00"));
    assert_eq!(keywords(&body["data"][0]["content"]), ["thing1", "character_string2", "time3", "amount4"]);
    assert_eq!(body["data"][1]["priTmplId"], BOOKING);
    assert_eq!(keywords(&body["data"][1]["content"]), ["thing1", "phrase2", "enum3", "date4"]);
    let enums = &body["data"][1]["keywordEnumValueList"][0];
    assert_eq!(enums["keywordCode"], "enum3");
    assert_eq!(enums["enumValueList"], json!(["已通过", "未通过", "待审核"]));
}

#[tokio::test]
async fn a_one_time_grant_allows_exactly_one_message() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;

    let before = send(&sim, &token, order(&openid)).await;
    grant(&sim, &openid, ORDER, 1).await;
    let first = send(&sim, &token, order(&openid)).await;
    let second = send(&sim, &token, order(&openid)).await;

    assert_eq!(before.errcode(), 43101);
    assert_eq!(first.json(), json!({"errcode": 0, "errmsg": "ok"}));
    assert_eq!(second.errcode(), 43101);
    assert_eq!(remaining(&sim, &openid).await["subscriptions"][0]["remaining"], 0);
}

#[tokio::test]
async fn one_time_grants_add_up_and_long_term_ones_are_not_used_up() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    sim.control(
        "/_sim/templates",
        json!({"templates": [{"priTmplId": "LongTerm01", "title": "服务进度提醒", "type": 3,
                               "content": "进度:{{phrase1.DATA}}\n"}]}),
    )
    .await;
    grant(&sim, &openid, ORDER, 1).await;
    let twice = grant(&sim, &openid, ORDER, 1).await;
    grant(&sim, &openid, "LongTerm01", 1).await;

    let mut codes = Vec::new();
    for _ in 0..3 {
        codes.push(send(&sim, &token, order(&openid)).await.errcode());
    }
    let long_term = json!({"touser": openid, "template_id": "LongTerm01", "data": {"phrase1": {"value": "处理中"}}});
    let lt_codes = [send(&sim, &token, long_term.clone()).await.errcode(), send(&sim, &token, long_term).await.errcode()];

    assert_eq!(twice["remaining"], 2);
    assert_eq!(codes, [0, 0, 43101]);
    assert_eq!(lt_codes, [0, 0]);
}

#[tokio::test]
async fn the_user_and_the_template_must_be_known() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    grant(&sim, &openid, ORDER, 5).await;

    let stranger = send(&sim, &token, order("oStrangerOfAnotherApp000000000")).await;
    let no_touser = send(&sim, &token, json!({"template_id": ORDER, "data": order_data()})).await;
    let mut unknown_template = order(&openid);
    unknown_template["template_id"] = json!("NoSuchTemplate");
    let unknown_template = send(&sim, &token, unknown_template).await;
    let no_template = send(&sim, &token, json!({"touser": openid, "data": order_data()})).await;

    assert_eq!(stranger.errcode(), 40003);
    assert_eq!(no_touser.errcode(), 40003);
    assert_eq!(unknown_template.errcode(), 40037);
    assert_eq!(no_template.errcode(), 40037);
    assert!(errmsg(&unknown_template).contains(" rid: "));
    assert_eq!(remaining(&sim, &openid).await["subscriptions"][0]["remaining"], 5);
}

#[tokio::test]
async fn bad_data_is_47003_naming_the_field() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    grant(&sim, &openid, ORDER, 1).await;
    grant(&sim, &openid, BOOKING, 1).await;
    let with = |key: &str, value: Value| {
        let mut body = order(&openid);
        body["data"][key] = value;
        body
    };

    let empty = send(&sim, &token, with("thing1", json!({"value": ""}))).await;
    let long = send(&sim, &token, with("thing1", json!({"value": "这是一个超过二十个字的商品名称用来测试长度限制"}))).await;
    let no_sign = send(&sim, &token, with("amount4", json!({"value": "199.00"}))).await;
    let bad_time = send(&sim, &token, with("time3", json!({"value": "25:00"}))).await;
    let mut missing = order(&openid);
    missing["data"].as_object_mut().unwrap().remove("time3");
    let missing = send(&sim, &token, missing).await;
    let extra = send(&sim, &token, with("thing9", json!({"value": "x"}))).await;
    let no_data = send(&sim, &token, json!({"touser": openid, "template_id": ORDER})).await;
    let bad_enum = send(
        &sim,
        &token,
        json!({"touser": openid, "template_id": BOOKING, "data": {
            "thing1": {"value": "口腔检查"}, "phrase2": {"value": "已受理"},
            "enum3": {"value": "已取消"}, "date4": {"value": "2024-05-01"}}}),
    )
    .await;

    for answer in [&empty, &long, &no_sign, &bad_time, &missing, &extra, &no_data, &bad_enum] {
        assert_eq!(answer.errcode(), 47003, "{}", answer.text);
        assert!(errmsg(answer).starts_with("argument invalid! "));
    }
    assert!(errmsg(&empty).starts_with("argument invalid! data.thing1.value is empty rid: "));
    assert!(errmsg(&long).contains("data.thing1.value is longer than 20 characters"));
    assert!(errmsg(&no_sign).contains("data.amount4.value"));
    assert!(errmsg(&bad_time).contains("data.time3.value"));
    assert!(errmsg(&missing).contains("data.time3.value is empty"));
    assert!(errmsg(&extra).contains("data.thing9"));
    assert!(errmsg(&no_data).contains("data is empty"));
    assert!(errmsg(&bad_enum).contains("data.enum3.value must be one of: 已通过, 未通过, 待审核"));
    // Nothing was sent, so the grants are still there.
    let left = remaining(&sim, &openid).await;
    assert!(left["subscriptions"].as_array().unwrap().iter().all(|s| s["remaining"] == 1));
}

#[tokio::test]
async fn the_page_must_be_in_the_released_version() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    grant(&sim, &openid, ORDER, 10).await;
    let to = |page: &str, state: Option<&str>| {
        let mut body = order(&openid);
        body["page"] = json!(page);
        if let Some(state) = state {
            body["miniprogram_state"] = json!(state);
        }
        body
    };

    let unreleased = send(&sim, &token, to("pages/secret/secret", None)).await;
    let leading_slash = send(&sim, &token, to("/pages/index/index", None)).await;
    let with_query = send(&sim, &token, to("pages/index/index?foo=bar", None)).await;
    let in_trial = send(&sim, &token, to("pages/secret/secret", Some("trial"))).await;
    let bad_state = send(&sim, &token, to("pages/index/index", Some("release"))).await;
    sim.control("/_sim/pages", json!({"pages": ["pages/index/index", "pages/secret/secret"]})).await;
    let released_now = send(&sim, &token, to("pages/secret/secret", None)).await;

    assert_eq!(unreleased.errcode(), 41030);
    assert_eq!(leading_slash.errcode(), 41030);
    assert_eq!(with_query.errcode(), 0);
    assert_eq!(in_trial.errcode(), 0);
    assert_eq!(bad_state.errcode(), 40097);
    assert_eq!(released_now.errcode(), 0);
}

#[tokio::test]
async fn every_send_is_logged_in_full_and_needs_a_token() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;
    grant(&sim, &openid, ORDER, 1).await;

    let no_token = sim.post("/cgi-bin/message/subscribe/send", &[], &order(&openid)).await;
    let empty_body = sim.post_raw(&format!("/cgi-bin/message/subscribe/send?access_token={token}"), "").await;
    send(&sim, &token, order(&openid)).await;
    let calls = sim.calls("/cgi-bin/message/subscribe/send").await;

    assert_eq!(no_token.errcode(), 41001);
    assert_eq!(empty_body.errcode(), 44002);
    assert_eq!(calls.len(), 3);
    let last = &calls[2];
    assert_eq!(last["errcode"], 0);
    assert_eq!(last["body"], order(&openid));
    assert_eq!(last["appid"], APPID);
}

#[tokio::test]
async fn templates_set_by_the_hook_are_listed_and_enforced() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let (_, openid) = sim.login_code().await;

    let set = sim
        .control(
            "/_sim/templates",
            json!({"replace": true, "templates": [{
                "priTmplId": "Custom01", "title": "排队提醒",
                "content": "排队号码:{{character_string1.DATA}}\n状态:{{enum2.DATA}}\n",
                "keywordEnumValueList": [{"keywordCode": "enum2", "enumValueList": ["即将到号", "已过号"]}]}]}),
        )
        .await;
    let listed = sim.get("/wxaapi/newtmpl/gettemplate", &[("access_token", token.as_str())]).await.json();
    grant(&sim, &openid, "Custom01", 1).await;
    let old = send(&sim, &token, order(&openid)).await;
    let ok = send(
        &sim,
        &token,
        json!({"touser": openid, "template_id": "Custom01",
               "data": {"character_string1": {"value": "A-017"}, "enum2": {"value": "即将到号"}}}),
    )
    .await;

    assert_eq!(set["templates"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"].as_array().unwrap().len(), 1);
    assert_eq!(listed["data"][0]["example"], "排队号码:A1-0001\n状态:即将到号\n");
    assert_eq!(listed["data"][0]["keywordEnumValueList"][0]["keywordCode"], "enum2");
    assert_eq!(old.errcode(), 40037);
    assert_eq!(ok.errcode(), 0);
}

#[tokio::test]
async fn the_hooks_refuse_what_cannot_be() {
    let sim = spawn_sim().await;

    let unknown_template = sim.post("/_sim/subscriptions", &[], &json!({"openid": "oUser", "template_id": "Nope"})).await;
    let no_keywords =
        sim.post("/_sim/templates", &[], &json!({"templates": [{"priTmplId": "X", "title": "t", "content": "no keys"}]})).await;
    let bad_type = sim
        .post(
            "/_sim/templates",
            &[],
            &json!({"templates": [{"priTmplId": "X", "title": "t", "content": "{{thing1.DATA}}", "type": 1}]}),
        )
        .await;
    let created = grant(&sim, "oNewUserFromGrant", ORDER, 1).await;
    let user = sim.control_get("/_sim/users", &[("openid", "oNewUserFromGrant")]).await;

    assert_eq!(unknown_template.status, 400);
    assert_eq!(no_keywords.status, 400);
    assert_eq!(bad_type.status, 400);
    assert_eq!(created["remaining"], 1);
    assert_eq!(user["openid"], "oNewUserFromGrant");
}
