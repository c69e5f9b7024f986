//! The push corpus (`tests/fixtures/push`): every file names its source, reads with the
//! documented shapes, has its JSON twin agree on the kind, and survives sealing in every mode
//! (the compatible envelope is built around the file's own bytes).

use serde_json::{json, Map, Value};
use std::path::PathBuf;
use wechat_sim::wire::fixture::{load_dir, Fill, Fixture};
use wechat_sim::wire::inbound::{open, query_pairs};
use wechat_sim::wire::xml_read::read_document;
use wechat_sim::wire::{seal, Format, Mode, PushCipher, Sealing};

fn dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/push"))
}

fn corpus() -> Vec<Fixture> {
    load_dir(&dir()).expect("tests/fixtures/push is readable")
}

const FILL: Fill<'static> = Fill {
    to_user_name: "gh_0123456789ab",
    from_user_name: "o_corpus_user",
    create_time: 1_700_000_000,
    msg_id: 9_007_199_254_740_993,
};

fn fields(fixture: &Fixture) -> Map<String, Value> {
    let body = fixture.fill(&FILL);
    match fixture.format {
        Format::Xml => read_document(body.as_bytes()).unwrap_or_else(|e| panic!("{}.xml does not read: {e}", fixture.kind)),
        Format::Json => serde_json::from_str(&body).unwrap_or_else(|e| panic!("{}.json is not a JSON object: {e}", fixture.kind)),
    }
}

#[test]
fn every_file_names_its_source_and_carries_the_common_fields() {
    let corpus = corpus();
    let xml = corpus.iter().filter(|f| f.format == Format::Xml).count();
    let json = corpus.len() - xml;
    assert!(xml >= 36 && json >= 12, "{xml} XML and {json} JSON files");
    let readme = std::fs::read_to_string(dir().join("README.md")).expect("an index");
    for fixture in &corpus {
        let ext = if fixture.format == Format::Xml { "xml" } else { "json" };
        let path = dir().join(format!("{}.{ext}", fixture.kind));
        let text = std::fs::read_to_string(&path).unwrap();
        let header = text.split("-->").next().unwrap_or_default();
        assert!(text.contains("source: "), "{} names no source", path.display());
        if fixture.format == Format::Xml {
            assert!(text.starts_with("<!--"), "{}", path.display());
            // An XML comment may not contain "--".
            assert!(!header[4..].contains("--"), "{}", path.display());
        }
        assert!(readme.contains(&format!("| `{}` |", fixture.kind)), "{} is not in the index", fixture.kind);
        let f = fields(fixture);
        for name in ["ToUserName", "FromUserName", "CreateTime", "MsgType"] {
            assert!(f.contains_key(name), "{}.{ext} has no {name}", fixture.kind);
        }
        assert_eq!(f.contains_key("MsgId"), fixture.is_message(), "{}.{ext}", fixture.kind);
        assert_eq!(f["MsgType"] == "event", f.contains_key("Event"), "{}.{ext}", fixture.kind);
    }
}

#[test]
fn json_twins_agree_with_the_xml_on_the_kind() {
    let corpus = corpus();
    for twin in corpus.iter().filter(|f| f.format == Format::Json) {
        let xml = corpus
            .iter()
            .find(|f| f.kind == twin.kind && f.format == Format::Xml)
            .unwrap_or_else(|| panic!("{}.json has no XML form", twin.kind));
        let (a, b) = (fields(xml), fields(twin));
        assert_eq!((&a["MsgType"], a.get("Event")), (&b["MsgType"], b.get("Event")), "{}", twin.kind);
    }
}

#[test]
fn nested_samples_read_with_the_documented_shapes() {
    let by_kind = |kind: &str| {
        let fixture =
            corpus().into_iter().find(|f| f.kind == kind && f.format == Format::Xml).unwrap_or_else(|| panic!("{kind}.xml"));
        Value::Object(fields(&fixture))
    };
    let sys = by_kind("pic_sysphoto");
    assert_eq!(sys["SendPicsInfo"], json!({"Count": "1", "PicList": [{"PicMd5Sum": "1b5f7c23b5bf75682a53e7b6d163e185"}]}));
    assert_eq!(by_kind("pic_weixin")["SendPicsInfo"]["PicList"].as_array().map(Vec::len), Some(2));
    let mass = by_kind("masssendjobfinish");
    assert_eq!(mass["CopyrightCheckResult"]["ResultList"][1]["ArticleIdx"], "2");
    assert_eq!(mass["CopyrightCheckResult"]["CheckState"], "2");
    assert_eq!(mass["ArticleUrlResult"]["ResultList"], json!([{"ArticleIdx": "1", "ArticleUrl": "Url"}]));
    let popup = by_kind("subscribe_msg_popup_event");
    assert_eq!(popup["SubscribeMsgPopupEvent"]["List"][1]["SubscribeStatusString"], "reject");
    assert_eq!(by_kind("location_select")["SendLocationInfo"]["Poiname"], "");
    assert_eq!(by_kind("wxa_media_check_v2")["result"], json!({"suggest": "pass", "label": "100"}));
    assert_eq!(by_kind("scancode_push")["ScanCodeInfo"]["ScanType"], "qrcode");
}

#[test]
fn every_file_seals_and_opens_in_every_mode() {
    let cipher = PushCipher::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx1").unwrap();
    for fixture in corpus() {
        let plain = fixture.fill(&FILL);
        for mode in [Mode::Plain, Mode::Compatible, Mode::Safe] {
            let how = Sealing {
                format: fixture.format,
                mode,
                token: "tok",
                cipher: Some(&cipher),
                timestamp: "1700000000",
                nonce: "42",
                random16: [7; 16],
            };
            let sealed = seal(&plain, FILL.to_user_name, &how).unwrap();
            let opened = open("tok", Some(&cipher), &query_pairs(&sealed.query), sealed.body.as_bytes())
                .unwrap_or_else(|e| panic!("{} {:?} {mode:?}: {e:?}", fixture.kind, fixture.format));
            assert_eq!(opened.mode, mode, "{}", fixture.kind);
            assert_eq!(opened.fields, fields(&fixture), "{} {:?} {mode:?}", fixture.kind, fixture.format);
        }
    }
}
