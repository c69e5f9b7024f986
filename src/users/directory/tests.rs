use super::*;

fn account(appid: &str, openid: &str, unionid: Option<&str>, first_seen: u64) -> Account {
    Account {
        appid: appid.into(),
        openid: openid.into(),
        unionid: unionid.map(Into::into),
        app_type: "miniprogram".into(),
        source: "login".into(),
        last_source: "login".into(),
        first_seen,
        last_seen: first_seen,
        following: None,
    }
}

#[test]
fn a_person_is_every_account_with_the_unionid_oldest_first() {
    let mp = account("wxmp", "o_mp", Some("u1"), 20);
    let oa = account("wxoa", "o_oa", Some("u1"), 10);
    let person = Person::assemble(mp.clone(), vec![mp.clone(), oa.clone()]);
    assert_eq!(person.unionid.as_deref(), Some("u1"));
    assert_eq!(person.accounts, vec![oa, mp]);
}

#[test]
fn an_account_without_a_unionid_is_a_person_of_one() {
    let mp = account("wxmp", "o_mp", None, 20);
    let person = Person::assemble(mp.clone(), Vec::new());
    assert_eq!(person.unionid, None);
    assert_eq!(person.accounts, vec![mp]);
}

#[test]
fn lookups_take_one_kind_of_key_and_plain_ids() {
    assert_eq!(Lookup::from_query(Some("u1"), None, None).unwrap(), Lookup::Unionid("u1".into()));
    assert_eq!(
        Lookup::from_query(None, Some("wx1"), Some("o-1_x")).unwrap(),
        Lookup::Account { appid: "wx1".into(), openid: "o-1_x".into() }
    );
    assert_eq!(Lookup::from_query(Some("u1"), Some("wx1"), None).unwrap_err().code, "invalid_query");
    assert_eq!(Lookup::from_query(None, None, None).unwrap_err().code, "invalid_query");
    assert_eq!(Lookup::from_query(None, None, Some("o1")).unwrap_err().code, "invalid_field");
    assert!(Lookup::from_query(Some("u1' OR 1=1"), None, None).unwrap_err().message.contains("unionid"));
    assert!(Lookup::from_query(None, Some("wx1"), Some(&"o".repeat(65))).unwrap_err().message.contains("openid"));
}

#[test]
fn rows_serialize_without_unknowns() {
    let row = account("wxmp", "o_mp", None, 1);
    let json = serde_json::to_value(&row).unwrap();
    assert!(json.get("unionid").is_none() && json.get("following").is_none());
}
