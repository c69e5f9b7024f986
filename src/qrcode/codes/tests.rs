//! Tests for `qrcode.rs`: every rule, by the field its error names.

use super::*;
use serde_json::json;

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn unlimited(value: Value) -> ApiResult<UnlimitedCode> {
    UnlimitedCode::parse(&obj(value))
}

/// Asserts a 400 `invalid_field` whose message starts with the field's name.
#[track_caller]
fn assert_names<T: std::fmt::Debug>(result: ApiResult<T>, field: &str) {
    let e = result.expect_err("should be refused");
    assert_eq!((e.status, e.code.as_ref()), (400, "invalid_field"), "{e}");
    assert!(e.message.starts_with(&format!("`{field}` ")), "expected `{field}` in: {}", e.message);
}

#[test]
fn an_unlimited_code_fills_every_default() {
    let code = unlimited(json!({"scene": "id=42"})).unwrap();
    assert_eq!(
        code.wechat_body(),
        json!({"scene": "id=42", "check_path": true, "env_version": "release", "width": 430,
               "auto_color": false, "line_color": {"r": 0, "g": 0, "b": 0}, "is_hyaline": false})
    );
    assert!(!code.is_png());
}

#[test]
fn an_unlimited_code_passes_every_field_on() {
    let body = json!({"scene": "a", "page": "pages/detail/detail", "check_path": false, "env_version": "trial",
                      "width": 1280, "auto_color": true, "line_color": {"r": 255, "g": 1, "b": 2}, "is_hyaline": true});
    let code = unlimited(body.clone()).unwrap();
    assert_eq!(code.wechat_body(), body);
    assert!(code.is_png());
}

#[test]
fn null_reads_as_left_out() {
    let code = unlimited(json!({"scene": "a", "page": null, "width": null, "line_color": null})).unwrap();
    assert_eq!(code, unlimited(json!({"scene": "a"})).unwrap());
}

#[test]
fn the_scene_is_1_to_32_characters_of_the_documented_set() {
    assert!(unlimited(json!({"scene": "a".repeat(32)})).is_ok());
    assert!(unlimited(json!({"scene": "0aZ!#$&'()*+,/:;=?@-._~"})).is_ok());
    for bad in [
        json!({}),
        json!({"scene": null}),
        json!({"scene": ""}),
        json!({"scene": "a".repeat(33)}),
        json!({"scene": "a b"}),
        json!({"scene": "a%20b"}),
        json!({"scene": "中文"}),
        json!({"scene": "a\"b"}),
        json!({"scene": 42}),
        json!({"scene": ["a"]}),
    ] {
        assert_names(unlimited(bad), "scene");
    }
}

#[test]
fn the_page_has_no_leading_slash_no_query_and_sane_characters() {
    assert_eq!(unlimited(json!({"scene": "a", "page": ""})).unwrap().page, None);
    assert!(unlimited(json!({"scene": "a", "page": "sub-pkg/pages/a_b.c/x"})).is_ok());
    for bad in [
        "/pages/index/index",
        "pages/index/index?a=1",
        "pages//index",
        "pages/index/",
        "pages/in dex",
        "pages/首页",
        "pages\\index",
    ] {
        assert_names(unlimited(json!({"scene": "a", "page": bad})), "page");
    }
    assert_names(unlimited(json!({"scene": "a", "page": "p".repeat(1025)})), "page");
    assert_names(unlimited(json!({"scene": "a", "page": 1})), "page");
}

#[test]
fn the_width_is_a_whole_number_from_280_to_1280() {
    for ok in [280, 430, 1280] {
        assert_eq!(unlimited(json!({"scene": "a", "width": ok})).unwrap().style.width, ok);
    }
    for bad in [
        json!(279),
        json!(1281),
        json!(-1),
        json!(0),
        json!(430.5),
        json!(430.0),
        json!("430"),
        json!(true),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(1e300),
    ] {
        assert_names(unlimited(json!({"scene": "a", "width": bad})), "width");
    }
}

#[test]
fn env_version_is_release_trial_or_develop() {
    for ok in ["release", "trial", "develop"] {
        assert_eq!(unlimited(json!({"scene": "a", "env_version": ok})).unwrap().env_version.as_str(), ok);
    }
    for bad in [json!(""), json!("Release"), json!("prod"), json!(1)] {
        assert_names(unlimited(json!({"scene": "a", "env_version": bad})), "env_version");
    }
}

