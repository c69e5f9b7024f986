use super::*;

#[test]
fn the_official_example_signs_as_documented() {
    // JS-SDK doc 附录1, as asserted in wechatpy tests/test_client.py (wechat-oa.md §2.2).
    let sig = signature(
        "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        "Wm3WZYTPz0wzccnW",
        1414587457,
        "http://mp.weixin.qq.com?params=value",
    );
    assert_eq!(sig, "0f9de62fce790f9a083d5c99e95740ceb90c27ed");
}

#[test]
fn the_fragment_is_not_signed_and_origins_are_checked() {
    let allowed = vec!["https://shop.example.com".to_owned()];
    assert_eq!(page_url(&allowed, Some("https://shop.example.com/p?a=1#/cart")).unwrap(), "https://shop.example.com/p?a=1");
    assert_eq!(page_url(&allowed, Some("https://other.example.com/p")).unwrap_err().code, "origin_not_allowed");
    assert_eq!(page_url(&allowed, Some("not a url")).unwrap_err().code, "invalid_field");
    assert_eq!(page_url(&allowed, None).unwrap_err().code, "invalid_field");
}
