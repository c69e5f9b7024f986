//! End to end: the outbound routes for the business's servers — customer-service messages
//! (text, image by media_id or uploaded in the same call, link, mini-program card), typing,
//! media upload, templates, subscribe messages, analytics and text checks — against the
//! simulator: what WeChat receives, how its refusals map, the one stale-token retry, and the
//! requests refused before WeChat is called at all.

mod common;

use common::*;
use serde_json::{json, Value};
use std::time::{SystemTime, UNIX_EPOCH};
use wechat_edge::shared::date::{today_from_unix, Date};

const CUSTOM_SEND: &str = "/cgi-bin/message/custom/send";
const TYPING: &str = "/cgi-bin/message/custom/typing";
const MEDIA_UPLOAD: &str = "/cgi-bin/media/upload";
const SUBSCRIBE_SEND: &str = "/cgi-bin/message/subscribe/send";
const GET_TEMPLATE: &str = "/wxaapi/newtmpl/gettemplate";
const SEC_CHECK: &str = "/wxa/msg_sec_check";
const DAILY_VISIT_TREND: &str = "/datacube/getweanalysisappiddailyvisittrend";
const STABLE_TOKEN: &str = "/cgi-bin/stable_token";

/// The simulator's default one-time template "订单发货提醒" (thing1, character_string2,
/// time3, amount4).
const ORDER_SHIPPED: &str = "SimOrderShipped0000000000000000000000000001";

/// A user of `appid` who just wrote to the mini program: the window allows 5 sends in 48 h.
async fn user_who_wrote(app: &TestApp, appid: &str) -> String {
    let (_, openid) = app.login_code(appid, None).await;
    let v = app.sim_post("/_sim/user_action", &json!({ "appid": appid, "openid": openid, "kind": "message" })).await;
    assert_eq!(v["cs_window"]["remaining"], 5, "{v}");
    openid
}

fn text_to(openid: &str, content: &str) -> Value {
    json!({ "touser": openid, "msgtype": "text", "text": { "content": content } })
}

/// A real (tiny) JPEG.
fn jpeg() -> Vec<u8> {
    let img = image::RgbImage::from_pixel(16, 16, image::Rgb([200, 30, 30]));
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Jpeg).expect("encode a JPEG");
    out.into_inner()
}

/// A `multipart/form-data` body built by hand (reqwest's multipart feature is not enabled):
/// text `fields`, then an optional file part `(field, filename, bytes)` as image/jpeg.
fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "e2e-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes(),
        );
    }
    if let Some((name, filename, bytes)) = file {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn internal_multipart(
    app: &TestApp,
    path: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, &str, &[u8])>,
) -> (u16, Value) {
    let (content_type, body) = multipart(fields, file);
    let r = app
        .client
        .post(app.url(path))
        .bearer_auth(INTERNAL_KEY)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    read(r).await
}

/// Asserts a 400 whose message names `field`; returns the error code.
fn assert_400_naming(status: u16, body: &Value, field: &str, what: &str) -> String {
    assert_eq!(status, 400, "{what}: {body}");
    let code = error_code(body);
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(field), "{what}: the message should name `{field}`: {body}");
    assert!(body["error"].get("wechat_errcode").is_none(), "{what}: refused before WeChat: {body}");
    code
}

/// Valid data for [`ORDER_SHIPPED`].
fn order_data() -> Value {
    json!({
        "thing1": { "value": "无线键盘" },
        "character_string2": { "value": "SF1234567890" },
        "time3": { "value": "2024年5月1日 15:01" },
        "amount4": { "value": "¥199.00" },
    })
}

/// Every WeChat call the simulator logged (control calls are not logged).
async fn all_wechat_calls(app: &TestApp) -> Vec<Value> {
    app.sim_get("/_sim/log").await["calls"].as_array().cloned().unwrap_or_default()
}

/// `yyyymmdd` of the calendar day `days` after 1970-01-01.
fn yyyymmdd(days: i64) -> String {
    Date::from_days(days).to_string()
}

/// Today's day number in Beijing (UTC+8), where WeChat's days turn.
fn beijing_today() -> i64 {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs();
    let (y, m, d) = today_from_unix(now);
    Date::new(y, m, d).map(Date::days).expect("today is a date")
}

// ---- each capability, end to end ----

