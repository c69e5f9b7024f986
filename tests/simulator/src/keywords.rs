//! Subscribe-message keywords (wechat-api.md §10.1): a template's content names its keywords as
//! `{{thing1.DATA}}`, the type being the name without its number, and each type limits what a
//! value may be. A value breaking its rule is WeChat's 47003, the errmsg naming the field.

/// The keyword types of §10.1.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeywordType {
    Thing,
    Number,
    Letter,
    Symbol,
    CharacterString,
    Time,
    Date,
    Amount,
    PhoneNumber,
    CarNumber,
    Name,
    Phrase,
    Enum,
    /// A type the table does not list: only the common rules apply.
    Other,
}

impl KeywordType {
    /// `character_string2` → CharacterString.
    pub fn of_key(key: &str) -> KeywordType {
        match key.trim_end_matches(|c: char| c.is_ascii_digit()) {
            "thing" => KeywordType::Thing,
            "number" => KeywordType::Number,
            "letter" => KeywordType::Letter,
            "symbol" => KeywordType::Symbol,
            "character_string" => KeywordType::CharacterString,
            "time" => KeywordType::Time,
            "date" => KeywordType::Date,
            "amount" => KeywordType::Amount,
            "phone_number" => KeywordType::PhoneNumber,
            "car_number" => KeywordType::CarNumber,
            "name" => KeywordType::Name,
            "phrase" => KeywordType::Phrase,
            "enum" => KeywordType::Enum,
            _ => KeywordType::Other,
        }
    }
}

/// The keywords of a template's content, in order, each once.
pub fn keys_in_content(content: &str) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut rest = content;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        if let Some(key) = after[..end].strip_suffix(".DATA") {
            let named = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if named && !keys.iter().any(|k| k == key) {
                keys.push(key.to_string());
            }
        }
        rest = &after[end + 2..];
    }
    keys
}

/// Han characters (the CJK blocks WeChat's "汉字" covers in practice).
pub fn is_chinese(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0xF900..=0xFAFF)
}

/// Punctuation and other visible non-alphanumerics (ASCII or full-width), but not Han.
fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !c.is_control() && !is_chinese(c)
}

/// The currency signs an `amount` may start with.
const CURRENCY_SIGNS: &[char] = &['¥', '￥', '$', '€', '£', '₩', '₹', '₽', '฿', '₫', '₱', '₺', '₴', '₦', '₪', '¢'];

const TIME_RULE: &str = "a 24-hour time (hh:mm, after a date or not; a range joined by ~)";
const DATE_RULE: &str = "a date (y年m月d日, y-m-d, y/m/d or y.m.d, with a time or not; ranges ~)";
const AMOUNT_RULE: &str = "a currency sign and at most 10 digits (decimals, a trailing 元)";

/// Checks one value against its keyword's rule; the error completes `data.<key>.value …`.
pub fn check_value(key: &str, value: &str, enum_values: Option<&[String]>) -> Result<(), String> {
    if value.is_empty() {
        return Err("is empty".into());
    }
    if value.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    let chars = value.chars().count();
    let at_most = |max: usize| match chars > max {
        true => Err(format!("is longer than {max} characters")),
        false => Ok(()),
    };
    let must = |ok: bool, rule: &str| match ok {
        true => Ok(()),
        false => Err(format!("must be {rule}")),
    };
    let only = |allowed: fn(char) -> bool| value.chars().all(allowed);
    match KeywordType::of_key(key) {
        KeywordType::Thing | KeywordType::Other => at_most(20),
        KeywordType::Number => at_most(32).and(must(is_decimal(value), "digits (decimals allowed)")),
        KeywordType::Letter => at_most(32).and(must(only(|c| c.is_ascii_alphabetic()), "letters")),
        KeywordType::Symbol => at_most(5).and(must(only(is_symbol), "symbols")),
        KeywordType::CharacterString => {
            let ok = only(|c| c.is_ascii_alphanumeric() || is_ascii_symbol(c));
            at_most(32).and(must(ok, "digits, letters or symbols"))
        }
        KeywordType::Time => must(each_of_range(value, |p| timestamp(p, true)), TIME_RULE),
        KeywordType::Date => must(each_of_range(value, |p| timestamp(p, false)), DATE_RULE),
        KeywordType::Amount => must(is_amount(value), AMOUNT_RULE),
        KeywordType::PhoneNumber => {
            let ok = only(|c| c.is_ascii_digit() || is_ascii_symbol(c) || c == ' ');
            at_most(17).and(must(ok, "digits and symbols"))
        }
        KeywordType::CarNumber => {
            let last = chars.saturating_sub(1);
            let ok =
                value.chars().enumerate().all(|(i, c)| c.is_ascii_alphanumeric() || ((i == 0 || i == last) && is_chinese(c)));
            at_most(8).and(must(ok, "letters and digits, Chinese first or last only"))
        }
        KeywordType::Name => {
            // Pure Chinese up to 10, pure letters up to 20; a mix counts a Han character as two.
            let chinese = value.chars().filter(|c| is_chinese(*c)).count();
            if chinese * 2 + (chars - chinese) > 20 {
                let max = if chinese == chars { 10 } else { 20 };
                return Err(format!("is longer than {max} characters"));
            }
            must(only(|c| is_chinese(c) || c.is_alphabetic() || " ·.".contains(c)), "a name")
        }
        KeywordType::Phrase => at_most(5).and(must(only(is_chinese), "Chinese characters")),
        KeywordType::Enum => match enum_values {
            Some(allowed) if allowed.iter().any(|a| a == value) => Ok(()),
            Some(allowed) => Err(format!("must be one of: {}", allowed.join(", "))),
            None => at_most(20),
        },
    }
}

