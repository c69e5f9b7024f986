//! Bodies in both formats parse to the same typed messages; the XML reader refuses what it must.

use super::envelope::build_plain_body;
use crate::push::message::PushMessage;
use crate::push::xml::parse_document;
use crate::push::Format;
use serde_json::json;

fn parse(format: Format, body: &str) -> Result<PushMessage, String> {
    let map = match format {
        Format::Xml => parse_document(body.as_bytes()).map_err(|e| e.to_string())?,
        Format::Json => serde_json::from_str(body).map_err(|e| e.to_string())?,
    };
    PushMessage::from_map(map)
}

#[test]
fn the_format_is_detected_from_the_first_non_whitespace_byte() {
    assert_eq!(Format::detect(b" \n<xml/>"), Some(Format::Xml));
    assert_eq!(Format::detect(b"\xEF\xBB\xBF{}"), Some(Format::Json));
    assert_eq!(Format::detect(b"[1]"), None);
    assert_eq!(Format::detect(b""), None);
}

#[test]
fn a_text_message_reads_the_same_from_xml_and_json() {
    let xml = "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName><CreateTime>1482048670</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[this is a test]]></Content><MsgId>1234567890123456</MsgId></xml>";
    let json = r#"{"ToUserName":"toUser","FromUserName":"fromUser","CreateTime":1482048670,"MsgType":"text","Content":"this is a test","MsgId":1234567890123456}"#;
    let from_xml = parse(Format::Xml, xml).unwrap();
    assert_eq!(from_xml, parse(Format::Json, json).unwrap());
    assert_eq!(from_xml.content.as_deref(), Some("this is a test"));
    assert_eq!(from_xml.msg_id, Some(1234567890123456));
    assert!(from_xml.extra.is_empty());
}

#[test]
fn an_image_message_keeps_its_url_and_media_id() {
    let xml = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1</CreateTime><MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://mmbiz.qpic.cn/x]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>9007199254740993</MsgId></xml>";
    let json = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"image","PicUrl":"http://mmbiz.qpic.cn/x","MediaId":"m1","MsgId":9007199254740993}"#;
    let m = parse(Format::Xml, xml).unwrap();
    assert_eq!(m, parse(Format::Json, json).unwrap());
    assert_eq!((m.pic_url.as_deref(), m.media_id.as_deref()), (Some("http://mmbiz.qpic.cn/x"), Some("m1")));
    assert_eq!(m.msg_id, Some(9_007_199_254_740_993));
}

const CARD_JSON: &str = "{\n\"ToUserName\": \"gh_c12802380770\",\n\"FromUserName\": \"o45lH49xBSpfFndnPY5g6dM9cgvE\",\n\"CreateTime\": 1594269675,\n\"MsgType\": \"miniprogrampage\",\n\"MsgId\": 22824453888015488,\n\"Title\": \"圈本地\",\n\"AppId\": \"wx143cd4036f7c65c5\",\n\"PagePath\": \"pages/assist/gooddetail/gooddetail?isBackLuckyDraw=true&id=1411\",\n\"ThumbUrl\": \"http://mmbiz.qpic.cn/sz_mmbiz_jpg/.../0\",\n\"ThumbMediaId\": \"QVcY7qtwbD8AvdEsE37xAc8LKOU4I5Sx2lw-O0e-A7hAqch4qMptYe0VUuzYPOc5\"\n}";

#[test]
fn the_pretty_printed_card_push_keeps_its_msg_id_exact() {
    let m = parse(Format::Json, CARD_JSON).unwrap();
    assert_eq!(m.msg_id, Some(22824453888015488));
    assert_eq!(m.title.as_deref(), Some("圈本地"));
    assert_eq!(m.page_path.as_deref(), Some("pages/assist/gooddetail/gooddetail?isBackLuckyDraw=true&id=1411"));
    assert_eq!(m.app_id.as_deref(), Some("wx143cd4036f7c65c5"));
    assert_eq!(m.dedupe_key(), "msg:22824453888015488");
    // Its XML form (with & escaped in CDATA-free text) reads back the same.
    let xml = build_plain_body(Format::Xml, &m);
    assert!(xml.contains("<MsgId>22824453888015488</MsgId>"));
    assert_eq!(parse(Format::Xml, &xml).unwrap(), m);
    assert!(m.to_json().contains("\"MsgId\":22824453888015488"));
}

