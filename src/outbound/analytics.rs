//! Data analytics (wechat-api.md §11): the `datacube` reports and the date range each accepts,
//! checked before WeChat is called so a bad range is our 400 rather than a 61501 round trip.
//! WeChat's "yesterday" is Beijing's, so "today" is taken in UTC+8.
//!
//! The small calendar (days in a month, leap years, day numbers, weekdays) is here too, written
//! out rather than pulled in as a dependency.

use crate::shared::date::{days_in_month, Date};
use crate::shared::error::ApiError;

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
    let today =
        Date::new(today.0, today.1, today.2).ok_or_else(|| RangeError::Range("today is not a calendar date".to_owned()))?;
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
        Period::Day if b != e => {
            Err(RangeError::Range(format!("{} covers one day: begin_date must equal end_date", report.name())))
        }
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
        Period::Recent if e.days() != yesterday || ![1, 7, 30].contains(&(e.days() - b.days() + 1)) => {
            Err(RangeError::Range(format!(
                "{} covers the last 1, 7 or 30 days: end_date must be yesterday ({}) and the span 1, 7 or 30 days",
                report.name(),
                Date::from_days(yesterday)
            )))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests;
