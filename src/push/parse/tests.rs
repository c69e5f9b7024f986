//! The body readers: what they fill, each error in its fixed order, and a differential test
//! against the way the pipeline read bodies before (a `serde_json::Map` of the whole body from
//! `xml::parse_document` or serde_json, then the field rules below), errors included.

use super::{parse_body, Parsed};
use crate::push::message::{MsgIdName, PushMessage, Typed};
use crate::push::pipeline::PushError;
use crate::push::xml::parse_document;
use crate::push::Format;
use proptest::prelude::*;
use serde_json::{json, Map, Value};

fn message(format: Format, body: &str) -> Result<PushMessage, PushError> {
    parse_body(format, body.as_bytes())?.into_message()
}

/// The refusal's reason, for a body that is refused.
fn refusal(format: Format, body: &str) -> String {
    match message(format, body) {
        Err(PushError::Malformed(why)) => why,
        other => panic!("{body}: expected a malformed push, got {other:?}"),
    }
}

const XML_TEXT: &str = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content><MsgId>22824453888015488</MsgId></xml>";
const JSON_TEXT: &str = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1700000000,"MsgType":"text","Content":"hi","MsgId":22824453888015488}"#;

fn text_message() -> PushMessage {
    PushMessage {
        to_user_name: "gh_1".into(),
        from_user_name: "o1".into(),
        create_time: 1_700_000_000,
        msg_type: "text".into(),
        msg_id: Some(22824453888015488),
        content: Some("hi".into()),
        ..PushMessage::default()
    }
}

#[test]
fn a_text_message_fills_its_typed_fields_in_both_formats() {
    assert_eq!(message(Format::Xml, XML_TEXT).unwrap(), text_message());
    assert_eq!(message(Format::Json, JSON_TEXT).unwrap(), text_message());
    let parsed = parse_body(Format::Json, JSON_TEXT.as_bytes()).unwrap();
    assert_eq!((parsed.encrypt.is_none(), parsed.beside_encrypt), (true, true));
}

#[test]
fn every_typed_name_finds_its_slot() {
    for (i, name) in crate::push::message::TEXT_FIELDS.iter().enumerate() {
        assert_eq!(Typed::of(name), Some(Typed::Text(i)), "{name}");
    }
    assert_eq!(Typed::of("CreateTime"), Some(Typed::CreateTime));
    assert_eq!(Typed::of("MsgID"), Some(Typed::MsgId(MsgIdName::MsgID)));
    assert_eq!((Typed::of("Encrypt"), Typed::of("msgid"), Typed::of("")), (None, None, None));
}

#[test]
fn the_order_of_the_fields_does_not_matter() {
    let xml = "<xml><MsgId>22824453888015488</MsgId><Content>hi</Content><MsgType>text</MsgType><CreateTime>1700000000</CreateTime><FromUserName>o1</FromUserName><ToUserName>gh_1</ToUserName></xml>";
    let json = r#"{"MsgId":22824453888015488,"Content":"hi","MsgType":"text","CreateTime":1700000000,"FromUserName":"o1","ToUserName":"gh_1"}"#;
    assert_eq!(message(Format::Xml, xml).unwrap(), text_message());
    assert_eq!(message(Format::Json, json).unwrap(), text_message());
}

#[test]
fn json_numbers_in_text_fields_are_kept_as_their_text() {
    let json = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"event","Event":"CLICK","EventKey":123,"Ticket":-5,"SessionFrom":1.5,"Title":12345678901234567890}"#;
    let m = message(Format::Json, json).unwrap();
    assert_eq!(m.event_key.as_deref(), Some("123"));
    assert_eq!(m.ticket.as_deref(), Some("-5"));
    assert_eq!(m.session_from.as_deref(), Some("1.5"));
    assert_eq!(m.title.as_deref(), Some("12345678901234567890"));
    // A JSON null is an absent field.
    let json = r#"{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"text","Content":null,"MsgId":null}"#;
    let m = message(Format::Json, json).unwrap();
    assert_eq!((m.content, m.msg_id), (None, None));
}