#[test]
fn an_enter_session_event_has_an_event_dedupe_key() {
    let json = r#"{"ToUserName":"toUser","FromUserName":"fromUser","CreateTime":1482048670,"MsgType":"event","Event":"user_enter_tempsession","SessionFrom":"sessionFrom"}"#;
    let xml = "<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[fromUser]]></FromUserName><CreateTime>1482048670</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[user_enter_tempsession]]></Event><SessionFrom><![CDATA[sessionFrom]]></SessionFrom></xml>";
    let m = parse(Format::Json, json).unwrap();
    assert_eq!(m, parse(Format::Xml, xml).unwrap());
    assert_eq!(m.session_from.as_deref(), Some("sessionFrom"));
    assert!(m.dedupe_key().starts_with("evt:fromUser:1482048670:user_enter_tempsession:"), "{}", m.dedupe_key());
    assert_eq!(m.dedupe_key(), parse(Format::Json, json).unwrap().dedupe_key());
}

#[test]
fn distinct_events_of_one_user_in_one_second_have_distinct_dedupe_keys() {
    let check = |trace: &str| {
        let json = format!(
            r#"{{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"event","Event":"wxa_media_check","trace_id":"{trace}","result":{{"suggest":"pass"}}}}"#
        );
        parse(Format::Json, &json).unwrap().dedupe_key()
    };
    assert_ne!(check("t-1"), check("t-2"));
    assert_eq!(check("t-1"), check("t-1"));
    let click = |key: &str| {
        let xml = format!("<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>9</CreateTime><MsgType>event</MsgType><Event>CLICK</Event><EventKey>{key}</EventKey></xml>");
        parse(Format::Xml, &xml).unwrap().dedupe_key()
    };
    assert_ne!(click("A"), click("B"));
}

#[test]
fn a_msg_id_spelled_msg_id_upper_case_is_read_too() {
    let xml = "<xml><ToUserName>gh</ToUserName><FromUserName>o1</FromUserName><CreateTime>9</CreateTime><MsgType>event</MsgType><Event>TEMPLATESENDJOBFINISH</Event><MsgID>200163836</MsgID><Status>success</Status></xml>";
    let m = parse(Format::Xml, xml).unwrap();
    assert_eq!(m.msg_id, Some(200163836));
    assert_eq!(m.dedupe_key(), "msg:200163836");
    let forwarded: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
    assert_eq!((forwarded["MsgID"].as_u64(), forwarded.get("MsgId")), (Some(200163836), None));
    let both = xml.replace("<Status>", "<MsgId>1</MsgId><Status>");
    assert!(parse(Format::Xml, &both).unwrap_err().contains("MsgId"));
}

#[test]
fn a_msg_id_sent_as_a_string_is_read_exactly() {
    let json = r#"{"ToUserName":"a","FromUserName":"b","CreateTime":"1","MsgType":"text","MsgId":"6054768590064713728"}"#;
    assert_eq!(parse(Format::Json, json).unwrap().msg_id, Some(6054768590064713728));
}

#[test]
fn a_fractional_or_negative_msg_id_is_refused() {
    for id in ["1.5", "-1", "6.054768590064713728e18", "true"] {
        let json = format!(r#"{{"ToUserName":"a","FromUserName":"b","CreateTime":1,"MsgType":"text","MsgId":{id}}}"#);
        let err = parse(Format::Json, &json).unwrap_err();
        assert!(err.contains("MsgId"), "{id}: {err}");
    }
}

#[test]
fn a_media_check_result_keeps_its_extra_fields() {
    let json = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"event","Event":"wxa_media_check","appid":"wx1","trace_id":"t-1","version":2,"detail":[{"strategy":"content_model","errcode":0,"suggest":"pass","label":100,"prob":90}],"errcode":0,"errmsg":"ok","result":{"suggest":"pass","label":100}}"#;
    let m = parse(Format::Json, json).unwrap();
    assert_eq!(m.extra["trace_id"], "t-1");
    assert_eq!(m.extra["result"], json!({"suggest": "pass", "label": 100}));
    let forwarded: serde_json::Value = serde_json::from_str(&m.to_json()).unwrap();
    assert_eq!(forwarded, serde_json::from_str::<serde_json::Value>(json).unwrap());

    let xml = build_plain_body(Format::Xml, &m);
    let from_xml = parse(Format::Xml, &xml).unwrap();
    assert_eq!(from_xml.extra["result"], json!({"suggest": "pass", "label": "100"}));
    assert_eq!(from_xml.extra["detail"][0]["strategy"], "content_model");
}

