//! Unit tests of `shared/urls.rs`.

use super::*;

#[test]
fn a_call_url_is_the_base_the_path_and_the_encoded_params() {
    let u = WeChatUrl::build(
        "https://api.weixin.qq.com",
        "WECHAT_API_BASE",
        "/cgi-bin/token",
        &[("grant_type", "client_credential"), ("appid", "wx1")],
    )
    .unwrap();
    assert_eq!(u.as_str(), "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1");
    assert_eq!(u.path(), "/cgi-bin/token");
}

#[test]
fn params_are_form_urlencoded_like_the_url_crate_does() {
    let u = WeChatUrl::build("http://127.0.0.1:9000", "V", "/p", &[("a b", "x+y&z=1/2?#%中"), ("t", "gQH4-._*~")]).unwrap();
    assert_eq!(u.as_str(), "http://127.0.0.1:9000/p?a+b=x%2By%26z%3D1%2F2%3F%23%25%E4%B8%AD&t=gQH4-._*%7E");
    // and the decoder reads back exactly what was sent
    let pairs = parse_query(raw_query(u.as_str()));
    assert_eq!(pairs, vec![("a b".to_owned(), "x+y&z=1/2?#%中".to_owned()), ("t".to_owned(), "gQH4-._*~".to_owned())]);
}

#[test]
fn a_base_with_a_path_prefix_keeps_it_and_the_logged_path_includes_it() {
    let u = WeChatUrl::build("http://sim:8080/wechat", "V", "/sns/jscode2session", &[("js_code", "c")]).unwrap();
    assert_eq!(u.as_str(), "http://sim:8080/wechat/sns/jscode2session?js_code=c");
    assert_eq!(u.path(), "/wechat/sns/jscode2session");
    let bare = WeChatUrl::build("https://[::1]:8443", "V", "/x", &[]).unwrap();
    assert_eq!((bare.as_str(), bare.path()), ("https://[::1]:8443/x", "/x"));
}

#[test]
fn a_base_that_is_no_http_url_is_a_config_error_naming_the_variable() {
    for base in [
        "",
        "api.weixin.qq.com",
        "ftp://x",
        "https://",
        "https:///p",
        "https://:80",
        "https://h:port",
        "https://h:99999",
        "https://a b",
        "https://h?q",
        "https://u@h",
        "https://h#f",
    ] {
        let e = WeChatUrl::build(base, "WECHAT_MP_BASE", "/p", &[]).unwrap_err();
        assert_eq!(e.status, 500, "{base:?}");
        assert!(e.message.contains("WECHAT_MP_BASE"), "{base:?}: {}", e.message);
    }
}

#[test]
fn the_raw_query_stops_at_the_fragment_and_values_are_decoded() {
    assert_eq!(raw_query("https://h/p?a=1&b=%20x#frag?no"), "a=1&b=%20x");
    assert_eq!(raw_query("https://h/p"), "");
    assert_eq!(raw_query("https://h/p?"), "");
    assert_eq!(query_value("a=1&appid=wx%31&appid=wx2", "appid").as_deref(), Some("wx1"));
    assert_eq!(query_value("a=1", "appid"), None);
}