#[test]
fn a_msg_id_above_2_pow_53_is_exact_from_a_number_or_a_string() {
    let big = u64::MAX;
    for id in [format!("{big}"), format!("\"{big}\""), "9007199254740993".to_owned()] {
        let json = format!(r#"{{"ToUserName":"a","FromUserName":"b","CreateTime":"7","MsgType":"text","MsgID":{id}}}"#);
        let m = message(Format::Json, &json).unwrap();
        assert_eq!(m.msg_id.map(|n| n.to_string()), Some(id.trim_matches('"').to_owned()));
        assert_eq!((m.create_time, m.msg_id_name), (7, MsgIdName::MsgID));
    }
    let xml = format!("<xml><ToUserName>a</ToUserName><FromUserName>b</FromUserName><CreateTime> 7 </CreateTime><MsgType>text</MsgType><MsgId>{big}</MsgId></xml>");
    assert_eq!(message(Format::Xml, &xml).unwrap().msg_id, Some(big));
}

#[test]
fn nested_and_unknown_fields_are_kept_in_extra() {
    let xml = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>pic_photo_or_album</Event><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>5a</PicMd5Sum></item></PicList></SendPicsInfo><Tag>a</Tag><Tag>b</Tag><item>x</item><NewThing/></xml>";
    let m = message(Format::Xml, xml).unwrap();
    assert_eq!(m.extra["SendPicsInfo"], json!({"Count": "1", "PicList": [{"PicMd5Sum": "5a"}]}));
    assert_eq!(m.extra["Tag"], json!(["a", "b"]));
    assert_eq!(m.extra["item"], json!(["x"]));
    assert_eq!(m.extra["NewThing"], "");
    assert_eq!(m.extra.len(), 4);
    let json = r#"{"ToUserName":"gh","FromUserName":"o","CreateTime":1,"MsgType":"event","Event":"wxa_media_check","result":{"suggest":"pass","label":100},"detail":[{"strategy":"a"}],"trace_id":"t","errcode":0}"#;
    let m = message(Format::Json, json).unwrap();
    assert_eq!(m.extra["result"], json!({"suggest": "pass", "label": 100}));
    assert_eq!(m.extra["detail"], json!([{"strategy": "a"}]));
    assert_eq!((m.extra["trace_id"].clone(), m.extra["errcode"].clone()), (json!("t"), json!(0)));
}

#[test]
fn encrypt_has_its_own_slot_and_the_envelope_says_what_is_beside_it() {
    let safe = parse_body(Format::Xml, b"<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[abc=]]></Encrypt></xml>").unwrap();
    assert_eq!((safe.encrypt, safe.beside_encrypt), (Some(json!("abc=")), false));
    let safe = parse_body(Format::Json, br#"{"Encrypt":"abc=","ToUserName":"gh"}"#).unwrap();
    assert_eq!((safe.encrypt, safe.beside_encrypt), (Some(json!("abc=")), false));
    let compatible = parse_body(Format::Json, br#"{"ToUserName":"gh","MsgType":"text","Encrypt":"abc="}"#).unwrap();
    assert_eq!((compatible.encrypt, compatible.beside_encrypt), (Some(json!("abc=")), true));
    let compatible = parse_body(Format::Xml, b"<xml><Encrypt>abc=</Encrypt><Unknown/></xml>").unwrap();
    assert!(compatible.beside_encrypt);
    // A malformed Encrypt is kept as it came, for the pipeline to refuse.
    let repeated = parse_body(Format::Xml, b"<xml><Encrypt>a</Encrypt><Encrypt>b</Encrypt><Encrypt>c</Encrypt></xml>").unwrap();
    assert_eq!(repeated.encrypt, Some(json!(["a", "b", "c"])));
    let null = parse_body(Format::Json, br#"{"ToUserName":"gh","Encrypt":null}"#).unwrap();
    assert_eq!(null.encrypt, Some(Value::Null));
    // In a decrypted message, Encrypt is one more field.
    let inner = format!("{}<Encrypt>x</Encrypt></xml>", XML_TEXT.strip_suffix("</xml>").unwrap());
    assert_eq!(message(Format::Xml, &inner).unwrap().extra["Encrypt"], "x");
}

#[test]
fn a_repeated_json_key_keeps_its_last_value_as_a_map_would() {
    let json = r#"{"ToUserName":"x","ToUserName":"gh_1","FromUserName":["bad"],"FromUserName":"o1","CreateTime":-1,"CreateTime":1700000000,"MsgType":"text","Content":"hi","MsgId":1,"MsgId":22824453888015488}"#;
    assert_eq!(message(Format::Json, json).unwrap(), text_message());
}

#[test]
fn each_field_error_names_the_field_never_the_value() {
    let base = |extra: &str| format!(r#"{{"ToUserName":"gh","FromUserName":"o","CreateTime":1,"MsgType":"text"{extra}}}"#);
    let cases = [
        (base(r#","MsgId":1,"MsgID":2"#), "the push repeats MsgId"),
        (base(r#","MsgId":null,"MsgID":2"#), "the push repeats MsgId"),
        (base(r#","Content":true"#), "Content must be a string"),
        (base(r#","Ticket":{"secret":"v"}"#), "Ticket must be a string"),
        (base(r#","EventKey":["secret"]"#), "EventKey must be a string"),
        (base(r#","MsgId":-1"#), "MsgId must be a non-negative integer"),
        (base(r#","MsgID":1.5"#), "MsgId must be a non-negative integer"),
        (base(r#","MsgId":"12secret""#), "MsgId must be a non-negative integer"),
        (base(r#","MsgId":false"#), "MsgId must be an integer"),
        (base(r#","MsgId":[1]"#), "MsgId must be an integer"),
        (r#"{"FromUserName":"o","CreateTime":1,"MsgType":"text"}"#.to_owned(), "the push has no ToUserName"),
        (r#"{"ToUserName":"gh","CreateTime":1,"MsgType":"text"}"#.to_owned(), "the push has no FromUserName"),
        (r#"{"ToUserName":"gh","FromUserName":"o","CreateTime":1}"#.to_owned(), "the push has no MsgType"),
        (r#"{"ToUserName":"gh","FromUserName":"o","MsgType":"text"}"#.to_owned(), "the push has no CreateTime"),
        (r#"{"ToUserName":"gh","FromUserName":"o","MsgType":"text","CreateTime":null}"#.to_owned(), "the push has no CreateTime"),
        (
            r#"{"ToUserName":"gh","FromUserName":"o","MsgType":"text","CreateTime":"soon"}"#.to_owned(),
            "CreateTime must be a non-negative integer",
        ),
        (
            r#"{"ToUserName":"gh","FromUserName":"o","MsgType":"text","CreateTime":{}}"#.to_owned(),
            "CreateTime must be an integer",
        ),
    ];
    for (body, expected) in cases {
        let why = refusal(Format::Json, &body);
        assert_eq!(why, expected, "{body}");
        assert!(!why.contains("secret"));
    }
    let base = |extra: &str| {
        format!("<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>{extra}</xml>")
    };
    let cases = [
        (base("<MsgId>1</MsgId><MsgID>2</MsgID>"), "the push repeats MsgId"),
        (base("<MsgId>1</MsgId><MsgId>1</MsgId>"), "MsgId must be an integer"),
        (base("<MsgId><a>1</a></MsgId>"), "MsgId must be an integer"),
        (base("<MsgId>secret</MsgId>"), "MsgId must be a non-negative integer"),
        (base("<MsgId/>"), "MsgId must be a non-negative integer"),
        (base("<Content>a</Content><Content>b</Content>"), "Content must be a string"),
        (base("<Content><secret>1</secret></Content>"), "Content must be a string"),
        (base("<Content><item>1</item></Content>"), "Content must be a string"),
        (base("<CreateTime>1</CreateTime>"), "CreateTime must be an integer"),
        (base("<MsgType>text</MsgType>"), "MsgType must be a string"),
    ];
    for (body, expected) in cases {
        let why = refusal(Format::Xml, &body);
        assert_eq!(why, expected, "{body}");
        assert!(!why.contains("secret"));
    }
}

#[test]
fn the_errors_come_in_a_fixed_order_whatever_the_body_order() {
    // The repeated MsgId first, then the text fields in order (each: its type, then whether it
    // is there), then CreateTime, then MsgId.
    let json = r#"{"MsgId":true,"CreateTime":"x","Ticket":[],"Content":{},"MsgID":1}"#;
    assert_eq!(refusal(Format::Json, json), "the push repeats MsgId");
    let json = r#"{"MsgId":true,"CreateTime":"x","Ticket":[],"Content":{}}"#;
    assert_eq!(refusal(Format::Json, json), "the push has no ToUserName");
    let json = r#"{"MsgId":true,"CreateTime":"x","Ticket":[],"Content":{},"MsgType":"t","FromUserName":1,"ToUserName":[]}"#;
    assert_eq!(refusal(Format::Json, json), "ToUserName must be a string");
    let json = r#"{"MsgId":true,"CreateTime":"x","Ticket":[],"Content":{},"MsgType":"t","FromUserName":1,"ToUserName":"gh"}"#;
    assert_eq!(refusal(Format::Json, json), "Content must be a string");
    let json = r#"{"MsgId":true,"CreateTime":"x","Ticket":[],"MsgType":"t","FromUserName":1,"ToUserName":"gh"}"#;
    assert_eq!(refusal(Format::Json, json), "Ticket must be a string");
    let json = r#"{"MsgId":true,"CreateTime":"x","MsgType":"t","FromUserName":1,"ToUserName":"gh"}"#;
    assert_eq!(refusal(Format::Json, json), "CreateTime must be a non-negative integer");
    let json = r#"{"MsgId":true,"CreateTime":"2","MsgType":"t","FromUserName":1,"ToUserName":"gh"}"#;
    assert_eq!(refusal(Format::Json, json), "MsgId must be an integer");
    let xml = "<xml><MsgId>x</MsgId><Ticket/><Ticket/><CreateTime>1</CreateTime><MsgType>t</MsgType><FromUserName>o</FromUserName><ToUserName>gh</ToUserName></xml>";
    assert_eq!(refusal(Format::Xml, xml), "Ticket must be a string");
}

#[test]
fn syntax_errors_are_the_readers_and_come_before_any_field_error() {
    let body = "{\"MsgId\":true,\n\"Content\": \"secret\" ,}";
    assert_eq!(refusal(Format::Json, body), "not a valid JSON object (line 2, column 22)");
    assert_agrees(Format::Json, body.as_bytes());
    assert!(refusal(Format::Json, r#"{"Content":[[[[]]]], "a" 1}"#).starts_with("not a valid JSON object (line 1, column"));
    let deep = format!(r#"{{"Content":{}}}"#, "[".repeat(200));
    assert!(refusal(Format::Json, &deep).starts_with("not a valid JSON object"));
    let xml_cases = [
        ("<!DOCTYPE xml><xml><MsgId>x</MsgId></xml>", "DOCTYPE"),
        ("<xml><MsgId>x</MsgId><?pi?></xml>", "processing instructions"),
        ("<root><MsgId>1</MsgId></root>", "root element"),
        ("<xml><MsgId>1</MsgId></xml><a/>", "after </xml>"),
        ("<xml><Content>1<b>2</b></Content></xml>", "mixes text"),
        ("<xml>x<MsgId>1</MsgId></xml>", "text outside"),
        ("<xml><MsgId>1</MsgId>", "ends before"),
        ("<xml><a><b><c><d><e><f><g><h>1</h></g></f></e></d></c></b></a></xml>", "nested deeper"),
    ];
    for (body, expected) in xml_cases {
        assert!(refusal(Format::Xml, body).contains(expected), "{body}");
    }
}

#[test]
fn push_message_deserializes_through_the_same_reader() {
    let m: PushMessage = serde_json::from_str(JSON_TEXT).unwrap();
    assert_eq!(m, text_message());
    let from_value: PushMessage = serde_json::from_value(serde_json::from_str(JSON_TEXT).unwrap()).unwrap();
    assert_eq!(from_value, text_message());
    let err = serde_json::from_str::<PushMessage>(r#"{"ToUserName":"gh"}"#).unwrap_err();
    assert!(err.to_string().contains("the push has no FromUserName"), "{err}");
    // A body that is no object is refused as a `serde_json::Map` refuses it.
    for body in ["[1]", "\"x\"", "7", "null"] {
        let expected = serde_json::from_str::<Map<String, Value>>(body).unwrap_err().to_string();
        assert_eq!(serde_json::from_str::<PushMessage>(body).unwrap_err().to_string(), expected);
    }
    let with_encrypt: PushMessage = serde_json::from_str(&JSON_TEXT.replace("}", r#","Encrypt":"e"}"#)).unwrap();
    assert_eq!(with_encrypt.extra["Encrypt"], "e");
    assert_eq!(PushMessage::from_map(serde_json::from_str(JSON_TEXT).unwrap()).unwrap(), text_message());
}

// The differential test: the reading before this module, kept here as the reference.

/// What a body is read as: the `Encrypt` the pipeline takes out, whether compatible mode is
/// detected, and the message (or field error) the whole body makes.
type Reading = (Option<Value>, bool, Result<PushMessage, String>);

/// What the pipeline read from a body before: the `Encrypt` it would take, whether compatible
/// mode would be detected, and the message `PushMessage::from_map` made of the whole body.
fn reference(format: Format, body: &[u8]) -> Result<Reading, PushError> {
    let map: Map<String, Value> = match format {
        Format::Xml => parse_document(body).map_err(|e| PushError::Malformed(e.to_string()))?,
        Format::Json => serde_json::from_slice(body)
            .map_err(|e| PushError::Malformed(format!("not a valid JSON object (line {}, column {})", e.line(), e.column())))?,
    };
    let encrypt = map.get("Encrypt").cloned();
    let beside = map.keys().any(|name| name != "ToUserName" && name != "Encrypt");
    Ok((encrypt, beside, reference_from_map(map)))
}

const TEXT_FIELDS: [&str; 15] = [
    "ToUserName",
    "FromUserName",
    "MsgType",
    "Content",
    "PicUrl",
    "MediaId",
    "Title",
    "AppId",
    "PagePath",
    "ThumbUrl",
    "ThumbMediaId",
    "Event",
    "SessionFrom",
    "EventKey",
    "Ticket",
];

/// `PushMessage::from_map` as it was before the builder.
fn reference_from_map(map: Map<String, Value>) -> Result<PushMessage, String> {
    let mut slots: [Option<Value>; TEXT_FIELDS.len()] = Default::default();
    let (mut create_time, mut msg_id) = (None, None);
    let mut msg_id_name = MsgIdName::MsgId;
    let mut extra = Map::new();
    for (name, value) in map {
        match TEXT_FIELDS.iter().position(|field| *field == name) {
            Some(i) => slots[i] = Some(value),
            None if name == "CreateTime" => create_time = Some(value),
            None if (name == "MsgId" || name == "MsgID") && msg_id.is_some() => {
                return Err("the push repeats MsgId".to_owned());
            }
            None if name == "MsgId" || name == "MsgID" => {
                msg_id_name = if name == "MsgID" { MsgIdName::MsgID } else { MsgIdName::MsgId };
                msg_id = Some(value);
            }
            None => {
                extra.insert(name, value);
            }
        }
    }
    let text_value = |name: &str, value: Option<Value>| match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(format!("{name} must be a string")),
    };
    let u64_value = |name: &str, value: Option<Value>| match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => n.as_u64().map(Some).ok_or_else(|| format!("{name} must be a non-negative integer")),
        Some(Value::String(s)) => s.trim().parse::<u64>().map(Some).map_err(|_| format!("{name} must be a non-negative integer")),
        Some(_) => Err(format!("{name} must be an integer")),
    };
    let mut texts = slots.into_iter().zip(TEXT_FIELDS).map(|(value, name)| text_value(name, value));
    let mut next = || texts.next().unwrap_or(Ok(None));
    let to_user_name = next()?.ok_or("the push has no ToUserName")?;
    let from_user_name = next()?.ok_or("the push has no FromUserName")?;
    let msg_type = next()?.ok_or("the push has no MsgType")?;
    let (content, pic_url, media_id, title) = (next()?, next()?, next()?, next()?);
    let (app_id, page_path, thumb_url, thumb_media_id) = (next()?, next()?, next()?, next()?);
    let (event, session_from, event_key, ticket) = (next()?, next()?, next()?, next()?);
    let create_time = u64_value("CreateTime", create_time)?.ok_or("the push has no CreateTime")?;
    let msg_id = u64_value("MsgId", msg_id)?;
    Ok(PushMessage {
        to_user_name,
        from_user_name,
        create_time,
        msg_type,
        msg_id,
        content,
        pic_url,
        media_id,
        title,
        app_id,
        page_path,
        thumb_url,
        thumb_media_id,
        event,
        session_from,
        event_key,
        ticket,
        msg_id_name,
        extra,
    })
}

/// The readers agree with the reference on `body`: the same syntax error, or the same
/// `Encrypt`, mode and message (or field error).
fn assert_agrees(format: Format, body: &[u8]) {
    let expected = reference(format, body);
    let actual = parse_body(format, body).map(|parsed: Parsed| {
        let (encrypt, beside) = (parsed.encrypt.clone(), parsed.beside_encrypt);
        let message = parsed.into_message().map_err(|e| match e {
            PushError::Malformed(why) => why,
            other => panic!("a field error that is not Malformed: {other:?}"),
        });
        (encrypt, beside, message)
    });
    assert_eq!(actual, expected, "{format:?} body: {}", String::from_utf8_lossy(body));
    // PushMessage's Deserialize reads JSON the same way.
    if let (Format::Json, Ok((_, _, message))) = (format, &expected) {
        let deserialized = serde_json::from_slice::<PushMessage>(body).map_err(|e| e.to_string());
        match (message, deserialized) {
            (Ok(m), Ok(d)) => assert_eq!(&d, m),
            (Err(why), Err(e)) => assert!(e.starts_with(why.as_str()), "{e} / {why}"),
            (m, d) => panic!("Deserialize disagrees: {m:?} / {d:?}"),
        }
    }
}

/// Bodies that probe each rule: duplicates, nulls, every JSON type in every typed slot, XML
/// repetitions, nesting and lists.
fn probes() -> Vec<(Format, String)> {
    let typed = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "MsgId", "MsgID", "Content", "EventKey", "Encrypt"];
    let json_values = [
        "\"gh\"",
        "\" 12 \"",
        "\"\\u0031\"",
        "0",
        "-0",
        "-7",
        "1.5",
        "1e3",
        "18446744073709551615",
        "18446744073709551616",
        "true",
        "null",
        "[]",
        "[1,\"a\"]",
        "{}",
        "{\"a\":{\"b\":[1]}}",
        "{\"$serde_json::private::RawValue\":\"1\"}",
    ];
    let head = r#""ToUserName":"gh","FromUserName":"o","CreateTime":1,"MsgType":"text""#;
    let mut out = Vec::new();
    for name in typed {
        for value in json_values {
            out.push((Format::Json, format!("{{{head},\"{name}\":{value}}}")));
            out.push((Format::Json, format!("{{\"{name}\":{value},{head}}}")));
            out.push((Format::Json, format!("{{\"{name}\":{value}}}")));
            out.push((Format::Json, format!("{{{head},\"{name}\":{value},\"{name}\":\"2\"}}")));
            out.push((Format::Json, format!("{{{head},\"{name}\":\"2\",\"{name}\":{value}}}")));
        }
    }
    out.push((Format::Json, format!("{{{head},\"MsgId\":1,\"MsgID\":1}}")));
    out.push((Format::Json, format!("{{{head},\"Msg\\u0049d\":1,\"Unknown\":1,\"Unknown\":[2]}}")));
    out.push((Format::Json, r#"{"$serde_json::private::RawValue":"1"}"#.to_owned()));
    out.push((Format::Json, "{}".to_owned()));
    out.push((Format::Json, "{\"ToUserName\":\"gh\"} x".to_owned()));
    let xml_values = [
        "gh",
        " 12 ",
        "",
        "<![CDATA[a]]]]><![CDATA[>b]]>",
        "1<![CDATA[2]]>3",
        "<a>1</a>",
        "<item>1</item>",
        "<item>1</item><item>2</item>",
        "<List><x>1</x></List>",
        "&amp;&#x31;",
    ];
    let head = "<ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>";
    for name in typed.iter().chain(&["item", "List", "detail", "Other"]) {
        for value in xml_values {
            let element = format!("<{name}>{value}</{name}>");
            out.push((Format::Xml, format!("<xml>{head}{element}</xml>")));
            out.push((Format::Xml, format!("<xml>{element}{head}</xml>")));
            out.push((Format::Xml, format!("<xml>{element}</xml>")));
            out.push((Format::Xml, format!("<xml>{head}{element}{element}</xml>")));
            out.push((Format::Xml, format!("<xml>\n {element}\n {head}<{name}/>{element}\n</xml>")));
        }
        out.push((Format::Xml, format!("<xml>{head}<{name}/></xml>")));
    }
    out.push((Format::Xml, format!("<xml>{head}<MsgID>1</MsgID><MsgId>2</MsgId></xml>")));
    out.push((Format::Xml, "<xml/>".to_owned()));
    out.push((Format::Xml, "<xml></xml>".to_owned()));
    out
}

#[test]
fn the_readers_agree_with_the_map_and_from_map_on_every_probe() {
    for (format, body) in probes() {
        assert_agrees(format, body.as_bytes());
    }
}

/// xorshift64*: reproducible mutations without a dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1) as u64) as usize
    }
}

const SPLICES: [&str; 16] = [
    "<",
    ">",
    "</xml>",
    "<xml>",
    "]]>",
    "<![CDATA[",
    "&",
    "{",
    "}",
    "\"",
    ",",
    "null",
    "<MsgId>1</MsgId>",
    "\"MsgID\":2,",
    "<Encrypt>e</Encrypt>",
    "[",
];

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(3) {
        let at = rng.below(out.len() + 1);
        match rng.below(4) {
            0 => out.truncate(at),
            1 => {
                let splice = SPLICES[rng.below(SPLICES.len())];
                out.splice(at..at, splice.bytes());
            }
            2 => {
                let end = (at + rng.below(16)).min(out.len());
                out.drain(at..end);
            }
            _ => {
                let end = (at + rng.below(48)).min(out.len());
                let copy = out[at..end].to_vec();
                out.splice(at..at, copy);
            }
        }
    }
    out
}

#[test]
fn the_readers_agree_with_the_map_and_from_map_on_mutated_bodies() {
    let mut rng = Rng(0x5DEE_CE66_D1CE_4E5B);
    let seeds = [
        (Format::Xml, XML_TEXT.to_owned()),
        (Format::Json, JSON_TEXT.to_owned()),
        (Format::Xml, "<xml><ToUserName>gh</ToUserName><Encrypt><![CDATA[abc=]]></Encrypt></xml>".to_owned()),
        (Format::Json, r#"{"ToUserName":"gh","Encrypt":"abc="}"#.to_owned()),
        (Format::Xml, "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum>5a</PicMd5Sum></item></PicList></SendPicsInfo></xml>".to_owned()),
        (Format::Json, r#"{"ToUserName":"gh","FromUserName":"o","CreateTime":1,"MsgType":"event","result":{"suggest":"pass","label":100},"detail":[{"strategy":"a"}]}"#.to_owned()),
    ];
    for (format, body) in seeds {
        for _ in 0..1500 {
            assert_agrees(format, &mutate(&mut rng, body.as_bytes()));
        }
    }
}

/// A JSON value of any type, small.
fn json_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|b| b.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| format!("{f:e}")),
        "[a-z0-9 ]{0,6}".prop_map(|s| format!("\"{s}\"")),
        "[0-9]{1,22}".prop_map(|s| format!("\"{s}\"")),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(|v| format!("[{}]", v.join(","))),
            prop::collection::vec(("[a-z]{1,3}", inner), 0..3).prop_map(|v| format!(
                "{{{}}}",
                v.into_iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")
            )),
        ]
    })
}

fn field_name() -> impl Strategy<Value = String> {
    let names = [
        "ToUserName",
        "FromUserName",
        "CreateTime",
        "MsgType",
        "MsgId",
        "MsgID",
        "Content",
        "Ticket",
        "Encrypt",
        "item",
        "List",
        "x",
    ];
    prop::sample::select(names.to_vec()).prop_map(str::to_owned)
}

/// An XML field's content: text, or children.
fn xml_content() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![Just(String::new()), "[a-z0-9 ]{0,6}", "[0-9]{1,21}", Just("<![CDATA[ 5 ]]>".to_owned())];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop::collection::vec((prop_oneof![Just("item".to_owned()), Just("List".to_owned()), "[a-c]"], inner), 1..3)
            .prop_map(|v| v.into_iter().map(|(k, v)| format!("<{k}>{v}</{k}>")).collect())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_json_object_reads_as_the_reference_reads_it(fields in prop::collection::vec((field_name(), json_value()), 0..8)) {
        let body = format!("{{{}}}", fields.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(","));
        assert_agrees(Format::Json, body.as_bytes());
    }

    #[test]
    fn any_xml_document_reads_as_the_reference_reads_it(fields in prop::collection::vec((field_name(), xml_content()), 0..8)) {
        let body = format!("<xml>{}</xml>", fields.iter().map(|(k, v)| format!("<{k}>{v}</{k}>")).collect::<String>());
        assert_agrees(Format::Xml, body.as_bytes());
    }
}