#[tokio::test]
async fn text_link_and_mini_program_card_reach_a_user_who_just_wrote_in_wechats_shape() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;
    let link = json!({ "title": "Happy Day", "description": "Is Really A Happy Day", "url": "https://example.com/a?b=1", "thumb_url": "https://example.com/t.jpg" });
    let card = json!({ "title": "订单详情", "pagepath": "pages/order/detail?id=42", "thumb_media_id": "THUMB_MEDIA_ID" });
    let messages = [
        text_to(&openid, "你好 <a href=\"https://example.com\" data-miniprogram-appid=\"wx0000000000000001\" data-miniprogram-path=\"pages/index/index\">看看</a>\n再见"),
        json!({ "touser": openid, "msgtype": "link", "link": link }),
        json!({ "touser": openid, "msgtype": "miniprogrampage", "miniprogrampage": card }),
    ];

    for message in &messages {
        let (status, body) = app.internal_post("/internal/messages/custom", message).await;
        assert_eq!(status, 200, "{message}: {body}");
        assert_eq!(body, json!({ "sent": true, "msgtype": message["msgtype"] }));
    }

    let calls = app.sim_calls(CUSTOM_SEND).await;
    assert_eq!(calls.len(), 3);
    for (call, message) in calls.iter().zip(&messages) {
        assert_eq!(call["errcode"], 0, "{call}");
        assert_eq!(&call["body"], message, "WeChat gets exactly the message");
        assert_eq!(call["appid"], APPID);
    }
    let user = app.sim_get(&format!("/_sim/users?openid={openid}")).await;
    assert_eq!(user["cs_window"]["remaining"], 2, "three of the five sends used: {user}");

    // `appid` in the body picks the app; it is not part of what WeChat receives.
    let other = user_who_wrote(&app, APPID_B).await;
    let mut for_b = text_to(&other, "hello from app B");
    for_b["appid"] = json!(APPID_B);
    let (status, body) = app.internal_post("/internal/messages/custom", &for_b).await;
    assert_eq!(status, 200, "{body}");
    let last = app.sim_calls(CUSTOM_SEND).await.pop().unwrap();
    assert_eq!(last["appid"], APPID_B);
    assert_eq!(last["body"], text_to(&other, "hello from app B"));
}

#[tokio::test]
async fn an_image_is_sent_by_the_media_id_of_an_upload_or_uploaded_and_sent_in_one_call() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;
    let image = jpeg();

    let (status, uploaded) = internal_multipart(&app, "/internal/media/upload", &[], Some(("media", "photo.jpg", &image))).await;
    assert_eq!(status, 200, "{uploaded}");
    assert_eq!(uploaded["type"], "image");
    let media_id = uploaded["media_id"].as_str().expect("a media_id").to_owned();
    assert!(uploaded["created_at"].as_i64().is_some(), "{uploaded}");
    let stored = app.sim_get(&format!("/_sim/media?appid={APPID}")).await;
    assert_eq!(stored["media"][0]["media_id"], media_id.as_str());
    assert_eq!(stored["media"][0]["size"], image.len(), "the file arrived whole: {stored}");
    assert_eq!(stored["media"][0]["filename"], "photo.jpg");
    assert_eq!(stored["media"][0]["content_type"], "image/jpeg");
    assert_eq!(app.sim_calls(MEDIA_UPLOAD).await[0]["query"]["type"], "image");

    let by_id = json!({ "touser": openid, "msgtype": "image", "image": { "media_id": media_id } });
    let (status, body) = app.internal_post("/internal/messages/custom", &by_id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["msgtype"], "image");

    let (status, body) =
        internal_multipart(&app, "/internal/messages/custom", &[("touser", &openid)], Some(("media", "again.jpg", &image))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "sent": true, "msgtype": "image" }));

    let uploads = app.sim_get(&format!("/_sim/media?appid={APPID}")).await["media"].as_array().cloned().unwrap();
    assert_eq!(uploads.len(), 2, "one upload per call: {uploads:?}");
    let second = uploads.iter().find(|m| m["filename"] == "again.jpg").expect("the second upload");
    let sends = app.sim_calls(CUSTOM_SEND).await;
    assert_eq!(sends.len(), 2);
    assert_eq!(sends[0]["body"], by_id);
    assert_eq!(sends[1]["body"], json!({ "touser": openid, "msgtype": "image", "image": { "media_id": second["media_id"] } }));
    assert!(sends.iter().all(|c| c["errcode"] == 0), "WeChat accepted both media ids: {sends:?}");
}

#[tokio::test]
async fn typing_is_shown_and_cancelled_for_a_user_who_just_wrote() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;

    for command in ["Typing", "CancelTyping"] {
        let r = app
            .client
            .post(app.url("/internal/messages/typing"))
            .bearer_auth(INTERNAL_KEY)
            .json(&json!({ "touser": openid, "command": command }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 204, "{command}: {}", r.text().await.unwrap_or_default());
    }

    let calls = app.sim_calls(TYPING).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["body"], json!({ "touser": openid, "command": "Typing" }));
    assert_eq!(calls[1]["body"], json!({ "touser": openid, "command": "CancelTyping" }));
    assert!(calls.iter().all(|c| c["errcode"] == 0), "{calls:?}");
}

