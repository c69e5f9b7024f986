use super::*;

#[test]
fn origins_are_normalised_as_browsers_do() {
    assert_eq!(origin_of("https://WWW.Example.com/a?b#c").as_deref(), Some("https://www.example.com"));
    assert_eq!(origin_of("https://example.com:443/").as_deref(), Some("https://example.com"));
    assert_eq!(origin_of("http://127.0.0.1:8080").as_deref(), Some("http://127.0.0.1:8080"));
    assert_eq!(origin_of("http://example.com:80?x").as_deref(), Some("http://example.com"));
}

#[test]
fn tricky_urls_have_no_origin() {
    for url in [
        "javascript:alert(1)",
        "//evil.com/",
        "https://good.com@evil.com/",
        "https://evil.com\\@good.com",
        "ftp://example.com",
        "https://",
        "https://ex ample.com",
        "https://example.com:99999999/",
        "https://example.com:/",
        "/relative",
    ] {
        assert_eq!(origin_of(url), None, "{url}");
    }
}

#[test]
fn the_list_is_checked_when_parsed() {
    assert_eq!(parse(None).unwrap(), Vec::<String>::new());
    assert_eq!(
        parse(Some(r#"["https://A.com/", "http://localhost:3000"]"#)).unwrap(),
        vec!["https://a.com", "http://localhost:3000"]
    );
    assert!(parse(Some("https://a.com")).unwrap_err().message.contains("WEB_ORIGINS"));
    assert!(parse(Some(r#"["https://a.com/app"]"#)).is_err(), "a path would never match");
    assert!(parse(Some(r#"["*"]"#)).is_err());
}

#[test]
fn only_listed_origins_are_allowed() {
    let list = parse(Some(r#"["https://shop.example.com"]"#)).unwrap();
    assert!(allowed(&list, "https://shop.example.com/cart?x=1#top"));
    assert!(!allowed(&list, "https://shop.example.com.evil.com/"));
    assert!(!allowed(&list, "http://shop.example.com/"));
    assert!(!allowed(&list, "https://shop.example.com@evil.com/"));
}
