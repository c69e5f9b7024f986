use super::*;

fn field_of(result: ApiResult<()>) -> String {
    result.expect_err("refused").message
}

#[test]
fn out_trade_no_takes_6_to_32_of_its_charset() {
    assert!(out_trade_no("out_trade_no", "A1_b-|*").is_ok());
    assert!(out_trade_no("out_trade_no", &"9".repeat(32)).is_ok());
    assert!(field_of(out_trade_no("out_trade_no", "12345")).starts_with("`out_trade_no`"));
    assert!(out_trade_no("out_trade_no", &"9".repeat(33)).is_err());
    assert!(out_trade_no("out_trade_no", "order@1").is_err());
    assert!(out_trade_no("out_trade_no", "订单号123456").is_err());
}

#[test]
fn out_refund_no_also_takes_at_signs() {
    assert!(out_refund_no("out_refund_no", "r@1").is_ok());
    assert!(out_refund_no("out_refund_no", "").is_err());
    assert!(out_refund_no("out_refund_no", &"r".repeat(65)).is_err());
}

#[test]
fn amounts_are_positive_and_bounded() {
    assert_eq!(amount("amount.total", 1), Ok(1));
    assert_eq!(amount("amount.total", MAX_AMOUNT_FEN), Ok(MAX_AMOUNT_FEN));
    assert!(amount("amount.total", 0).unwrap_err().message.contains("amount.total"));
    assert!(amount("amount.total", MAX_AMOUNT_FEN + 1).is_err());
}

#[test]
fn text_counts_characters_and_refuses_emoji_and_controls() {
    assert!(text("description", "腾讯充值中心-QQ会员充值", 1, 127).is_ok());
    assert!(text("description", &"字".repeat(127), 1, 127).is_ok());
    assert!(text("description", &"字".repeat(128), 1, 127).is_err());
    assert!(field_of(text("description", "", 1, 127)).contains("is required"));
    assert!(field_of(text("description", "cake 🎂", 1, 127)).contains("emoji"));
    assert!(text("description", "a\u{0}b", 1, 127).is_err());
}

#[test]
fn notify_urls_are_https_without_query_or_loopback_http() {
    assert!(notify_url("notify_url", "https://example.com/wechat/pay/notify", 255).is_ok());
    assert!(notify_url("notify_url", "http://127.0.0.1:8787/wechat/pay/notify", 255).is_ok());
    assert!(notify_url("notify_url", "http://localhost/wechat/pay/notify", 255).is_ok());
    assert!(notify_url("notify_url", "http://example.com/notify", 255).is_err());
    assert!(field_of(notify_url("notify_url", "https://example.com/notify?x=1", 255)).contains("query"));
    assert!(notify_url("notify_url", "https://example.com/n#f", 255).is_err());
    assert!(notify_url("notify_url", "/wechat/pay/notify", 255).is_err());
    assert!(notify_url("notify_url", "https:///path", 255).is_err());
    assert!(notify_url("notify_url", &format!("https://e.com/{}", "a".repeat(250)), 255).is_err());
}

#[test]
fn identifiers_have_their_charsets() {
    assert!(mchid("mchid", "1900007291").is_ok());
    assert!(mchid("mchid", "19000x7291").is_err());
    assert!(appid("appid", "wx2421b1c4370ec43b").is_ok());
    assert!(appid("appid", "wx 1").is_err());
    assert!(openid("payer.openid", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o").is_ok());
    assert!(openid("payer.openid", "").is_err());
    assert!(transaction_id("transaction_id", "4200000000202401010000000001").is_ok());
    assert!(transaction_id("transaction_id", "42x").is_err());
}

#[test]
fn rfc3339_times_parse_with_offsets_and_fractions() {
    assert_eq!(parse_rfc3339("1970-01-01T08:00:00+08:00"), Some(0));
    assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0));
    assert_eq!(parse_rfc3339("2022-12-15T13:29:35.120+08:00"), parse_rfc3339("2022-12-15T05:29:35Z"));
    assert_eq!(parse_rfc3339("2018-06-08T10:34:56-01:30"), parse_rfc3339("2018-06-08T12:04:56Z"));
    for bad in [
        "2018-06-08 10:34:56+08:00",
        "2018-02-30T10:34:56+08:00",
        "2018-06-08T24:00:00+08:00",
        "2018-06-08T10:34:56",
        "2018-06-08T10:34:56.+08:00",
        "2018-06-08T10:34:56+0800",
        "",
    ] {
        assert_eq!(parse_rfc3339(bad), None, "{bad}");
    }
    assert!(rfc3339("time_expire", "2018-06-08T10:34:56+08:00").is_ok());
}

#[test]
fn beijing_times_are_written_as_wechat_writes_them() {
    assert_eq!(beijing_rfc3339(0, None), "1970-01-01T08:00:00+08:00");
    assert_eq!(beijing_rfc3339(1671082175, Some(120)), "2022-12-15T13:29:35.120+08:00");
    let t = 1_722_850_421;
    assert_eq!(parse_rfc3339(&beijing_rfc3339(t, None)), Some(t));
    assert_eq!(parse_rfc3339(&beijing_rfc3339(t, Some(5))), Some(t));
}
