//! Unit tests of `outbound/custom.rs`.

use super::*;
use serde_json::json;

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

fn body(v: Value) -> Body {
    v.as_object().cloned().unwrap_or_default()
}

fn parse(v: Value) -> Result<CustomMessage, ApiError> {
    CustomMessage::parse(&body(v))
}

#[test]
fn a_text_message_keeps_wechats_shape() {
    let msg = parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": "Hello World"}, "appid": "wx1"})).unwrap();
    assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "msgtype": "text", "text": {"content": "Hello World"}}));
    assert_eq!(msg.msgtype(), "text");
    assert_eq!(msg.touser(), OPENID);
}

#[test]
fn text_may_carry_a_mini_program_link_and_newlines() {
    let content =
        "see <a href=\"https://x\" data-miniprogram-appid=\"wx1\" data-miniprogram-path=\"pages/index/index\">here</a>\nbye";
    assert!(parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": content}})).is_ok());
}

#[test]
fn text_is_limited_to_2048_bytes_not_characters() {
    let fits = "a".repeat(2048);
    let too_long = "a".repeat(2049);
    let chinese = "微".repeat(683); // 2049 bytes
    assert!(parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": fits}})).is_ok());
    for c in [too_long, chinese] {
        let e = parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": c}})).unwrap_err();
        assert_eq!((e.status, e.code.as_ref()), (400, "invalid_field"));
        assert!(e.message.starts_with("`text.content` is longer than 2048 bytes"), "{}", e.message);
    }
}

#[test]
fn text_needs_its_object_and_content() {
    let e = parse(json!({"touser": OPENID, "msgtype": "text"})).unwrap_err();
    assert_eq!(e.message, "`text` is required");
    let e = parse(json!({"touser": OPENID, "msgtype": "text", "content": "shorthand"})).unwrap_err();
    assert_eq!(e.message, "`text` is required");
    let e = parse(json!({"touser": OPENID, "msgtype": "text", "text": "hi"})).unwrap_err();
    assert_eq!(e.message, "`text` must be an object");
    let e = parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": ""}})).unwrap_err();
    assert_eq!(e.message, "`text.content` must not be empty");
}

#[test]
fn touser_must_be_an_openid() {
    assert_eq!(parse(json!({"msgtype": "text", "text": {"content": "x"}})).unwrap_err().message, "`touser` is required");
    let e = parse(json!({"touser": "not an openid", "msgtype": "text", "text": {"content": "x"}})).unwrap_err();
    assert!(e.message.starts_with("`touser` must be an openid"));
}

#[test]
fn an_unknown_msgtype_lists_the_allowed_ones() {
    let e = parse(json!({"touser": OPENID, "msgtype": "news", "news": {}})).unwrap_err();
    assert_eq!(e.message, "`msgtype` must be one of text, image, link, miniprogrampage");
    assert_eq!(parse(json!({"touser": OPENID})).unwrap_err().message, "`msgtype` is required");
}

#[test]
fn an_image_needs_a_media_id_from_the_body_or_an_upload() {
    let msg = parse(json!({"touser": OPENID, "msgtype": "image", "image": {"media_id": "MEDIA_ID"}})).unwrap();
    assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "msgtype": "image", "image": {"media_id": "MEDIA_ID"}}));
    assert_eq!(parse(json!({"touser": OPENID, "msgtype": "image"})).unwrap_err().message, "`image` is required");
    let e = parse(json!({"touser": OPENID, "msgtype": "image", "image": {}})).unwrap_err();
    assert_eq!(e.message, "`image.media_id` is required");

    let uploaded =
        CustomMessage::parse_with_media(&body(json!({"touser": OPENID, "msgtype": "image"})), Some("UP".into())).unwrap();
    assert_eq!(uploaded.content(), &Content::Image { media_id: "UP".into() });
    let replaced = CustomMessage::parse_with_media(
        &body(json!({"touser": OPENID, "msgtype": "image", "image": {"media_id": "OLD"}})),
        Some("UP".into()),
    )
    .unwrap();
    assert_eq!(replaced.wechat_body()["image"]["media_id"], "UP");
}

