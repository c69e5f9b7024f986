//! Data analytics (wechat-api.md §11): `POST /datacube/<report>` for the ten mini-program
//! reports. Dates are checked by [`range`] against the simulated clock in Beijing time (61500
//! bad format, 61501 a range the report does not take); a success has no errcode and carries
//! made-up but plausible numbers ([`shapes`]) that depend only on the app and the dates, so the
//! same question always gets the same answer.

mod range;
mod shapes;

use crate::dates::{beijing_date, days_in_month, Date};
use crate::state::Sim;
use crate::subscribe::wx_error;
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use range::{check, RangeError, Report};
use serde_json::{json, Value};
use shapes::{portrait, retain, visit_distribution, visit_page, visit_trend, Numbers};

/// `POST /datacube/<name>?access_token=` with `{"begin_date","end_date"}` (`yyyymmdd`).
pub fn report(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    let name = call.path.rsplit('/').next().unwrap_or_default();
    // The router only sends the ten known names here.
    let report = Report::from_name(name).ok_or(WxErr(-1))?;
    let date = |field: &str| body.get(field).and_then(Value::as_str).unwrap_or_default();
    let (begin, end) = (date("begin_date"), date("end_date"));
    let today = beijing_date(now);
    let (b, e) = match check(report, begin, end, today) {
        Ok(dates) => dates,
        Err(RangeError::Format) => return Ok(wx_error(&mut guard, 61500, "date format error")),
        Err(RangeError::Range) => return Ok(wx_error(&mut guard, 61501, "date range error")),
    };
    let yesterday = today.days() - 1;
    let pages: Vec<String> =
        guard.apps.get(&appid).map(|app| app.codes.released_pages.iter().cloned().collect()).unwrap_or_default();
    let data = build(report, &appid, b, e, yesterday, &pages);
    Ok(Reply::json(data).with_note(format!("{begin}..{end}")))
}

fn build(report: Report, appid: &str, b: Date, e: Date, yesterday: i64, pages: &[String]) -> Value {
    let day = b.to_string();
    let week = format!("{b}-{e}");
    let month = format!("{:04}{:02}", b.year, b.month);
    let mut n = Numbers::new(&[appid, report.name(), &day, &e.to_string()]);
    let span = (e.days() - b.days() + 1) as u64;
    match report {
        Report::DailySummaryTrend => {
            let share_pv = n.int(40, 900);
            json!({"list": [{
                "ref_date": day,
                "visit_total": 20_000 + (b.days() - 17_000).max(0) as u64 * 37 + n.int(0, 500),
                "share_pv": share_pv,
                "share_uv": share_pv * n.int(55, 90) / 100,
            }]})
        }
        Report::DailyVisitTrend => json!({"list": [visit_trend(&mut n, day, 1)]}),
        Report::WeeklyVisitTrend => json!({"list": [visit_trend(&mut n, week, 7)]}),
        Report::MonthlyVisitTrend => json!({"list": [visit_trend(&mut n, month, span)]}),
        Report::DailyRetainInfo => {
            let keys: Vec<u64> =
                [0, 1, 2, 3, 4, 5, 6, 7, 14, 30].into_iter().filter(|k| b.days() + *k as i64 <= yesterday).collect();
            retain(&mut n, day, &keys, 1)
        }
        Report::WeeklyRetainInfo => {
            let keys: Vec<u64> = (0..=4).filter(|k| e.days() + 7 * *k as i64 <= yesterday).collect();
            retain(&mut n, week, &keys, 5)
        }
        Report::MonthlyRetainInfo => {
            let next_month_over = {
                let (y, m) = if b.month == 12 { (b.year + 1, 1) } else { (b.year, b.month + 1) };
                let last = days_in_month(y, m);
                Date::new(y, m, last).is_some_and(|d| d.days() <= yesterday)
            };
            let keys: &[u64] = if next_month_over { &[0, 1] } else { &[0] };
            retain(&mut n, month, keys, 20)
        }
        Report::VisitDistribution => visit_distribution(&mut n, day),
        Report::VisitPage => visit_page(&mut n, day, pages),
        Report::UserPortrait => {
            let ref_date = if span == 1 { day } else { week };
            let visit_uv = portrait(&mut n, span * 40);
            let visit_uv_new = portrait(&mut n, span * 6);
            json!({"ref_date": ref_date, "visit_uv_new": visit_uv_new, "visit_uv": visit_uv})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> Date {
        Date::parse(s).unwrap()
    }

    #[test]
    fn the_same_question_gets_the_same_numbers() {
        let yesterday = date("20170319").days();
        let a = build(Report::DailyVisitTrend, "wx1", date("20170313"), date("20170313"), yesterday, &[]);
        let b = build(Report::DailyVisitTrend, "wx1", date("20170313"), date("20170313"), yesterday, &[]);
        let c = build(Report::DailyVisitTrend, "wx2", date("20170313"), date("20170313"), yesterday, &[]);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn visit_trend_numbers_hang_together() {
        let yesterday = date("20170319").days();
        let v = build(Report::WeeklyVisitTrend, "wx1", date("20170306"), date("20170312"), yesterday, &[]);
        let row = &v["list"][0];
        assert_eq!(row["ref_date"], "20170306-20170312");
        let uv = row["visit_uv"].as_u64().unwrap();
        assert!(row["visit_uv_new"].as_u64().unwrap() <= uv);
        assert!(row["session_cnt"].as_u64().unwrap() >= uv);
        assert!(row["visit_depth"].as_f64().unwrap() >= 1.0);
    }

    #[test]
    fn retention_only_reaches_days_that_are_over() {
        let v = build(Report::DailyRetainInfo, "wx1", date("20170313"), date("20170313"), date("20170316").days(), &[]);
        let keys: Vec<u64> = v["visit_uv"].as_array().unwrap().iter().map(|i| i["key"].as_u64().unwrap()).collect();
        assert_eq!(keys, [0, 1, 2, 3]);
    }
}