#[test]
fn booleans_must_be_json_booleans() {
    for field in ["check_path", "auto_color", "is_hyaline"] {
        for bad in [json!("false"), json!(0), json!("true"), json!({})] {
            let mut body = obj(json!({"scene": "a"}));
            body.insert(field.into(), bad);
            assert_names(UnlimitedCode::parse(&body), field);
        }
    }
}

#[test]
fn line_color_is_three_integers_from_0_to_255() {
    let parse = |c: Value| unlimited(json!({"scene": "a", "line_color": c}));
    assert_eq!(parse(json!({"r": 1, "g": 2, "b": 3})).unwrap().style.line_color, LineColor { r: 1, g: 2, b: 3 });
    assert_names(parse(json!("#000000")), "line_color");
    assert_names(parse(json!([0, 0, 0])), "line_color");
    assert_names(parse(json!({"r": 0, "b": 0})), "line_color.g");
    assert_names(parse(json!({"r": 256, "g": 0, "b": 0})), "line_color.r");
    assert_names(parse(json!({"r": 0, "g": -1, "b": 0})), "line_color.g");
    assert_names(parse(json!({"r": 0, "g": 0, "b": "0"})), "line_color.b");
    assert_names(parse(json!({"r": 0, "g": 0, "b": 0.5})), "line_color.b");
    assert_names(parse(json!({"r": 0, "g": 0, "b": 0, "a": 0})), "line_color.a");
}

#[test]
fn an_unknown_field_is_refused_by_name() {
    assert_names(unlimited(json!({"scene": "a", "widht": 500})), "widht");
    assert_names(unlimited(json!({"scene": "a", "path": "pages/index/index"})), "path");
    assert_names(LimitedCode::parse(&obj(json!({"path": "p", "scene": "a"}))), "scene");
    assert_names(ClassicCode::parse(&obj(json!({"path": "p", "is_hyaline": true}))), "is_hyaline");
}

#[test]
fn cache_keys_ignore_field_order_and_explicit_defaults() {
    let short = unlimited(json!({"scene": "x", "page": "pages/a/a"})).unwrap();
    let long: Map<String, Value> = serde_json::from_str(
        r#"{"is_hyaline":false,"line_color":{"b":0,"g":0,"r":0},"width":430,"auto_color":false,
            "env_version":"release","check_path":true,"page":"pages/a/a","scene":"x"}"#,
    )
    .unwrap();
    let long = UnlimitedCode::parse(&long).unwrap();
    let key = short.cache_key("wx1");
    assert_eq!(key, long.cache_key("wx1"));
    let hash = key.strip_prefix("qr:unlimited:wx1:").expect("prefix");
    assert!(hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_ne!(key, short.cache_key("wx2"));
    assert_ne!(key, unlimited(json!({"scene": "y", "page": "pages/a/a"})).unwrap().cache_key("wx1"));
    assert_ne!(key, unlimited(json!({"scene": "x", "page": "pages/a/a", "width": 431})).unwrap().cache_key("wx1"));
}

#[test]
fn line_color_does_not_split_the_cache_when_auto_color_is_on() {
    let a = unlimited(json!({"scene": "x", "auto_color": true, "line_color": {"r": 9, "g": 9, "b": 9}})).unwrap();
    let b = unlimited(json!({"scene": "x", "auto_color": true})).unwrap();
    assert_eq!(a.cache_key("wx1"), b.cache_key("wx1"));
    let c = unlimited(json!({"scene": "x", "line_color": {"r": 9, "g": 9, "b": 9}})).unwrap();
    assert_ne!(c.cache_key("wx1"), unlimited(json!({"scene": "x"})).unwrap().cache_key("wx1"));
}

#[test]
fn codes_of_different_kinds_never_share_a_key() {
    let a = LimitedCode::parse(&obj(json!({"path": "pages/a/a"}))).unwrap();
    let c = ClassicCode::parse(&obj(json!({"path": "pages/a/a"}))).unwrap();
    assert!(a.cache_key("wx1").starts_with("qr:limited:wx1:"));
    assert!(c.cache_key("wx1").starts_with("qr:classic:wx1:"));
}

#[test]
fn a_limited_code_takes_a_path_with_a_query() {
    let code = LimitedCode::parse(&obj(json!({"path": "pages/a/a?id=1&x=中", "is_hyaline": true}))).unwrap();
    assert_eq!(
        code.wechat_body(),
        json!({"path": "pages/a/a?id=1&x=中", "env_version": "release", "width": 430, "auto_color": false,
               "line_color": {"r": 0, "g": 0, "b": 0}, "is_hyaline": true})
    );
    assert!(code.is_png());
    let reordered = obj(json!({"is_hyaline": true, "width": 430, "path": "pages/a/a?id=1&x=中"}));
    assert_eq!(LimitedCode::parse(&reordered).unwrap().cache_key("wx"), code.cache_key("wx"));
}