#[tokio::test]
async fn the_templates_are_listed_from_wechat_and_then_served_from_the_cache() {
    let app = spawn_app().await;

    let (status, body) = app.internal_get("/internal/templates").await;
    assert_eq!(status, 200, "{body}");
    let templates = body["templates"].as_array().expect("a list");
    let order = templates.iter().find(|t| t["priTmplId"] == ORDER_SHIPPED).expect("the default template");
    assert_eq!(order["title"], "订单发货提醒");
    assert!(order["content"].as_str().unwrap().contains("{{amount4.DATA}}"), "{order}");
    assert_eq!(order["type"], 2);
    let booking = templates.iter().find(|t| t["title"] == "预约结果通知").expect("the second default template");
    assert_eq!(booking["keywordEnumValueList"][0]["keywordCode"], "enum3");

    let (status, again) = app.internal_get("/internal/templates").await;
    assert_eq!(status, 200);
    assert_eq!(again, body);
    assert_eq!(app.sim_calls(GET_TEMPLATE).await.len(), 1, "the second list came from the cache");

    let (status, b) = app.internal_get(&format!("/internal/templates?appid={APPID_B}")).await;
    assert_eq!(status, 200, "{b}");
    let calls = app.sim_calls(GET_TEMPLATE).await;
    assert_eq!(calls.len(), 2, "each app has its own list");
    assert_eq!(calls[1]["appid"], APPID_B);
}

#[tokio::test]
async fn a_subscribe_message_with_a_grant_is_sent_and_uses_the_grant_up() {
    let app = spawn_app().await;
    let (_, openid) = app.login_code(APPID, None).await;
    let grant = app.sim_post("/_sim/subscriptions", &json!({ "openid": openid, "template_id": ORDER_SHIPPED })).await;
    assert_eq!(grant["remaining"], 1);
    let message = json!({
        "touser": openid, "template_id": ORDER_SHIPPED, "page": "pages/order/detail?id=42",
        "data": order_data(), "miniprogram_state": "trial", "lang": "en_US",
    });

    let (status, body) = app.internal_post("/internal/messages/subscribe", &message).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "sent": true }));
    let calls = app.sim_calls(SUBSCRIBE_SEND).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["errcode"], 0);
    assert_eq!(calls[0]["body"], message, "WeChat gets exactly the message");
    let left = app.sim_get(&format!("/_sim/subscriptions?openid={openid}")).await;
    assert_eq!(left["subscriptions"][0]["remaining"], 0, "the one-time grant is used up: {left}");

    // The same message again: the grant is gone.
    let (status, body) = app.internal_post("/internal/messages/subscribe", &message).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "user_not_subscribed");
    assert_eq!(body["error"]["wechat_errcode"], 43101);
}

#[tokio::test]
async fn the_daily_visit_trend_for_yesterday_in_beijing_is_wechats_list() {
    let app = spawn_app().await;
    let yesterday = yyyymmdd(beijing_today() - 1);
    let range = json!({ "begin_date": yesterday, "end_date": yesterday });

    let (status, body) = app.internal_post("/internal/analytics/daily-visit-trend", &range).await;

    assert_eq!(status, 200, "{body}");
    let list = body["list"].as_array().expect("WeChat's list");
    assert_eq!(list.len(), 1, "{body}");
    assert_eq!(list[0]["ref_date"], yesterday.as_str());
    for field in ["session_cnt", "visit_pv", "visit_uv", "visit_uv_new"] {
        assert!(list[0][field].as_u64().is_some(), "{field}: {body}");
    }
    for field in ["stay_time_uv", "stay_time_session", "visit_depth"] {
        assert!(list[0][field].as_f64().is_some(), "{field}: {body}");
    }
    assert!(body.get("errcode").is_none(), "{body}");

    // WeChat's own name reaches the same report, with the same numbers.
    let (status, same) = app.internal_post("/internal/analytics/getweanalysisappiddailyvisittrend", &range).await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(same, body);
    let calls = app.sim_calls(DAILY_VISIT_TREND).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["body"], range);
    assert_eq!(calls[0]["errcode"], 0);
}

