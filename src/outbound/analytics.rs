//! Data analytics (wechat-api.md §11): the `datacube` reports and the date range each accepts,
//! checked before WeChat is called so a bad range is our 400 rather than a 61501 round trip.
//! WeChat's "yesterday" is Beijing's, so "today" is taken in UTC+8.
//!
//! The small calendar (days in a month, leap years, day numbers, weekdays) is here too, written
//! out rather than pulled in as a dependency.

use crate::error::ApiError;

/// WeChat's day turns at midnight Beijing time.
pub const BEIJING_OFFSET_SECS: u64 = 8 * 3600;

/// The `datacube` reports of §11.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Report {
    DailySummaryTrend,
    DailyVisitTrend,
    WeeklyVisitTrend,
    MonthlyVisitTrend,
    DailyRetainInfo,
    WeeklyRetainInfo,
    MonthlyRetainInfo,
    VisitDistribution,
    VisitPage,
    UserPortrait,
}

/// The range a report accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    /// One day: begin = end.
    Day,
    /// One natural week, Monday to Sunday.
    Week,
    /// One natural month, first to last day.
    Month,
    /// The last 1, 7 or 30 days, ending yesterday.
    Recent,
}

impl Report {
    pub const ALL: [Report; 10] = [
        Report::DailySummaryTrend,
        Report::DailyVisitTrend,
        Report::WeeklyVisitTrend,
        Report::MonthlyVisitTrend,
        Report::DailyRetainInfo,
        Report::WeeklyRetainInfo,
        Report::MonthlyRetainInfo,
        Report::VisitDistribution,
        Report::VisitPage,
        Report::UserPortrait,
    ];

    /// WeChat's name: the URL segment after `/datacube/`.
    pub fn name(self) -> &'static str {
        match self {
            Report::DailySummaryTrend => "getweanalysisappiddailysummarytrend",
            Report::DailyVisitTrend => "getweanalysisappiddailyvisittrend",
            Report::WeeklyVisitTrend => "getweanalysisappidweeklyvisittrend",
            Report::MonthlyVisitTrend => "getweanalysisappidmonthlyvisittrend",
            Report::DailyRetainInfo => "getweanalysisappiddailyretaininfo",
            Report::WeeklyRetainInfo => "getweanalysisappidweeklyretaininfo",
            Report::MonthlyRetainInfo => "getweanalysisappidmonthlyretaininfo",
            Report::VisitDistribution => "getweanalysisappidvisitdistribution",
            Report::VisitPage => "getweanalysisappidvisitpage",
            Report::UserPortrait => "getweanalysisappiduserportrait",
        }
    }

    /// Our short alias, for friendlier URLs (`/api/analytics/daily-visit-trend`).
    pub fn alias(self) -> &'static str {
        match self {
            Report::DailySummaryTrend => "daily-summary-trend",
            Report::DailyVisitTrend => "daily-visit-trend",
            Report::WeeklyVisitTrend => "weekly-visit-trend",
            Report::MonthlyVisitTrend => "monthly-visit-trend",
            Report::DailyRetainInfo => "daily-retain",
            Report::WeeklyRetainInfo => "weekly-retain",
            Report::MonthlyRetainInfo => "monthly-retain",
            Report::VisitDistribution => "visit-distribution",
            Report::VisitPage => "visit-page",
            Report::UserPortrait => "user-portrait",
        }
    }

    /// By WeChat's name or our alias.
    pub fn from_name(name: &str) -> Option<Report> {
        Report::ALL.into_iter().find(|r| r.name() == name || r.alias() == name)
    }

    pub fn period(self) -> Period {
        match self {
            Report::WeeklyVisitTrend | Report::WeeklyRetainInfo => Period::Week,
            Report::MonthlyVisitTrend | Report::MonthlyRetainInfo => Period::Month,
            Report::UserPortrait => Period::Recent,
            _ => Period::Day,
        }
    }
}

/// Why a range was refused, told apart the way WeChat does: 61500 for a malformed date,
/// 61501 for a range the report does not accept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RangeError {
    /// `field` (`begin_date` / `end_date`) is not a `yyyymmdd` calendar date.
    Format { field: &'static str, problem: String },
    /// Both dates are fine, the range is not.
    Range(String),
}

impl From<RangeError> for ApiError {
    fn from(e: RangeError) -> ApiError {
        match e {
            RangeError::Format { field, problem } => ApiError::invalid_field(field, &problem),
            RangeError::Range(message) => ApiError::bad_request("invalid_date_range", message),
        }
    }
}

