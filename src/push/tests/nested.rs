//! The nested shapes WeChat really pushes, and a property test of the XML reader and writer:
//! any tree within the limits round-trips, and no byte string makes the reader panic.

use crate::push::xml::{parse_document, push_value_element, MAX_DEPTH};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// The `pic_photo_or_album` menu event, as wechat-oa.md §自定义菜单事件 documents it.
const PIC_PHOTO: &str = "<xml><ToUserName><![CDATA[gh_e136c6e50636]]></ToUserName><FromUserName><![CDATA[oMgHVjngRipVsoxg6TuX3vz6glDg]]></FromUserName><CreateTime>1408090816</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_photo_or_album]]></Event><EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>1</Count><PicList><item><PicMd5Sum><![CDATA[5a75aaca956d97be686719218f275c6b]]></PicMd5Sum></item></PicList></SendPicsInfo></xml>";

#[test]
fn a_photo_menu_event_keeps_its_picture_list() {
    let fields = parse_document(PIC_PHOTO.as_bytes()).unwrap();
    assert_eq!(fields["SendPicsInfo"], json!({"Count": "1", "PicList": [{"PicMd5Sum": "5a75aaca956d97be686719218f275c6b"}]}));
}

#[test]
fn a_mass_send_result_keeps_its_copyright_results() {
    let xml = "<xml><ToUserName>gh</ToUserName><FromUserName>o</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>MASSSENDJOBFINISH</Event><MsgID>1000001625</MsgID><Status>err(30003)</Status><TotalCount>0</TotalCount><CopyrightCheckResult><Count>2</Count><ResultList><item><ArticleIdx>1</ArticleIdx><UserDeclareState>0</UserDeclareState><AuditState>2</AuditState><OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl><OriginalArticleType>1</OriginalArticleType><CanReprint>1</CanReprint><NeedReplaceContent>1</NeedReplaceContent><NeedShowReprintSource>1</NeedShowReprintSource></item><item><ArticleIdx>2</ArticleIdx><AuditState>2</AuditState></item></ResultList><CheckState>2</CheckState></CopyrightCheckResult></xml>";
    let fields = parse_document(xml.as_bytes()).unwrap();
    let items = &fields["CopyrightCheckResult"]["ResultList"];
    assert_eq!(items.as_array().map(Vec::len), Some(2));
    assert_eq!(items[0]["OriginalArticleUrl"], "Url_1");
    assert_eq!(fields["CopyrightCheckResult"]["CheckState"], "2");
}

#[test]
fn subscribe_events_list_is_an_array_even_with_one_entry() {
    let one = "<xml><ToUserName>gh</ToUserName><SubscribeMsgPopupEvent><List><TemplateId>t1</TemplateId><SubscribeStatusString>accept</SubscribeStatusString><PopupScene>0</PopupScene></List></SubscribeMsgPopupEvent></xml>";
    let fields = parse_document(one.as_bytes()).unwrap();
    assert_eq!(
        fields["SubscribeMsgPopupEvent"]["List"],
        json!([{"TemplateId": "t1", "SubscribeStatusString": "accept", "PopupScene": "0"}])
    );
}

#[test]
fn cdata_split_across_sections_and_plain_text_join_exactly() {
    let xml = "<xml><a><![CDATA[x]]]]><![CDATA[>y]]></a><b> plain </b><c></c><d/><e>1<![CDATA[2]]>3</e></xml>";
    let fields = parse_document(xml.as_bytes()).unwrap();
    assert_eq!(fields["a"], "x]]>y");
    assert_eq!(fields["b"], " plain ");
    assert_eq!((fields["c"].as_str(), fields["d"].as_str()), (Some(""), Some("")));
    assert_eq!(fields["e"], "123");
}

#[test]
fn unknown_and_repeated_elements_are_kept() {
    let xml = "<xml><NewThing>1</NewThing><Tag>a</Tag><Tag>b</Tag></xml>";
    let fields = parse_document(xml.as_bytes()).unwrap();
    assert_eq!(fields["NewThing"], "1");
    assert_eq!(fields["Tag"], json!(["a", "b"]));
}

#[test]
fn the_depth_limit_admits_every_documented_shape_and_no_more() {
    let nest = |levels: usize| {
        let names: Vec<String> = (1..levels).map(|i| format!("L{i}")).collect();
        let open: String = names.iter().map(|n| format!("<{n}>")).collect();
        let close: String = names.iter().rev().map(|n| format!("</{n}>")).collect();
        format!("<xml>{open}v{close}</xml>")
    };
    assert!(parse_document(nest(MAX_DEPTH).as_bytes()).is_ok());
    assert!(parse_document(nest(MAX_DEPTH + 1).as_bytes()).unwrap_err().to_string().contains("nested deeper"));
}

/// XML names as WeChat writes them (never the list names, which are arrays by definition).
fn name() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9_]{0,8}".prop_filter("not a list name", |n| !["item", "List", "detail"].contains(&n.as_str()))
}

/// A tree the writer can express and the reader gives back: strings (any text, CDATA keeps it),
/// non-empty objects, non-empty arrays of non-array values; `levels` bounds the nesting.
fn tree(levels: u32) -> impl Strategy<Value = Value> {
    let leaf = any::<String>().prop_map(|s| Value::String(s.chars().filter(|c| *c != '\r' && !c.is_control()).collect()));
    leaf.prop_recursive(levels, 32, 4, |inner| {
        prop_oneof![
            prop::collection::btree_map(name(), inner.clone(), 1..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
            prop::collection::vec(inner.prop_filter("no nested arrays", |v| !v.is_array()), 1..4).prop_map(Value::Array),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_tree_within_the_limits_round_trips(fields in prop::collection::btree_map(name(), tree(((MAX_DEPTH - 1) / 2) as u32), 1..6)) {
        let mut xml = String::from("<xml>");
        for (name, value) in &fields {
            push_value_element(&mut xml, name, value);
        }
        xml.push_str("</xml>");
        let back = parse_document(xml.as_bytes()).unwrap();
        let expected: Map<String, Value> = fields.into_iter().collect();
        prop_assert_eq!(back, expected);
    }

    #[test]
    fn any_bytes_are_accepted_or_refused_without_a_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_document(&body);
    }

    #[test]
    fn any_xml_like_text_is_accepted_or_refused_without_a_panic(body in "(<xml>|</xml>|<a>|</a>|<item>|</item>|<!\\[CDATA\\[|\\]\\]>|&amp;|&#x41;|[a-z <>/])*") {
        let _ = parse_document(body.as_bytes());
    }
}