#[test]
fn a_limited_path_is_required_and_at_most_1024_bytes() {
    let parse = |v: Value| LimitedCode::parse(&obj(v));
    assert!(parse(json!({"path": format!("p?{}", "a".repeat(1022))})).is_ok());
    for bad in [
        json!({}),
        json!({"path": ""}),
        json!({"path": 5}),
        json!({"path": format!("p?{}", "a".repeat(1023))}),
        json!({"path": "/pages/a/a"}),
        json!({"path": "?a=1"}),
        json!({"path": "pages/a/a?a=1 2"}),
        json!({"path": "pages/a/a?a=\n"}),
    ] {
        assert_names(parse(bad), "path");
    }
    assert_names(parse(json!({"path": "p", "width": 100})), "width");
    assert_names(parse(json!({"path": "p", "env_version": "x"})), "env_version");
    assert_names(parse(json!({"path": "p", "line_color": {"r": 0}})), "line_color.g");
}

#[test]
fn a_classic_code_takes_a_path_of_at_most_128_bytes_and_a_width() {
    let parse = |v: Value| ClassicCode::parse(&obj(v));
    let code = parse(json!({"path": "pages/a/a?x=1", "width": 300})).unwrap();
    assert_eq!(code.wechat_body(), json!({"path": "pages/a/a?x=1", "width": 300}));
    assert_eq!(parse(json!({"path": "p"})).unwrap().wechat_body(), json!({"path": "p", "width": 430}));
    assert!(!code.is_png());
    assert!(parse(json!({"path": "p".repeat(128)})).is_ok());
    assert_names(parse(json!({"path": "p".repeat(129)})), "path");
    assert_names(parse(json!({"path": "p", "width": "300"})), "width");
}

#[test]
fn images_are_told_apart_by_their_first_bytes() {
    assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some("image/jpeg"));
    assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some("image/png"));
    assert_eq!(sniff_image(br#"{"errcode":40169}"#), None);
    assert_eq!(sniff_image(b""), None);
    assert_eq!(sniff_image(&[0xFF, 0xD8]), None);
    assert_eq!(sniff_image(b"\x89PNG"), None);
}

#[test]
fn an_etag_is_a_quoted_32_digit_hash() {
    let tag = etag(b"image bytes");
    assert_eq!(tag.len(), 34);
    assert!(tag.starts_with('"') && tag.ends_with('"'));
    assert!(tag[1..33].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(tag, etag(b"image bytes"));
    assert_ne!(tag, etag(b"other bytes"));
    assert_eq!(etag(b""), "\"e3b0c44298fc1c149afbf4c8996fb924\"");
}

#[test]
fn if_none_match_handles_star_lists_and_weak_tags() {
    let tag = etag(b"x");
    let bare = &tag[1..33];
    assert!(etag_matches(&tag, &tag));
    assert!(etag_matches("*", &tag));
    assert!(etag_matches(" * ", &tag));
    assert!(etag_matches(&format!("W/{tag}"), &tag));
    assert!(etag_matches(&format!("\"aaa\", W/\"b,c\",{tag}"), &tag));
    assert!(etag_matches(&format!("\"aaa\" , {tag} , \"bbb\""), &tag));
    assert!(etag_matches(bare, &tag), "an unquoted tag from a sloppy client still matches");
    assert!(!etag_matches("\"aaa\"", &tag));
    assert!(!etag_matches("", &tag));
    assert!(!etag_matches(",,", &tag));
    assert!(!etag_matches(&format!("\"x,{bare}\""), &tag), "a comma inside quotes does not split");
    assert!(!etag_matches(&tag, ""));
}

fn oa(value: Value) -> ApiResult<OaTicketQr> {
    OaTicketQr::parse(&obj(value))
}

#[test]
fn a_temporary_oa_code_defaults_to_60_seconds() {
    let qr = oa(json!({"scene_id": 123})).unwrap();
    assert_eq!(
        qr.wechat_body(),
        json!({"expire_seconds": 60, "action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}})
    );
    let qr = oa(json!({"scene_str": "promo-7", "expire_seconds": 2_592_000})).unwrap();
    assert_eq!(
        qr.wechat_body(),
        json!({"expire_seconds": 2_592_000, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "promo-7"}}})
    );
    assert!(oa(json!({"scene_id": -5})).is_ok());
}

#[test]
fn a_permanent_oa_code_has_no_expiry() {
    let qr = oa(json!({"scene_id": 100_000, "permanent": true})).unwrap();
    assert!(qr.is_permanent());
    assert_eq!(qr.wechat_body(), json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100_000}}}));
    let qr = oa(json!({"scene_str": "test", "permanent": true})).unwrap();
    assert_eq!(qr.wechat_body(), json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "test"}}}));
}

