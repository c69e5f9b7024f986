//! Unit tests of `push/query.rs`.

use super::*;

#[test]
fn percent_escapes_and_plus_signs_are_decoded() {
    let pairs = parse_query("a=x%2By+z&b=%E4%B8%AD&c&d=%zz%4");
    assert_eq!(
        pairs,
        vec![("a".into(), "x+y z".into()), ("b".into(), "中".into()), ("c".into(), "".into()), ("d".into(), "%zz%4".into())]
    );
}

#[test]
fn the_first_of_repeated_parameters_wins() {
    let query = PushQuery::from_pairs([("nonce", "1"), ("nonce", "2"), ("other", "x")]);
    assert_eq!(query.nonce, Some("1"));
    assert_eq!(query.signature, None);
}
