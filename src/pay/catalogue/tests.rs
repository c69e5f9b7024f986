use super::*;

#[test]
fn a_catalogue_prices_its_products() {
    let c = Catalogue::parse(Some(
        r#"{"vip_month": {"amount": 1800, "description": "会员月卡"}, "coins.100": {"amount": 100, "description": "100 coins"}}"#,
    ))
    .unwrap();
    assert_eq!(c.len(), 2);
    assert_eq!(c.product("vip_month").unwrap(), &Product { amount: 1800, description: "会员月卡".into() });
    let unknown = c.product("vip_year").unwrap_err();
    assert_eq!((unknown.status, unknown.message.as_str()), (400, "`product_id` is not in the catalogue"));
}

#[test]
fn an_absent_catalogue_is_empty() {
    assert!(Catalogue::parse(None).unwrap().is_empty());
    assert!(Catalogue::parse(Some("  ")).unwrap().is_empty());
}

#[test]
fn bad_entries_are_configuration_errors_naming_the_product() {
    let bad = |raw: &str| Catalogue::parse(Some(raw)).unwrap_err().message;
    assert!(bad("[]").starts_with("PAY_CATALOGUE must be a JSON object"));
    assert!(bad(r#"{"a": {"amount": 0, "description": "x"}}"#).contains(r#"product "a": amount"#));
    assert!(bad(r#"{"a": {"amount": 1.5, "description": "x"}}"#).contains("whole number of fen"));
    assert!(bad(r#"{"a": {"amount": "100", "description": "x"}}"#).contains("amount"));
    assert!(bad(r#"{"a": {"amount": -1, "description": "x"}}"#).contains("amount"));
    assert!(bad(r#"{"a": {"amount": 100000001, "description": "x"}}"#).contains("amount"));
    assert!(bad(r#"{"a": {"amount": 1, "description": ""}}"#).contains("description"));
    let long = format!(r#"{{"a": {{"amount": 1, "description": "{}"}}}}"#, "x".repeat(128));
    assert!(bad(&long).contains("127 characters"));
    assert!(bad(r#"{"a b": {"amount": 1, "description": "x"}}"#).contains("the id must be"));
    assert!(bad(r#"{"a": {"amount": 1, "description": "x", "price": 2}}"#).starts_with("PAY_CATALOGUE must be"));
}
