//! Unit tests of `routes.rs`.

use super::*;

#[test]
fn a_route_is_found_with_its_parameters() {
    assert_eq!(find("GET", "/health"), Found::Route(Route::Health, vec![]));
    assert_eq!(find("POST", "/wechat/push/wx123"), Found::Route(Route::Push, vec!["wx123"]));
    assert_eq!(find("POST", "/wechat/push"), Found::Route(Route::Push, vec![]));
    assert_eq!(find("POST", "/internal/qrcode/unlimited"), Found::Route(Route::InternalQrcode, vec!["unlimited"]));
}

#[test]
fn another_method_on_a_known_path_lists_the_allowed_ones() {
    assert_eq!(find("DELETE", "/wechat/push"), Found::MethodNotAllowed("GET, POST".into()));
    assert_eq!(find("POST", "/health"), Found::MethodNotAllowed("GET".into()));
    assert_eq!(find("GET", "/api/login"), Found::MethodNotAllowed("POST".into()));
}

#[test]
fn unknown_paths_are_not_found() {
    assert_eq!(find("GET", "/nope"), Found::NotFound);
    assert_eq!(find("POST", "/internal/qrcode/"), Found::NotFound);
    assert_eq!(find("POST", "/wechat/push/a/b"), Found::NotFound);
}