/// [`check_dates`] as our error: 400 `invalid_field` naming the date for a bad format,
/// 400 `invalid_date_range` for a range the report does not accept.
pub fn check_range(report: Report, begin: &str, end: &str, today: (i32, u32, u32)) -> Result<(), ApiError> {
    check_dates(report, begin, end, today).map_err(ApiError::from)
}

/// The §11 rules: `yyyymmdd` calendar dates, ending yesterday at the latest; a day report
/// takes one day, a week report Monday..Sunday of one week, a month report the first..last day
/// of one month, the user portrait the last 1, 7 or 30 days ending yesterday.
pub fn check_dates(report: Report, begin: &str, end: &str, today: (i32, u32, u32)) -> Result<(), RangeError> {
    let b = Date::parse(begin).map_err(|problem| RangeError::Format { field: "begin_date", problem })?;
    let e = Date::parse(end).map_err(|problem| RangeError::Format { field: "end_date", problem })?;
    let today = Date::new(today.0, today.1, today.2)
        .ok_or_else(|| RangeError::Range("today is not a calendar date".to_owned()))?;
    let yesterday = today.days() - 1;
    if b.days() > e.days() {
        return Err(RangeError::Range(format!("begin_date {begin} is after end_date {end}")));
    }
    if e.days() > yesterday {
        return Err(RangeError::Range(format!(
            "end_date {end} is not over yet: data exists up to yesterday ({}, Beijing time)",
            Date::from_days(yesterday)
        )));
    }
    match report.period() {
        Period::Day if b != e => Err(RangeError::Range(format!("{} covers one day: begin_date must equal end_date", report.name()))),
        Period::Week if b.weekday() != 1 || e.days() - b.days() != 6 => Err(RangeError::Range(format!(
            "{} covers one week: begin_date must be a Monday and end_date the Sunday after it",
            report.name()
        ))),
        Period::Month if b.day != 1 || (e.year, e.month) != (b.year, b.month) || e.day != days_in_month(e.year, e.month) => {
            Err(RangeError::Range(format!(
                "{} covers one month: begin_date must be its first day and end_date its last",
                report.name()
            )))
        }
        Period::Recent if e.days() != yesterday || ![1, 7, 30].contains(&(e.days() - b.days() + 1)) => Err(RangeError::Range(format!(
            "{} covers the last 1, 7 or 30 days: end_date must be yesterday ({}) and the span 1, 7 or 30 days",
            report.name(),
            Date::from_days(yesterday)
        ))),
        _ => Ok(()),
    }
}

/// Beijing's calendar date at a unix time.
pub fn today_from_unix(secs: u64) -> (i32, u32, u32) {
    let days = (secs.saturating_add(BEIJING_OFFSET_SECS) / 86_400) as i64;
    let d = Date::from_days(days);
    (d.year, d.month, d.day)
}

pub fn is_leap_year(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

pub fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// A real date (years 1..=9999), or `None`.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let ok = (1..=9999).contains(&year) && (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        ok.then_some(Date { year, month, day })
    }

    /// `yyyymmdd`, as datacube takes it.
    pub fn parse(s: &str) -> Result<Date, String> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err("must be a date as yyyymmdd (8 digits)".to_owned());
        }
        let num = |r: std::ops::Range<usize>| s.get(r).and_then(|x| x.parse::<u32>().ok()).unwrap_or(0);
        Date::new(num(0..4) as i32, num(4..6), num(6..8)).ok_or_else(|| format!("is not a calendar date ({s})"))
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    pub fn days(self) -> i64 {
        let (m, d) = (self.month as i64, self.day as i64);
        let y = self.year as i64 - if m <= 2 { 1 } else { 0 };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The inverse of [`days`](Self::days) (civil_from_days).
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + if month <= 2 { 1 } else { 0 }) as i32;
        Date { year, month, day }
    }

    /// ISO weekday: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday).
    pub fn weekday(self) -> u32 {
        ((self.days() + 3).rem_euclid(7) + 1) as u32
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
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
        for bad in ["2017-03-13", "2017031", "201703131", "20230229", "20171301", "20170100", "00000101", "２０１７０３１３", ""] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
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

    #[test]
    fn today_is_taken_in_beijing_time() {
        // 2024-01-01T16:00:00Z is 2024-01-02 00:00 in Beijing.
        assert_eq!(today_from_unix(1_704_124_799), (2024, 1, 1));
        assert_eq!(today_from_unix(1_704_124_800), (2024, 1, 2));
        assert_eq!(today_from_unix(0), (1970, 1, 1));
        let _ = today_from_unix(u64::MAX);
    }
}