#[tokio::test]
async fn a_text_check_passes_clean_text_and_flags_a_risky_word() {
    let app = spawn_app().await;
    let (_, openid) = app.login_code(APPID, None).await;

    let (status, clean) =
        app.internal_post("/internal/security/text", &json!({ "content": "今天天气不错", "openid": openid, "scene": 2 })).await;
    assert_eq!(status, 200, "{clean}");
    assert_eq!(clean["result"], json!({ "suggest": "pass", "label": 100 }));
    assert!(clean["trace_id"].as_str().is_some_and(|t| !t.is_empty()), "{clean}");
    assert!(clean["detail"].as_array().is_some_and(|d| !d.is_empty()), "{clean}");

    let (status, risky) =
        app.internal_post("/internal/security/text", &json!({ "content": "这里有违禁词", "openid": openid, "scene": 3 })).await;
    assert_eq!(status, 200, "a risky verdict is an answer, not an error: {risky}");
    assert_eq!(risky["result"], json!({ "suggest": "risky", "label": 20001 }));
    let keyword = risky["detail"].as_array().unwrap().iter().find(|d| d["strategy"] == "keyword").cloned().unwrap_or_default();
    assert_eq!(keyword["keyword"], "违禁词", "{risky}");

    let calls = app.sim_calls(SEC_CHECK).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["body"], json!({ "content": "今天天气不错", "version": 2, "scene": 2, "openid": openid }));
}

// ---- WeChat's refusals, mapped ----

#[tokio::test]
async fn custom_sends_wechat_refuses_map_to_statuses_the_caller_can_act_on() {
    let app = spawn_app().await;

    // 45015: the user exists but never wrote.
    let (_, silent) = app.login_code(APPID, None).await;
    let (status, body) = app.internal_post("/internal/messages/custom", &text_to(&silent, "hi")).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "outside_service_window");
    assert_eq!(body["error"]["wechat_errcode"], 45015);

    // 40003: a well-formed openid WeChat does not know for this app.
    let stranger = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";
    let (status, body) = app.internal_post("/internal/messages/custom", &text_to(stranger, "hi")).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "invalid_openid");
    assert_eq!(body["error"]["wechat_errcode"], 40003);

    // 45047: one message from the user allows five sends; the sixth is refused.
    let openid = user_who_wrote(&app, APPID).await;
    for n in 1..=5 {
        let (status, body) = app.internal_post("/internal/messages/custom", &text_to(&openid, &format!("message {n}"))).await;
        assert_eq!(status, 200, "send {n}: {body}");
    }
    let (status, body) = app.internal_post("/internal/messages/custom", &text_to(&openid, "message 6")).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(error_code(&body), "send_quota_exhausted");
    assert_eq!(body["error"]["wechat_errcode"], 45047);

    let codes: Vec<Value> = app.sim_calls(CUSTOM_SEND).await.iter().map(|c| c["errcode"].clone()).collect();
    assert_eq!(codes, [45015, 40003, 0, 0, 0, 0, 0, 45047].map(|c| json!(c)), "one WeChat call per send, none retried");
}

#[tokio::test]
async fn text_over_2048_bytes_never_reaches_wechat_and_wechats_own_45002_is_a_413() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;

    for (what, content) in [("2049 ASCII bytes", "a".repeat(2049)), ("683 Chinese characters (2049 bytes)", "微".repeat(683))] {
        let (status, body) = app.internal_post("/internal/messages/custom", &text_to(&openid, &content)).await;
        assert_400_naming(status, &body, "text.content", what);
    }
    assert!(app.sim_calls(CUSTOM_SEND).await.is_empty(), "the simulator saw no send");

    // Exactly 2048 bytes is allowed, and WeChat takes it.
    let (status, body) = app.internal_post("/internal/messages/custom", &text_to(&openid, &"a".repeat(2048))).await;
    assert_eq!(status, 200, "{body}");

    // Should WeChat still find a message too long, its 45002 is a 413.
    app.sim_fault(json!({ "path": CUSTOM_SEND, "errcode": 45002 })).await;
    let (status, body) = app.internal_post("/internal/messages/custom", &text_to(&openid, "short enough for us")).await;
    assert_eq!(status, 413, "{body}");
    assert_eq!(error_code(&body), "content_too_long");
    assert_eq!(body["error"]["wechat_errcode"], 45002);
    assert_eq!(app.sim_calls(CUSTOM_SEND).await.len(), 2);
}