#[test]
fn an_upload_with_a_text_message_is_refused() {
    let e = CustomMessage::parse_with_media(
        &body(json!({"touser": OPENID, "msgtype": "text", "text": {"content": "x"}})),
        Some("UP".into()),
    )
    .unwrap_err();
    assert!(e.message.starts_with("`msgtype` is text, which takes no uploaded image"));
    let e =
        CustomMessage::parse_with_media(&body(json!({"touser": OPENID, "msgtype": "image"})), Some("bad id".into())).unwrap_err();
    assert!(e.message.starts_with("`media_id`"));
}

#[test]
fn a_link_needs_all_four_fields_and_http_urls() {
    let link = json!({"title": "Happy Day", "description": "Is Really A Happy Day", "url": "https://example.com/a?b=1", "thumb_url": "http://example.com/t.jpg"});
    let msg = parse(json!({"touser": OPENID, "msgtype": "link", "link": link})).unwrap();
    assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "msgtype": "link", "link": link}));
    for (field, bad) in
        [("url", "ftp://example.com"), ("url", "https://"), ("thumb_url", "example.com/t.jpg"), ("url", "https://a b")]
    {
        let mut l = link.clone();
        l[field] = json!(bad);
        let e = parse(json!({"touser": OPENID, "msgtype": "link", "link": l})).unwrap_err();
        assert_eq!(e.message, format!("`link.{field}` must be an http:// or https:// URL"), "{bad}");
    }
    for field in ["title", "description", "url", "thumb_url"] {
        let mut l = link.clone();
        l.as_object_mut().unwrap().remove(field);
        let e = parse(json!({"touser": OPENID, "msgtype": "link", "link": l})).unwrap_err();
        assert_eq!(e.message, format!("`link.{field}` is required"));
    }
    assert!(parse(json!({"touser": OPENID, "msgtype": "link", "link": {"title": "t", "description": "d", "url": "HTTPS://X.COM", "thumb_url": "https://x/t.png"}})).is_ok());
}

#[test]
fn a_mini_program_card_keeps_its_page_query() {
    let card = json!({"title": "title", "pagepath": "pages/index/index?foo=bar", "thumb_media_id": "THUMB"});
    let msg = parse(json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": card})).unwrap();
    assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": card}));
    let e = parse(json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "pagepath": "p"}}))
        .unwrap_err();
    assert_eq!(e.message, "`miniprogrampage.thumb_media_id` is required");
    let e = parse(json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "pagepath": "a b", "thumb_media_id": "T"}}))
        .unwrap_err();
    assert!(e.message.starts_with("`miniprogrampage.pagepath`"));
    let uploaded = CustomMessage::parse_with_media(
        &body(json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "pagepath": "p"}})),
        Some("UP".into()),
    )
    .unwrap();
    assert_eq!(uploaded.wechat_body()["miniprogrampage"]["thumb_media_id"], "UP");
}

#[test]
fn typing_takes_exactly_two_commands() {
    let t = Typing::parse(&body(json!({"touser": OPENID, "command": "Typing"}))).unwrap();
    assert_eq!(t.wechat_body(), json!({"touser": OPENID, "command": "Typing"}));
    assert_eq!(t.command(), TypingCommand::Typing);
    let c = Typing::parse(&body(json!({"touser": OPENID, "command": "CancelTyping"}))).unwrap();
    assert_eq!(c.wechat_body()["command"], "CancelTyping");
    assert!(Typing::parse(&body(json!({"touser": OPENID, "command": "typing"}))).is_err());
    assert!(Typing::parse(&body(json!({"touser": OPENID}))).unwrap_err().message.starts_with("`command` is required"));
    assert!(Typing::parse(&body(json!({"command": "Typing"}))).is_err());
}

#[test]
fn nothing_panics_on_odd_input() {
    for v in [
        json!({}),
        json!({"touser": 1}),
        json!({"touser": OPENID, "msgtype": 7}),
        json!({"touser": OPENID, "msgtype": "link", "link": []}),
    ] {
        assert!(parse(v).is_err());
    }
}