#[test]
fn oa_scene_rules_are_enforced_by_field() {
    assert_names(oa(json!({})), "scene_id");
    assert_names(oa(json!({"scene_id": 1, "scene_str": "a"})), "scene_str");
    assert_names(oa(json!({"scene_id": 0})), "scene_id");
    assert_names(oa(json!({"scene_id": 2_147_483_648_i64})), "scene_id");
    assert_names(oa(json!({"scene_id": "1"})), "scene_id");
    assert_names(oa(json!({"scene_id": 1.5})), "scene_id");
    assert_names(oa(json!({"scene_id": 100_001, "permanent": true})), "scene_id");
    assert_names(oa(json!({"scene_id": -1, "permanent": true})), "scene_id");
    assert_names(oa(json!({"scene_str": ""})), "scene_str");
    assert_names(oa(json!({"scene_str": "a".repeat(65)})), "scene_str");
    assert!(oa(json!({"scene_str": "中".repeat(64)})).is_ok());
    assert_names(oa(json!({"scene_str": "a\u{0}b"})), "scene_str");
    assert_names(oa(json!({"scene_str": 7})), "scene_str");
    assert_names(oa(json!({"scene_id": 1, "expire_seconds": 59})), "expire_seconds");
    assert_names(oa(json!({"scene_id": 1, "expire_seconds": 2_592_001})), "expire_seconds");
    assert_names(oa(json!({"scene_id": 1, "expire_seconds": "60"})), "expire_seconds");
    assert_names(oa(json!({"scene_id": 1, "permanent": true, "expire_seconds": 60})), "expire_seconds");
    assert_names(oa(json!({"scene_id": 1, "permanent": "yes"})), "permanent");
    assert_names(oa(json!({"scene_id": 1, "action_name": "QR_SCENE"})), "action_name");
}

#[test]
fn no_input_makes_a_parser_panic() {
    let odd = [
        json!(null),
        json!(true),
        json!(-1),
        json!(0),
        json!(1e308),
        json!(-1e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!(""),
        json!("\u{0}"),
        json!("\u{FEFF}/?#%"),
        json!("é".repeat(2000)),
        json!([]),
        json!({}),
        json!({"r": {"g": []}}),
    ];
    let names = [
        "scene",
        "page",
        "path",
        "width",
        "check_path",
        "env_version",
        "auto_color",
        "line_color",
        "is_hyaline",
        "scene_id",
        "scene_str",
        "expire_seconds",
        "permanent",
        "\u{0}",
        "",
    ];
    for name in names {
        for value in &odd {
            for base in [json!({}), json!({"scene": "a", "path": "p", "scene_id": 1})] {
                let mut body = obj(base);
                body.insert(name.into(), value.clone());
                let _ = UnlimitedCode::parse(&body).map(|c| c.cache_key("wx"));
                let _ = LimitedCode::parse(&body).map(|c| c.cache_key("wx"));
                let _ = ClassicCode::parse(&body).map(|c| c.cache_key("wx"));
                let _ = OaTicketQr::parse(&body).map(|c| c.wechat_body());
            }
        }
    }
    for header in ["", "\"", "W/", "W/\"", "\"\"", ",", "é,\"é", "*,*"] {
        let _ = etag_matches(header, "\"x\"");
        let _ = etag_matches("\"x\"", header);
    }
}

#[test]
fn an_image_cut_short_is_not_complete() {
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, 0xFF, 0xD9];
    assert!(image_is_complete(&jpeg));
    assert!(!image_is_complete(&jpeg[..7]));
    let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 9, 9];
    png.extend_from_slice(&[0, 0, 0, 0, b'I', b'E', b'N', b'D', 0xAE, 0x42, 0x60, 0x82]);
    assert!(image_is_complete(&png));
    assert!(!image_is_complete(&png[..png.len() - 3]));
    assert!(!image_is_complete(b"{\"errcode\":0}"));
}
