//! Tests for `links.rs`: the WeChat bodies, and every rule by the field its error names.

use super::*;
use serde_json::json;

const NOW: i64 = 1_700_000_000;
const DAY: i64 = 86_400;

fn obj(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

fn scheme(value: Value) -> ApiResult<SchemeRequest> {
    SchemeRequest::parse_at(&obj(value), NOW)
}

fn urllink(value: Value) -> ApiResult<UrlLinkRequest> {
    UrlLinkRequest::parse_at(&obj(value), NOW)
}

#[track_caller]
fn assert_names<T: std::fmt::Debug>(result: ApiResult<T>, field: &str) {
    let e = result.expect_err("should be refused");
    assert_eq!((e.status, e.code.as_ref()), (400, "invalid_field"), "{e}");
    assert!(e.message.starts_with(&format!("`{field}` ")), "expected `{field}` in: {}", e.message);
}

#[test]
fn a_scheme_nests_its_target_under_jump_wxa() {
    let body = json!({"path": "pages/index/index", "query": "a=1&b=%E4", "env_version": "trial",
                      "expire_type": 0, "expire_time": NOW + DAY});
    assert_eq!(
        scheme(body).unwrap().wechat_body(),
        json!({"jump_wxa": {"path": "pages/index/index", "query": "a=1&b=%E4", "env_version": "trial"},
               "is_expire": true, "expire_type": 0, "expire_time": NOW + DAY})
    );
}

#[test]
fn a_url_link_is_flat() {
    let body = json!({"path": "pages/a/a", "expire_type": 1, "expire_interval": 7});
    assert_eq!(
        urllink(body).unwrap().wechat_body(),
        json!({"path": "pages/a/a", "env_version": "release", "is_expire": true, "expire_type": 1, "expire_interval": 7})
    );
}

#[test]
fn an_empty_body_is_the_home_page_for_30_days() {
    assert_eq!(
        scheme(json!({})).unwrap().wechat_body(),
        json!({"jump_wxa": {"env_version": "release"}, "is_expire": true, "expire_type": 1, "expire_interval": 30})
    );
    let empty = urllink(json!({"path": "", "query": "", "env_version": null})).unwrap();
    assert_eq!((empty.link.path, empty.link.query), (None, None));
}

#[test]
fn the_expire_type_follows_the_field_given() {
    assert_eq!(scheme(json!({"expire_time": NOW + 60})).unwrap().link.expiry, Expiry::At(NOW + 60));
    assert_eq!(scheme(json!({"expire_interval": 1})).unwrap().link.expiry, Expiry::AfterDays(1));
    assert_eq!(scheme(json!({"is_expire": true, "expire_interval": 30})).unwrap().link.expiry, Expiry::AfterDays(30));
}

#[test]
fn the_path_is_a_page_without_slash_or_query() {
    for bad in [json!("/pages/a/a"), json!("pages/a/a?x=1"), json!("pages//a"), json!("pages/a b"), json!(3)] {
        assert_names(scheme(json!({"path": bad.clone()})), "path");
        assert_names(urllink(json!({"path": bad})), "path");
    }
}

#[test]
fn the_query_is_at_most_1024_characters_of_the_documented_set() {
    assert!(scheme(json!({"query": "a".repeat(1024)})).is_ok());
    assert!(scheme(json!({"query": "0aZ!#$&'()*+,/:;=?@-._~%"})).is_ok());
    for bad in [json!("a".repeat(1025)), json!("a b"), json!("x=中"), json!("a\"b"), json!({"a": 1})] {
        assert_names(scheme(json!({"query": bad.clone()})), "query");
        assert_names(urllink(json!({"query": bad})), "query");
    }
}

#[test]
fn env_version_is_checked() {
    assert_names(scheme(json!({"env_version": "beta"})), "env_version");
    assert_names(urllink(json!({"env_version": ""})), "env_version");
}

#[test]
fn expire_time_must_be_within_the_next_30_days() {
    assert!(scheme(json!({"expire_time": NOW + 30 * DAY})).is_ok());
    for bad in [
        json!(NOW),
        json!(NOW - 1),
        json!(NOW + 30 * DAY + 1),
        json!(0),
        json!(-5),
        json!("1700000100"),
        json!(1.5e9),
        json!(u64::MAX),
    ] {
        assert_names(scheme(json!({"expire_type": 0, "expire_time": bad.clone()})), "expire_time");
        assert_names(urllink(json!({"expire_time": bad})), "expire_time");
    }
    // Without a clock only the shape is checked.
    assert!(SchemeRequest::parse(&obj(json!({"expire_time": 1}))).is_ok());
}

#[test]
fn expire_interval_is_1_to_30_days() {
    for bad in [json!(0), json!(31), json!(-1), json!("7"), json!(7.5)] {
        assert_names(scheme(json!({"expire_type": 1, "expire_interval": bad.clone()})), "expire_interval");
        assert_names(urllink(json!({"expire_interval": bad})), "expire_interval");
    }
}

#[test]
fn each_expire_type_needs_its_own_field_and_only_that() {
    assert_names(scheme(json!({"expire_type": 0})), "expire_time");
    assert_names(scheme(json!({"expire_type": 1})), "expire_interval");
    assert_names(scheme(json!({"expire_type": 0, "expire_time": NOW + 60, "expire_interval": 3})), "expire_interval");
    assert_names(scheme(json!({"expire_type": 1, "expire_time": NOW + 60, "expire_interval": 3})), "expire_time");
    assert_names(scheme(json!({"expire_time": NOW + 60, "expire_interval": 3})), "expire_type");
    assert_names(scheme(json!({"expire_type": 2})), "expire_type");
    assert_names(scheme(json!({"expire_type": "0"})), "expire_type");
}

#[test]
fn permanent_links_are_refused() {
    assert_names(scheme(json!({"is_expire": false})), "is_expire");
    assert_names(urllink(json!({"is_expire": "true"})), "is_expire");
}

#[test]
fn unknown_fields_are_refused_by_name() {
    assert_names(scheme(json!({"jump_wxa": {"path": "pages/a/a"}})), "jump_wxa");
    assert_names(urllink(json!({"cloud_base": {}})), "cloud_base");
    assert_names(urllink(json!({"expire_intreval": 3})), "expire_intreval");
}

#[test]
fn no_input_makes_a_parser_panic() {
    let odd = [
        json!(null),
        json!(true),
        json!(-1),
        json!(i64::MIN),
        json!(u64::MAX),
        json!(1e308),
        json!(""),
        json!("\u{0}%"),
        json!("é".repeat(1500)),
        json!([]),
        json!({}),
    ];
    for name in FIELDS {
        for value in &odd {
            let mut body = Map::new();
            body.insert((*name).into(), value.clone());
            for now in [i64::MIN, 0, NOW, i64::MAX] {
                let _ = SchemeRequest::parse_at(&body, now).map(|r| r.wechat_body());
                let _ = UrlLinkRequest::parse_at(&body, now).map(|r| r.wechat_body());
            }
        }
    }
}
