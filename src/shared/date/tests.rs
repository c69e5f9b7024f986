//! Unit tests of `shared/date.rs`.

use super::*;

#[test]
fn leap_years_follow_the_gregorian_rule() {
    assert!(is_leap_year(2024) && is_leap_year(2000) && !is_leap_year(1900) && !is_leap_year(2023));
    assert_eq!(days_in_month(2024, 2), 29);
    assert_eq!(days_in_month(2023, 2), 28);
    assert_eq!(days_in_month(2023, 4), 30);
    assert_eq!(days_in_month(2023, 13), 0);
}

#[test]
fn day_numbers_round_trip_and_know_the_weekday() {
    assert_eq!(Date::new(1970, 1, 1).map(Date::days), Some(0));
    assert_eq!(Date::new(2000, 3, 1).map(Date::days), Some(11_017));
    for days in [-1000, 0, 11_016, 17_230, 19_782, 2_932_896] {
        let d = Date::from_days(days);
        assert_eq!(d.days(), days);
    }
    assert_eq!(Date::new(1970, 1, 1).map(Date::weekday), Some(4));
    assert_eq!(Date::new(2017, 3, 6).map(Date::weekday), Some(1));
    assert_eq!(Date::new(2017, 3, 12).map(Date::weekday), Some(7));
    assert_eq!(Date::new(2024, 2, 29).map(Date::weekday), Some(4));
    assert_eq!(Date::from_days(Date::new(2024, 2, 28).map(Date::days).unwrap_or(0) + 1).to_string(), "20240229");
}

#[test]
fn dates_must_be_eight_digit_calendar_dates() {
    assert!(Date::parse("20170313").is_ok());
    assert!(Date::parse("20240229").is_ok());
    for bad in ["2017-03-13", "2017031", "201703131", "20230229", "20171301", "20170100", "00000101", "２０１７０３１３", ""]
    {
        assert!(Date::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn today_is_taken_in_beijing_time() {
    // 2024-01-01T16:00:00Z is 2024-01-02 00:00 in Beijing.
    assert_eq!(today_from_unix(1_704_124_799), (2024, 1, 1));
    assert_eq!(today_from_unix(1_704_124_800), (2024, 1, 2));
    assert_eq!(today_from_unix(0), (1970, 1, 1));
    let _ = today_from_unix(u64::MAX);
}