#[tokio::test]
async fn subscribe_refusals_say_whether_the_grant_or_the_data_is_at_fault() {
    let app = spawn_app().await;
    let (_, openid) = app.login_code(APPID, None).await;
    let message = json!({ "touser": openid, "template_id": ORDER_SHIPPED, "data": order_data() });

    // 43101: the user never accepted the template.
    let (status, body) = app.internal_post("/internal/messages/subscribe", &message).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(error_code(&body), "user_not_subscribed");
    assert_eq!(body["error"]["wechat_errcode"], 43101);

    // 47003: the template changed at WeChat after the worker cached its keywords (a new
    // `thing5`); the worker's own check passes, WeChat names the missing field.
    app.sim_post("/_sim/subscriptions", &json!({ "openid": openid, "template_id": ORDER_SHIPPED })).await;
    app.sim_post(
        "/_sim/templates",
        &json!({ "templates": [{
            "priTmplId": ORDER_SHIPPED, "title": "订单发货提醒",
            "content": "商品名称:{{thing1.DATA}}\n快递单号:{{character_string2.DATA}}\n发货时间:{{time3.DATA}}\n订单金额:{{amount4.DATA}}\n备注:{{thing5.DATA}}\n",
        }] }),
    )
    .await;
    let (status, body) = app.internal_post("/internal/messages/subscribe", &message).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(error_code(&body), "invalid_template_data");
    assert_eq!(body["error"]["wechat_errcode"], 47003);
    assert!(body["error"]["message"].as_str().unwrap().contains("data.thing5"), "names the field: {body}");
    assert!(!body["error"]["message"].as_str().unwrap().contains("rid:"), "WeChat's rid is dropped: {body}");

    let calls = app.sim_calls(SUBSCRIBE_SEND).await;
    assert_eq!(calls.iter().map(|c| c["errcode"].clone()).collect::<Vec<_>>(), [json!(43101), json!(47003)]);
    let left = app.sim_get(&format!("/_sim/subscriptions?openid={openid}")).await;
    assert_eq!(left["subscriptions"][0]["remaining"], 1, "a refused message leaves the grant: {left}");
}

// ---- the access token going stale mid-call ----

#[tokio::test]
async fn a_token_gone_stale_mid_call_is_refreshed_once_and_the_send_retried_once() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;
    let (status, _) = app.internal_get("/internal/token").await; // warm every cache
    assert_eq!(status, 200);
    assert_eq!(app.sim_calls(STABLE_TOKEN).await.len(), 1);

    app.sim_post("/_sim/tokens/invalidate", &json!({ "appid": APPID, "kind": "stable" })).await;
    let (status, body) = app.internal_post("/internal/messages/custom", &text_to(&openid, "after the refresh")).await;

    assert_eq!(status, 200, "{body}");
    assert_eq!(app.sim_calls(STABLE_TOKEN).await.len(), 2, "one refresh");
    let sends = app.sim_calls(CUSTOM_SEND).await;
    assert_eq!(sends.len(), 2, "one retry");
    assert_eq!(sends[0]["errcode"], 40001);
    assert_eq!(sends[1]["errcode"], 0);
    assert_ne!(sends[0]["query"]["access_token"], sends[1]["query"]["access_token"], "the retry carries the new token");
    assert_eq!(sends[1]["body"], text_to(&openid, "after the refresh"));
}

#[tokio::test]
async fn a_token_wechat_keeps_rejecting_fails_with_a_clear_502_after_a_single_retry() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;
    app.sim_fault(json!({ "path": CUSTOM_SEND, "errcode": 40001, "times": 0 })).await;

    let (status, body) = app.internal_post("/internal/messages/custom", &text_to(&openid, "never delivered")).await;

    assert_eq!(status, 502, "{body}");
    assert_eq!(error_code(&body), "access_token_rejected");
    assert_eq!(body["error"]["wechat_errcode"], 40001);
    assert_eq!(app.sim_calls(CUSTOM_SEND).await.len(), 2, "the first try and one retry, never more");
    let token_calls = app.sim_calls(STABLE_TOKEN).await.len();
    assert!((1..=2).contains(&token_calls), "at most the first fetch and one refresh: {token_calls}");
}

// ---- malformed requests: 400 before any WeChat call ----

