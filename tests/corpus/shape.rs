//! Compares the JSON the worker forwarded with the push it was given: strict on structure (an
//! object stays an object with the same fields, a list stays a list of the same length — one
//! `<item>` included), tolerant on scalar leaves (XML has no numbers, so `"1"` and `1` agree, as
//! do `"119.385040"` and `119.38504`).

use serde_json::Value;

/// Names WeChat may repeat among siblings (wechat-oa.md §7.2): a single one may be read as an
/// object or as a one-element list, since the documents do not settle which.
const MAY_REPEAT: [&str; 3] = ["List", "detail", "AroundBeacon"];

/// Every way `actual` differs from `expected`; empty when it carries the push intact. Fields
/// the worker adds at the top level are allowed (its own metadata); nowhere else.
pub fn differences(expected: &Value, actual: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk("", expected, actual, &mut out);
    out
}

fn walk(path: &str, expected: &Value, actual: &Value, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (name, value) in e {
                let here = if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                match a.get(name) {
                    None => out.push(format!("{here} is missing")),
                    Some(got) => walk(&here, value, got, out),
                }
            }
            if !path.is_empty() {
                for name in a.keys().filter(|k| !e.contains_key(*k)) {
                    out.push(format!("{path}.{name} is not in the push"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!("{path} has {} entries, the push {}", a.len(), e.len()));
                return;
            }
            for (i, (e, a)) in e.iter().zip(a).enumerate() {
                walk(&format!("{path}[{i}]"), e, a, out);
            }
        }
        (Value::Object(_), Value::Array(a)) if a.len() == 1 && may_repeat(path) => {
            walk(&format!("{path}[0]"), expected, &a[0], out)
        }
        (Value::Array(e), Value::Object(_)) if e.len() == 1 && may_repeat(path) => walk(path, &e[0], actual, out),
        (e, a) if is_scalar(e) && is_scalar(a) => {
            if !same_scalar(e, a) {
                out.push(format!("{path} is {a}, the push has {e}"));
            }
        }
        (e, a) => out.push(format!("{path} is {}, the push has {}", kind(a), kind(e))),
    }
}

fn may_repeat(path: &str) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path);
    MAY_REPEAT.contains(&last)
}

fn is_scalar(v: &Value) -> bool {
    !matches!(v, Value::Object(_) | Value::Array(_))
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "an object",
        Value::Array(_) => "a list",
        Value::Null => "null",
        _ => "a scalar",
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Equal as text, or as the same integer (exactly: MsgIds exceed 2^53), or the same decimal.
fn same_scalar(e: &Value, a: &Value) -> bool {
    if matches!(a, Value::Null) != matches!(e, Value::Null) {
        return false;
    }
    let (e, a) = (text(e), text(a));
    if e == a {
        return true;
    }
    if let (Ok(x), Ok(y)) = (e.trim().parse::<u64>(), a.trim().parse::<u64>()) {
        return x == y;
    }
    matches!((e.trim().parse::<f64>(), a.trim().parse::<f64>()), (Ok(x), Ok(y)) if x == y)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_as_text_agree_but_flattened_structure_does_not() {
        let push = json!({"CreateTime": "12", "SendPicsInfo": {"Count": "1", "PicList": [{"PicMd5Sum": "x"}]}});
        let good = json!({"CreateTime": 12, "SendPicsInfo": {"Count": 1, "PicList": [{"PicMd5Sum": "x"}]}, "AppId": "wx"});
        let flat = json!({"CreateTime": 12, "SendPicsInfo": {"Count": 1, "PicList": {"item": {"PicMd5Sum": "x"}}}});
        assert!(differences(&push, &good).is_empty());
        assert_eq!(differences(&push, &flat), ["SendPicsInfo.PicList is an object, the push has a list"]);
    }

    #[test]
    fn a_single_list_may_be_either_but_items_may_not() {
        let push = json!({"E": {"List": {"T": "a"}}, "P": [{"M": "x"}]});
        let listed = json!({"E": {"List": [{"T": "a"}]}, "P": {"M": "x"}});
        assert_eq!(differences(&push, &listed), ["P is an object, the push has a list"]);
    }
}
