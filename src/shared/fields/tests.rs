//! Unit tests of `shared/fields.rs`.

use super::*;
use serde_json::json;

fn body(v: Value) -> Body {
    v.as_object().cloned().unwrap_or_default()
}

#[test]
fn string_fields_say_what_is_wrong() {
    let b = body(json!({"a": "x", "n": 3, "e": "", "z": null, "long": "abcdef"}));
    assert_eq!(required_str(&b, "a").unwrap(), "x");
    assert_eq!(required_str(&b, "n").unwrap_err().message, "`n` must be a string");
    assert_eq!(required_str(&b, "e").unwrap_err().message, "`e` must not be empty");
    assert_eq!(required_str(&b, "z").unwrap_err().message, "`z` is required");
    assert_eq!(required_str_as(&b, "z", "text.z").unwrap_err().message, "`text.z` is required");
    assert_eq!(opt_str(&b, "missing").unwrap(), None);
    assert!(bounded_str(&b, "long", 5).unwrap_err().message.contains("too long"));
    assert_eq!(bounded_str(&b, "long", 6).unwrap(), "abcdef");
}

#[test]
fn objects_booleans_and_numbers_are_typed_strictly() {
    let b = body(json!({"o": {"k": 1}, "s": "x", "t": true, "ts": "true", "i": 430, "f": 430.5, "big": 99999}));
    assert!(required_object(&b, "o").is_ok());
    assert_eq!(required_object(&b, "s").unwrap_err().message, "`s` must be an object");
    assert!(opt_bool(&b, "t", false).unwrap());
    assert!(opt_bool(&b, "ts", false).is_err());
    assert_eq!(opt_int(&b, "i", 280, 1280).unwrap(), Some(430));
    assert!(opt_int(&b, "f", 280, 1280).is_err());
    assert!(opt_int(&b, "big", 280, 1280).unwrap_err().message.contains("between 280 and 1280"));
    assert!(reject_unknown(&b, &["o"], "").unwrap_err().message.contains("not a known field"));
}

#[test]
fn a_page_is_a_relative_path_and_a_query_only_where_allowed() {
    assert!(check_page("page", "pages/index/index", PageQuery::Refused).is_ok());
    assert!(check_page("page", "pages/index/index?id=1", PageQuery::Refused).is_err());
    assert!(check_page("page", "pages/index/index?id=1&x=2", PageQuery::Allowed).is_ok());
    assert!(check_page("page", "pages/index/index?id= 1", PageQuery::Allowed).is_err());
    assert!(check_page("page", "/pages/index/index", PageQuery::Allowed).is_err());
    assert!(check_page("page", "pages//index", PageQuery::Allowed).is_err());
    assert!(check_page("page", "pages/index/", PageQuery::Refused).is_err());
    assert!(check_page("page", "pages/详情/index", PageQuery::Allowed).is_err());
    assert!(check_page("page", &"a".repeat(MAX_PAGE_LEN + 1), PageQuery::Allowed).is_err());
}