#[tokio::test]
async fn malformed_custom_typing_and_upload_requests_are_400s_that_never_reach_wechat() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;
    let link = |url: &str| json!({ "touser": openid, "msgtype": "link", "link": { "title": "t", "description": "d", "url": url, "thumb_url": "https://x.com/t.jpg" } });
    let custom = [
        (json!({ "msgtype": "text", "text": { "content": "hi" } }), "touser", "missing touser"),
        (text_to("not an openid!", "hi"), "touser", "a touser that is no openid"),
        (json!({ "touser": openid, "text": { "content": "hi" } }), "msgtype", "missing msgtype"),
        (json!({ "touser": openid, "msgtype": "news", "news": {} }), "msgtype", "an unknown msgtype"),
        (json!({ "touser": openid, "msgtype": "text", "text": {} }), "text.content", "missing content"),
        (json!({ "touser": openid, "msgtype": "text", "text": { "content": "" } }), "text.content", "empty content"),
        (json!({ "touser": openid, "msgtype": "text", "content": "shorthand" }), "text", "content outside the text object"),
        (json!({ "touser": openid, "msgtype": "image", "image": {} }), "image.media_id", "an image without media_id"),
        (link("ftp://example.com/a"), "link.url", "a link that is not http(s)"),
        (
            json!({ "touser": openid, "msgtype": "miniprogrampage", "miniprogrampage": { "title": "t", "pagepath": "pages/a b", "thumb_media_id": "T" } }),
            "miniprogrampage.pagepath",
            "a page path with a space",
        ),
    ];
    for (body, field, what) in &custom {
        let (status, resp) = app.internal_post("/internal/messages/custom", body).await;
        assert_400_naming(status, &resp, field, what);
    }
    let r = app
        .client
        .post(app.url("/internal/messages/custom"))
        .bearer_auth(INTERNAL_KEY)
        .header("Content-Type", "application/json")
        .body("not json")
        .send()
        .await
        .unwrap();
    let (status, resp) = read(r).await;
    assert_eq!(status, 400, "{resp}");
    error_code(&resp);

    for (body, field, what) in [
        (json!({ "touser": openid }), "command", "missing command"),
        (json!({ "touser": openid, "command": "typing" }), "command", "a command in the wrong case"),
        (json!({ "command": "Typing" }), "touser", "missing touser"),
    ] {
        let (status, resp) = app.internal_post("/internal/messages/typing", &body).await;
        assert_400_naming(status, &resp, field, what);
    }

    let image = jpeg();
    let file = Some(("media", "a.jpg", image.as_slice()));
    let (status, resp) = internal_multipart(&app, "/internal/messages/custom", &[], file).await;
    assert_400_naming(status, &resp, "touser", "a multipart send without touser");
    let (status, resp) =
        internal_multipart(&app, "/internal/messages/custom", &[("touser", &openid), ("msgtype", "text")], file).await;
    assert_400_naming(status, &resp, "msgtype", "a multipart text message");
    let (status, resp) = internal_multipart(&app, "/internal/messages/custom", &[("touser", &openid)], None).await;
    assert_400_naming(status, &resp, "media", "a multipart send without a file");
    let (status, resp) =
        internal_multipart(&app, "/internal/messages/custom", &[("touser", &openid), ("media", "not a file")], None).await;
    assert_400_naming(status, &resp, "media", "media as a text field");
    let (status, resp) = internal_multipart(&app, "/internal/media/upload", &[], None).await;
    assert_400_naming(status, &resp, "media", "an upload without a file");
    let (status, resp) = app.internal_post("/internal/media/upload", &json!({ "media": "x" })).await;
    assert_eq!(status, 400, "an upload that is not multipart: {resp}");
    assert_eq!(error_code(&resp), "invalid_multipart");

    for path in [CUSTOM_SEND, TYPING, MEDIA_UPLOAD] {
        assert!(app.sim_calls(path).await.is_empty(), "the simulator saw no call to {path}");
    }
}