#[test]
fn a_cdata_terminator_in_content_survives_a_round_trip() {
    let m = PushMessage {
        to_user_name: "gh_1".into(),
        from_user_name: "o1".into(),
        create_time: 5,
        msg_type: "text".into(),
        content: Some("a]]><b>&amp;]]>".into()),
        ..PushMessage::default()
    };
    let xml = build_plain_body(Format::Xml, &m);
    assert_eq!(parse(Format::Xml, &xml).unwrap(), m);
    assert_eq!(serde_json::from_str::<PushMessage>(&m.to_json()).unwrap(), m);
}

#[test]
fn entities_and_character_references_in_text_are_decoded() {
    let xml = "<?xml version=\"1.0\"?>\n<xml>\n <!-- c --><ToUserName>a &amp; &#x4E2D;</ToUserName><FromUserName>b</FromUserName><CreateTime> 7 </CreateTime><MsgType>text</MsgType><Content/></xml>\n";
    let m = parse(Format::Xml, xml).unwrap();
    assert_eq!(m.to_user_name, "a & 中");
    assert_eq!(m.create_time, 7);
    assert_eq!(m.content.as_deref(), Some(""));
}

#[test]
fn unsafe_or_unexpected_xml_is_refused() {
    let cases = [
        ("<!DOCTYPE xml [<!ENTITY x \"boom\">]><xml><ToUserName>&x;</ToUserName></xml>", "DOCTYPE"),
        ("<!ENTITY x \"boom\"><xml></xml>", ""),
        ("<xml><ToUserName>&x;</ToUserName></xml>", "reference"),
        ("<?xml-stylesheet href=\"a\"?><xml></xml>", "processing instructions"),
        ("<xml><?php x ?></xml>", "processing instructions"),
        ("<xml></xml><?xml version=\"1.0\"?>", ""),
        ("<root><a>1</a></root>", "root element"),
        ("<xml><a><b><c><d><e><f><g><h>1</h></g></f></e></d></c></b></a></xml>", "nested deeper"),
        ("<xml><a>1</a></xml><xml></xml>", "after </xml>"),
        ("<xml>loose text<a>1</a></xml>", "text outside"),
        ("<xml><a>1<b>2</b></a></xml>", "mixes text"),
        ("<xml><a>1</b></xml>", ""),
        ("<xml><a>1</a>", "ends before"),
        ("", "ends before"),
    ];
    for (body, expected) in cases {
        let err = parse_document(body.as_bytes()).expect_err(body).to_string();
        assert!(err.contains(expected), "{body}: {err}");
    }
}

#[test]
fn a_repeated_typed_field_is_refused_not_overwritten() {
    let xml = "<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType><MsgId>1</MsgId><MsgId>2</MsgId></xml>";
    assert!(parse(Format::Xml, xml).unwrap_err().contains("MsgId"));
}

#[test]
fn a_message_without_its_common_fields_is_refused() {
    let err = parse(Format::Json, r#"{"ToUserName":"a","CreateTime":1,"MsgType":"text"}"#).unwrap_err();
    assert!(err.contains("FromUserName"), "{err}");
}

#[test]
fn a_deeply_nested_body_is_refused_without_recursing() {
    let xml = format!("<xml>{}", "<a>".repeat(100_000));
    assert!(parse_document(xml.as_bytes()).unwrap_err().to_string().contains("nested deeper"));
    let json = "[".repeat(100_000);
    assert!(serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&json).is_err());
}
