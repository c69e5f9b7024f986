//! Unit tests of `outbound/security.rs`.

use super::*;
use serde_json::json;

const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

fn parse(v: Value) -> Result<TextCheck, ApiError> {
    TextCheck::parse(&v.as_object().cloned().unwrap_or_default())
}

#[test]
fn a_comment_check_becomes_a_version_2_body() {
    let check = parse(json!({"content": "hello world", "openid": OPENID, "scene": 2, "appid": "wx1"})).unwrap();
    assert_eq!(check.wechat_body(), json!({"content": "hello world", "version": 2, "scene": 2, "openid": OPENID}));
    assert_eq!((check.openid(), check.scene()), (OPENID, Scene::Comment));
}

#[test]
fn a_profile_check_may_carry_title_nickname_and_signature() {
    let v = json!({"content": "c", "openid": OPENID, "scene": 1, "title": "t", "nickname": "n", "signature": "s"});
    let body = parse(v).unwrap().wechat_body();
    assert_eq!(
        body,
        json!({"content": "c", "version": 2, "scene": 1, "openid": OPENID, "title": "t", "nickname": "n", "signature": "s"})
    );
}

#[test]
fn a_signature_is_only_for_profiles() {
    let e = parse(json!({"content": "c", "openid": OPENID, "scene": 3, "signature": "s"})).unwrap_err();
    assert_eq!(e.message, "`signature` is only for scene 1 (profile)");
    assert!(parse(json!({"content": "c", "openid": OPENID, "scene": 3, "title": "t"})).is_ok());
}

#[test]
fn content_is_1_to_2500_characters() {
    assert!(parse(json!({"content": "字".repeat(2500), "openid": OPENID, "scene": 4})).is_ok());
    let e = parse(json!({"content": "字".repeat(2501), "openid": OPENID, "scene": 4})).unwrap_err();
    assert_eq!(e.message, "`content` is longer than 2500 characters");
    assert_eq!(parse(json!({"content": "", "openid": OPENID, "scene": 4})).unwrap_err().message, "`content` must not be empty");
    assert_eq!(parse(json!({"openid": OPENID, "scene": 4})).unwrap_err().message, "`content` is required");
}

#[test]
fn scene_is_required_and_between_1_and_4() {
    assert!(parse(json!({"content": "c", "openid": OPENID})).unwrap_err().message.starts_with("`scene` is required"));
    for bad in [json!(0), json!(5), json!("2"), json!(2.5), json!(-1)] {
        let e = parse(json!({"content": "c", "openid": OPENID, "scene": bad})).unwrap_err();
        assert!(e.message.starts_with("`scene` must be 1"), "{bad}");
    }
    for n in 1..=4 {
        assert_eq!(parse(json!({"content": "c", "openid": OPENID, "scene": n})).unwrap().scene().number(), n);
    }
}

#[test]
fn openid_is_required() {
    assert_eq!(parse(json!({"content": "c", "scene": 2})).unwrap_err().message, "`openid` is required");
    assert!(parse(json!({"content": "c", "scene": 2, "openid": "bad id"})).is_err());
    assert!(parse(json!({"content": "c", "scene": 2, "openid": OPENID, "title": 5})).is_err());
}