#[tokio::test]
async fn subscribe_data_breaking_the_value_rules_is_refused_before_wechat() {
    let app = spawn_app().await;
    let (_, openid) = app.login_code(APPID, None).await;
    app.sim_post("/_sim/subscriptions", &json!({ "openid": openid, "template_id": ORDER_SHIPPED })).await;
    let with_data = |change: &dyn Fn(&mut Value)| {
        let mut data = order_data();
        change(&mut data);
        json!({ "touser": openid, "template_id": ORDER_SHIPPED, "data": data })
    };
    let cases = [
        (
            with_data(&|d| d["thing1"]["value"] = json!("一二三四五六七八九十一二三四五六七八九十一")),
            "data.thing1.value",
            "thing over 20 characters",
        ),
        (with_data(&|d| d["amount4"]["value"] = json!("199.00")), "data.amount4.value", "amount without a currency"),
        (with_data(&|d| d["time3"]["value"] = json!("25:61")), "data.time3.value", "no time of day"),
        (with_data(&|d| d["thing1"]["value"] = json!("第一行\n第二行")), "data.thing1.value", "a line break"),
        (
            with_data(&|d| {
                d.as_object_mut().unwrap().remove("amount4");
            }),
            "data.amount4",
            "a keyword of the template left out",
        ),
        (with_data(&|d| d["thing9"] = json!({ "value": "多余" })), "data.thing9", "a keyword the template lacks"),
    ];
    for (body, field, what) in &cases {
        let (status, resp) = app.internal_post("/internal/messages/subscribe", body).await;
        let code = assert_400_naming(status, &resp, field, what);
        assert_eq!(code, "invalid_template_data", "{what}: {resp}");
    }
    let shape = [
        (json!({ "touser": openid, "template_id": ORDER_SHIPPED }), "data", "missing data"),
        (json!({ "touser": openid, "data": order_data() }), "template_id", "missing template_id"),
        (json!({ "template_id": ORDER_SHIPPED, "data": order_data() }), "touser", "missing touser"),
        (
            json!({ "touser": openid, "template_id": ORDER_SHIPPED, "data": order_data(), "page": "/pages/index/index" }),
            "page",
            "a page with a leading /",
        ),
        (
            json!({ "touser": openid, "template_id": ORDER_SHIPPED, "data": order_data(), "miniprogram_state": "beta" }),
            "miniprogram_state",
            "an unknown state",
        ),
        (
            json!({ "touser": openid, "template_id": ORDER_SHIPPED, "data": order_data(), "lang": "fr_FR" }),
            "lang",
            "an unknown language",
        ),
    ];
    for (body, field, what) in &shape {
        let (status, resp) = app.internal_post("/internal/messages/subscribe", body).await;
        assert_400_naming(status, &resp, field, what);
    }
    let (status, resp) = app
        .internal_post(
            "/internal/messages/subscribe",
            &json!({ "touser": openid, "template_id": "NotOneOfThisAppsTemplates", "data": order_data() }),
        )
        .await;
    assert_400_naming(status, &resp, "template_id", "a template the app does not have");
    assert_eq!(error_code(&resp), "invalid_template_id");

    assert!(app.sim_calls(SUBSCRIBE_SEND).await.is_empty(), "the simulator saw no send");
    let left = app.sim_get(&format!("/_sim/subscriptions?openid={openid}")).await;
    assert_eq!(left["subscriptions"][0]["remaining"], 1, "the grant is untouched: {left}");
}

#[tokio::test]
async fn analytics_ranges_and_text_checks_wechat_would_refuse_never_reach_it() {
    let app = spawn_app().await;
    let (_, openid) = app.login_code(APPID, None).await;
    let today = beijing_today();
    let (today_s, yesterday, before) = (yyyymmdd(today), yyyymmdd(today - 1), yyyymmdd(today - 2));
    let range = |b: &str, e: &str| json!({ "begin_date": b, "end_date": e });

    let cases = [
        ("daily-visit-trend", range(&today_s, &today_s), "invalid_date_range", "end_date", "today is not over"),
        ("daily-visit-trend", range(&before, &yesterday), "invalid_date_range", "one day", "two days for a day report"),
        ("daily-visit-trend", range(&yesterday, &before), "invalid_date_range", "after", "begin after end"),
        ("weekly-visit-trend", range(&yesterday, &yesterday), "invalid_date_range", "week", "one day for a week report"),
        ("user-portrait", range(&before, &before), "invalid_date_range", "yesterday", "a portrait not ending yesterday"),
        ("daily-visit-trend", range("2024-01-01", "20240101"), "invalid_field", "begin_date", "a date with dashes"),
        ("daily-visit-trend", range("20230101", "20230230"), "invalid_field", "end_date", "30 February"),
        ("daily-visit-trend", json!({ "begin_date": yesterday }), "invalid_field", "end_date", "no end_date"),
    ];
    for (report, body, code, mention, what) in &cases {
        let (status, resp) = app.internal_post(&format!("/internal/analytics/{report}"), body).await;
        assert_eq!(status, 400, "{what}: {resp}");
        assert_eq!(error_code(&resp), *code, "{what}: {resp}");
        assert!(resp["error"]["message"].as_str().unwrap().contains(mention), "{what}: {resp}");
    }
    let (status, resp) =
        app.internal_post("/internal/analytics/getweanalysisappidsomethingelse", &range(&yesterday, &yesterday)).await;
    assert_eq!(status, 404, "an unknown report: {resp}");

    let checks = [
        (json!({ "content": "hello", "openid": openid, "scene": 9 }), "scene", "scene 9"),
        (json!({ "content": "hello", "openid": openid }), "scene", "no scene"),
        (json!({ "content": "hello", "openid": openid, "scene": "2" }), "scene", "scene as a string"),
        (json!({ "content": "", "openid": openid, "scene": 2 }), "content", "empty content"),
        (json!({ "content": "字".repeat(2501), "openid": openid, "scene": 2 }), "content", "2501 characters"),
        (json!({ "content": "hello", "scene": 2 }), "openid", "no openid"),
        (
            json!({ "content": "hello", "openid": openid, "scene": 2, "signature": "s" }),
            "signature",
            "a signature outside scene 1",
        ),
    ];
    for (body, field, what) in &checks {
        let (status, resp) = app.internal_post("/internal/security/text", body).await;
        assert_400_naming(status, &resp, field, what);
    }

    let calls = all_wechat_calls(&app).await;
    assert!(
        calls.iter().all(|c| !c["path"].as_str().unwrap_or_default().starts_with("/datacube/") && c["path"] != SEC_CHECK),
        "no datacube or msg_sec_check call: {calls:?}"
    );
}

