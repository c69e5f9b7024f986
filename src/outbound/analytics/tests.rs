//! Unit tests of `outbound/analytics.rs`.

use super::*;

const TODAY: (i32, u32, u32) = (2017, 3, 20); // a Monday

fn check(report: Report, begin: &str, end: &str) -> Result<(), RangeError> {
    check_dates(report, begin, end, TODAY)
}

fn is_range_error(r: Result<(), RangeError>) -> bool {
    matches!(r, Err(RangeError::Range(_)))
}

#[test]
fn reports_are_found_by_wechat_name_or_alias() {
    for r in Report::ALL {
        assert_eq!(Report::from_name(r.name()), Some(r));
        assert_eq!(Report::from_name(r.alias()), Some(r));
        assert!(r.name().starts_with("getweanalysisappid"));
    }
    assert_eq!(Report::from_name("getweanalysisappiddailyvisittrend"), Some(Report::DailyVisitTrend));
    assert_eq!(Report::from_name("daily-visit-trend"), Some(Report::DailyVisitTrend));
    assert_eq!(Report::from_name("getweanalysisappidsomethingelse"), None);
    assert_eq!(Report::from_name(""), None);
}

#[test]
fn a_malformed_date_names_its_field() {
    let e = check(Report::DailyVisitTrend, "2017-03-13", "20170313");
    assert!(matches!(e, Err(RangeError::Format { field: "begin_date", .. })));
    let e = check(Report::DailyVisitTrend, "20170313", "20170231");
    assert!(matches!(e, Err(RangeError::Format { field: "end_date", .. })));
}

#[test]
fn a_day_report_takes_one_past_day() {
    assert_eq!(check(Report::DailyVisitTrend, "20170313", "20170313"), Ok(()));
    assert_eq!(check(Report::DailySummaryTrend, "20170319", "20170319"), Ok(()));
    assert!(is_range_error(check(Report::DailyVisitTrend, "20170313", "20170314")));
    assert!(is_range_error(check(Report::VisitPage, "20170320", "20170320")));
    assert!(is_range_error(check(Report::VisitDistribution, "20170321", "20170321")));
    assert!(is_range_error(check(Report::DailyRetainInfo, "20170314", "20170313")));
}

#[test]
fn a_week_report_takes_monday_to_sunday_of_a_past_week() {
    assert_eq!(check(Report::WeeklyVisitTrend, "20170306", "20170312"), Ok(()));
    assert_eq!(check(Report::WeeklyRetainInfo, "20170313", "20170319"), Ok(()));
    assert!(is_range_error(check(Report::WeeklyVisitTrend, "20170307", "20170313")));
    assert!(is_range_error(check(Report::WeeklyVisitTrend, "20170306", "20170313")));
    assert!(is_range_error(check(Report::WeeklyVisitTrend, "20170320", "20170326")));
}

#[test]
fn a_month_report_takes_a_whole_past_month() {
    assert_eq!(check(Report::MonthlyVisitTrend, "20170201", "20170228"), Ok(()));
    assert_eq!(check(Report::MonthlyRetainInfo, "20170101", "20170131"), Ok(()));
    assert_eq!(check_dates(Report::MonthlyVisitTrend, "20240201", "20240229", (2024, 3, 1)), Ok(()));
    assert!(is_range_error(check_dates(Report::MonthlyVisitTrend, "20240201", "20240228", (2024, 3, 1))));
    assert!(is_range_error(check(Report::MonthlyVisitTrend, "20170202", "20170228")));
    assert!(is_range_error(check(Report::MonthlyVisitTrend, "20170101", "20170228")));
    // March is not over on the 20th.
    assert!(is_range_error(check(Report::MonthlyVisitTrend, "20170301", "20170331")));
}

#[test]
fn the_portrait_takes_the_last_1_7_or_30_days() {
    for begin in ["20170319", "20170313", "20170218"] {
        assert_eq!(check(Report::UserPortrait, begin, "20170319"), Ok(()), "{begin}");
    }
    assert!(is_range_error(check(Report::UserPortrait, "20170312", "20170319")));
    assert!(is_range_error(check(Report::UserPortrait, "20170312", "20170318")));
    assert!(is_range_error(check(Report::UserPortrait, "20170320", "20170320")));
}

#[test]
fn range_errors_become_400s() {
    let e = check_range(Report::DailyVisitTrend, "20170313", "20170314", TODAY).unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (400, "invalid_date_range"));
    let e = check_range(Report::DailyVisitTrend, "x", "20170314", TODAY).unwrap_err();
    assert_eq!((e.status, e.code.as_ref()), (400, "invalid_field"));
    assert!(e.message.starts_with("`begin_date` must be a date as yyyymmdd"));
    assert!(check_range(Report::DailyVisitTrend, "20170313", "20170313", (2017, 2, 30)).is_err());
}
