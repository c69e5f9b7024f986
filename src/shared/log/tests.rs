use super::*;

#[test]
fn an_access_line_is_one_json_object_without_the_query() {
    let line = Access {
        request_id: "8f3a",
        method: "GET",
        path: "/wechat/push?signature=abc&nonce=1",
        route: Some("Push"),
        appid: Some("wx1"),
        status: 401,
        duration_ms: 3,
        error: Some("bad_signature"),
        errcode: None,
    }
    .line();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["level"], "warn");
    assert_eq!(v["path"], "/wechat/push");
    assert_eq!(v["status"], 401);
    assert_eq!(v["error"], "bad_signature");
    assert!(!line.contains("signature=abc") && !line.contains('\n'));
    assert_eq!(Access { status: 502, ..Access::default() }.level(), "error");
    assert_eq!(Access { status: 200, ..Access::default() }.level(), "info");
}
