use super::*;

#[test]
fn ids_carry_the_scene_and_a_secret() {
    let (scene, id) = new_attempt([0xab; 12], [0x01; 16]);
    assert_eq!(scene, format!("login_{}", "ab".repeat(12)));
    assert!(scene.len() <= 64, "scene_str is 1-64 characters");
    let (parsed_scene, secret) = parse_id(&id).unwrap();
    assert_eq!(parsed_scene, scene);
    assert_eq!(secret, "01".repeat(16));
    assert_eq!(parse_id("nope").unwrap_err().status, 404);
    assert_eq!(parse_id(&id.to_uppercase()).unwrap_err().status, 404);
}

#[test]
fn scenes_come_from_subscribe_and_scan_events() {
    let scene = format!("login_{}", "0f".repeat(12));
    // §6.2: a new follower's subscribe carries qrscene_<scene>; a follower's SCAN the bare scene.
    assert_eq!(login_scene(Some("subscribe"), Some(&format!("qrscene_{scene}"))), Some(scene.as_str()));
    assert_eq!(login_scene(Some("SCAN"), Some(&scene)), Some(scene.as_str()));
    // A plain follow, other QR codes, other events: not logins.
    assert_eq!(login_scene(Some("subscribe"), None), None);
    assert_eq!(login_scene(Some("subscribe"), Some("")), None);
    assert_eq!(login_scene(Some("SCAN"), Some("123123")), None);
    assert_eq!(login_scene(Some("subscribe"), Some("qrscene_123123")), None);
    assert_eq!(login_scene(Some("CLICK"), Some(&scene)), None);
    assert_eq!(login_scene(Some("SCAN"), Some("login_short")), None);
}