#[tokio::test]
async fn a_missing_or_wrong_key_is_a_401_and_nothing_reaches_wechat() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;
    let yesterday = yyyymmdd(beijing_today() - 1);
    let posts = [
        ("/internal/messages/custom", text_to(&openid, "hi")),
        ("/internal/messages/typing", json!({ "touser": openid, "command": "Typing" })),
        ("/internal/messages/subscribe", json!({ "touser": openid, "template_id": ORDER_SHIPPED, "data": order_data() })),
        ("/internal/analytics/daily-visit-trend", json!({ "begin_date": yesterday, "end_date": yesterday })),
        ("/internal/security/text", json!({ "content": "hello", "openid": openid, "scene": 2 })),
    ];
    let image = jpeg();
    let (multipart_type, multipart_body) = multipart(&[("touser", &openid)], Some(("media", "a.jpg", &image)));

    let longer = format!("{INTERNAL_KEY}x");
    for key in [None, Some("wrong-key"), Some(longer.as_str()), Some("")] {
        let with_key = |r: reqwest::RequestBuilder| match key {
            Some(k) => r.bearer_auth(k),
            None => r,
        };
        let mut answers = Vec::new();
        for (path, body) in &posts {
            answers
                .push((path.to_string(), read(with_key(app.client.post(app.url(path))).json(body).send().await.unwrap()).await));
        }
        for path in ["/internal/messages/custom", "/internal/media/upload"] {
            let r = with_key(app.client.post(app.url(path))).header("Content-Type", &multipart_type).body(multipart_body.clone());
            answers.push((format!("{path} (multipart)"), read(r.send().await.unwrap()).await));
        }
        answers.push((
            "/internal/templates".into(),
            read(with_key(app.client.get(app.url("/internal/templates"))).send().await.unwrap()).await,
        ));
        for (path, (status, body)) in answers {
            assert_eq!(status, 401, "{path} with key {key:?}: {body}");
            assert_eq!(error_code(&body), "unauthorized", "{path}");
        }
    }

    assert_eq!(all_wechat_calls(&app).await, Vec::<Value>::new(), "the simulator saw no WeChat call at all");
}

#[tokio::test]
async fn a_card_is_uploaded_and_sent_in_one_multipart_call_and_media_and_typing_refusals_are_4xx() {
    let app = spawn_app().await;
    let openid = user_who_wrote(&app, APPID).await;
    let image = jpeg();

    let fields = [
        ("touser", openid.as_str()),
        ("msgtype", "miniprogrampage"),
        ("title", "新品上架"),
        ("pagepath", "pages/detail/detail?id=3"),
    ];
    let (status, body) =
        internal_multipart(&app, "/internal/messages/custom", &fields, Some(("media", "cover.jpg", &image))).await;
    assert_eq!(status, 200, "{body}");
    let sends = app.sim_calls("/cgi-bin/message/custom/send").await;
    let card = &sends.last().expect("a send")["body"]["miniprogrampage"];
    assert_eq!(card["title"], "新品上架");
    let uploaded = app.sim_calls("/cgi-bin/media/upload").await;
    assert_eq!(uploaded.len(), 1);

    let unknown = json!({ "touser": openid, "msgtype": "image", "image": { "media_id": "no-such-media" } });
    let (status, body) = app.internal_post("/internal/messages/custom", &unknown).await;
    assert_eq!((status, error_code(&body).as_str()), (400, "invalid_media_id"), "{body}");
    assert_eq!(body["error"]["wechat_errcode"], 40007);

    let stranger = user_who_wrote(&app, APPID).await;
    app.sim_post("/_sim/clock/advance", &json!({ "seconds": 31 })).await;
    let (status, body) =
        app.internal_post("/internal/messages/typing", &json!({ "touser": stranger, "command": "Typing" })).await;
    assert_eq!((status, body["error"]["wechat_errcode"].as_i64()), (409, Some(45080)), "{body}");
}
