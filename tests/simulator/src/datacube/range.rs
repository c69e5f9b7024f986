//! Which dates each `datacube` report takes (wechat-api.md §11), checked against Beijing's
//! yesterday: one past day; a natural week Monday→Sunday; a whole natural month; or, for the
//! user portrait, the last 1, 7 or 30 days ending yesterday. A date that is not `yyyymmdd` is
//! 61500, a range the report does not take 61501.

use crate::dates::Date;

/// The ten mini-program reports the simulator serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// The span a report covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Span {
    Day,
    Week,
    Month,
    /// Ending yesterday, 1, 7 or 30 days long.
    Recent,
}

const ALL: [(Report, &str); 10] = [
    (Report::DailySummaryTrend, "getweanalysisappiddailysummarytrend"),
    (Report::DailyVisitTrend, "getweanalysisappiddailyvisittrend"),
    (Report::WeeklyVisitTrend, "getweanalysisappidweeklyvisittrend"),
    (Report::MonthlyVisitTrend, "getweanalysisappidmonthlyvisittrend"),
    (Report::DailyRetainInfo, "getweanalysisappiddailyretaininfo"),
    (Report::WeeklyRetainInfo, "getweanalysisappidweeklyretaininfo"),
    (Report::MonthlyRetainInfo, "getweanalysisappidmonthlyretaininfo"),
    (Report::VisitDistribution, "getweanalysisappidvisitdistribution"),
    (Report::VisitPage, "getweanalysisappidvisitpage"),
    (Report::UserPortrait, "getweanalysisappiduserportrait"),
];

impl Report {
    pub fn from_name(name: &str) -> Option<Report> {
        ALL.iter().find(|(_, n)| *n == name).map(|(r, _)| *r)
    }

    pub fn name(self) -> &'static str {
        ALL.iter().find(|(r, _)| *r == self).map_or("", |(_, n)| n)
    }

    fn span(self) -> Span {
        match self {
            Report::WeeklyVisitTrend | Report::WeeklyRetainInfo => Span::Week,
            Report::MonthlyVisitTrend | Report::MonthlyRetainInfo => Span::Month,
            Report::UserPortrait => Span::Recent,
            _ => Span::Day,
        }
    }
}

/// Why a request's dates were refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RangeError {
    /// 61500: missing, or not a `yyyymmdd` date.
    Format,
    /// 61501: a range this report does not take (or not over yet).
    Range,
}

/// The two dates, when `report` takes them on `today` (Beijing).
pub fn check(report: Report, begin: &str, end: &str, today: Date) -> Result<(Date, Date), RangeError> {
    let b = Date::parse(begin).map_err(|_| RangeError::Format)?;
    let e = Date::parse(end).map_err(|_| RangeError::Format)?;
    let yesterday = today.days() - 1;
    // Nothing about today or later: its data does not exist yet.
    if e.days() > yesterday || b > e {
        return Err(RangeError::Range);
    }
    let ok = match report.span() {
        Span::Day => b == e,
        Span::Week => b.weekday() == 1 && e.days() - b.days() == 6,
        Span::Month => b.day == 1 && e == b.last_of_month(),
        Span::Recent => e.days() == yesterday && [1, 7, 30].contains(&(e.days() - b.days() + 1)),
    };
    if ok {
        Ok((b, e))
    } else {
        Err(RangeError::Range)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> Date {
        // A Monday.
        Date::new(2017, 3, 20).unwrap()
    }

    fn check_names(report: Report, begin: &str, end: &str) -> Result<(), RangeError> {
        check(report, begin, end, today()).map(|_| ())
    }

    #[test]
    fn every_report_is_known_by_its_name() {
        for (report, name) in ALL {
            assert_eq!(Report::from_name(name), Some(report));
            assert_eq!(report.name(), name);
        }
        assert_eq!(Report::from_name("getweanalysisappidnosuchreport"), None);
    }

    #[test]
    fn a_daily_report_takes_one_past_day() {
        assert_eq!(check_names(Report::DailyVisitTrend, "20170319", "20170319"), Ok(()));
        assert_eq!(check_names(Report::DailyVisitTrend, "20170320", "20170320"), Err(RangeError::Range));
        assert_eq!(check_names(Report::DailyVisitTrend, "20170317", "20170318"), Err(RangeError::Range));
        assert_eq!(check_names(Report::DailyVisitTrend, "2017-03-19", "20170319"), Err(RangeError::Format));
    }

    #[test]
    fn weeks_months_and_the_portrait_have_their_own_spans() {
        assert_eq!(check_names(Report::WeeklyVisitTrend, "20170313", "20170319"), Ok(()));
        assert_eq!(check_names(Report::WeeklyVisitTrend, "20170314", "20170320"), Err(RangeError::Range));
        assert_eq!(check_names(Report::MonthlyRetainInfo, "20170201", "20170228"), Ok(()));
        assert_eq!(check_names(Report::MonthlyRetainInfo, "20170201", "20170227"), Err(RangeError::Range));
        assert_eq!(check_names(Report::UserPortrait, "20170313", "20170319"), Ok(()));
        assert_eq!(check_names(Report::UserPortrait, "20170312", "20170318"), Err(RangeError::Range));
        assert_eq!(check_names(Report::UserPortrait, "20170310", "20170319"), Err(RangeError::Range));
    }
}