fn is_ascii_symbol(c: char) -> bool {
    c.is_ascii() && is_symbol(c)
}

fn is_decimal(s: &str) -> bool {
    let (whole, fraction) = s.split_once('.').unwrap_or((s, "0"));
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    digits(whole) && digits(fraction)
}

fn is_amount(value: &str) -> bool {
    let Some(sign) = value.chars().next().filter(|c| CURRENCY_SIGNS.contains(c)) else {
        return false;
    };
    let number = value[sign.len_utf8()..].strip_suffix('元').unwrap_or(&value[sign.len_utf8()..]);
    let digits = number.bytes().filter(u8::is_ascii_digit).count();
    is_decimal(number) && digits <= 10
}

/// Every part of a `~` range passes.
fn each_of_range(value: &str, part_ok: impl Fn(&str) -> bool) -> bool {
    value.split('~').all(|part| part_ok(part.trim()))
}

/// A date and/or a time: `[date][ ][hh:mm[:ss]]`. With `time_needed` the time must be there
/// (a `time` keyword); otherwise the date must (a `date` keyword).
fn timestamp(part: &str, time_needed: bool) -> bool {
    let (date, time) = match part.rsplit_once(' ') {
        Some((d, t)) => (Some(d.trim()), Some(t)),
        None if part.contains(':') => (None, Some(part)),
        None => (Some(part), None),
    };
    let date_ok = date.is_none_or(is_date);
    let time_ok = time.is_none_or(is_time);
    date_ok && time_ok && if time_needed { time.is_some() } else { date.is_some() }
}

fn is_date(s: &str) -> bool {
    let numbers: Vec<&str> = if let Some(rest) = s.strip_suffix('日') {
        rest.split(['年', '月']).collect()
    } else {
        s.split(['-', '/', '.']).collect()
    };
    let [y, m, d] = numbers.as_slice() else {
        return false;
    };
    let parsed = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>());
    let (Ok(y), Ok(m), Ok(d)) = parsed else {
        return false;
    };
    y >= 1000 && crate::dates::Date::new(y, m, d).is_some()
}

fn is_time(s: &str) -> bool {
    let parts: Vec<&str> = s.split(':').collect();
    let field = |p: &str, max: u32| p.len() <= 2 && !p.is_empty() && p.parse::<u32>().is_ok_and(|n| n <= max);
    match parts.as_slice() {
        [h, m] => field(h, 23) && field(m, 59),
        [h, m, s] => field(h, 23) && field(m, 59) && field(s, 59),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_come_from_the_content_in_order() {
        let content = "商品名称:{{thing1.DATA}}\n单号:{{character_string2.DATA}}\n{{thing1.DATA}}{{bad}}";
        assert_eq!(keys_in_content(content), ["thing1", "character_string2"]);
        assert_eq!(KeywordType::of_key("character_string2"), KeywordType::CharacterString);
        assert_eq!(KeywordType::of_key("foo3"), KeywordType::Other);
    }

    #[test]
    fn values_that_follow_the_rules_pass() {
        let good = "thing1=无线键盘|number1=3.25|letter1=ABC|symbol1=%|character_string1=A-017|\
            time1=15:01|time1=2024年5月1日 15:01|time1=2019-10-01 10:00~2019-10-01 12:00|\
            date1=2024-05-01|date1=2024年5月1日|date1=2024/5/1 15:01|amount1=¥199.00|amount1=$5元|\
            phone_number1=+86-0766-66888866|car_number1=粤A8Z888|name1=张三|name1=Zhang San|\
            phrase1=已受理";
        for pair in good.split('|') {
            let (key, value) = pair.split_once('=').unwrap();
            assert_eq!(check_value(key, value, None), Ok(()), "{key}={value}");
        }
    }

    #[test]
    fn values_that_break_the_rules_say_why() {
        let long = "这是一个超过二十个字的商品名称用来测试长度限制";
        assert_eq!(check_value("thing1", long, None).unwrap_err(), "is longer than 20 characters");
        assert_eq!(check_value("thing1", "", None).unwrap_err(), "is empty");
        let bad = "number1=12a|letter1=AB1|symbol1=%%%%%%|character_string1=中文|time1=25:00|\
            time1=2024年5月1日|date1=2024-02-30|amount1=199.00|amount1=¥12345678901|\
            phone_number1=123456789012345678|car_number1=A粤8Z888|name1=张三李四王五赵六钱七孙|\
            phrase1=已经完成了的|phrase1=ok|thing1=a\u{7}b";
        for pair in bad.split('|') {
            let (key, value) = pair.split_once('=').unwrap();
            assert!(check_value(key, value, None).is_err(), "{key}={value}");
        }
        let allowed = ["已通过".to_string(), "未通过".to_string()];
        assert_eq!(check_value("enum3", "已取消", Some(&allowed)).unwrap_err(), "must be one of: 已通过, 未通过");
    }
}
