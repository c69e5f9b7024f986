//! datacube reports: the date rules against the simulated clock in Beijing time, the errcodes
//! (61500 format, 61501 range) and the shapes of the answers.

mod common;

use common::*;
use serde_json::{json, Value};
use wechat_sim::dates::{beijing_date, days_in_month, Date};

async fn report(sim: &TestSim, token: &str, name: &str, begin: &str, end: &str) -> Answer {
    sim.post(&format!("/datacube/{name}"), &[("access_token", token)], &json!({"begin_date": begin, "end_date": end})).await
}

/// Beijing's today on the simulator's clock, as a day number.
async fn today(sim: &TestSim) -> i64 {
    beijing_date(sim.now().await).days()
}

fn ymd(days: i64) -> String {
    Date::from_days(days).to_string()
}

#[tokio::test]
async fn a_daily_report_for_yesterday_has_no_errcode_and_wechats_shape() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let yesterday = ymd(today(&sim).await - 1);

    let answer = report(&sim, &token, "getweanalysisappiddailyvisittrend", &yesterday, &yesterday).await;

    let body = answer.json();
    assert_eq!(answer.status, 200);
    assert!(body.get("errcode").is_none(), "{body}");
    let row = &body["list"][0];
    assert_eq!(row["ref_date"], yesterday.as_str());
    for field in ["session_cnt", "visit_pv", "visit_uv", "visit_uv_new"] {
        assert!(row[field].is_u64(), "{field}");
    }
    for field in ["stay_time_uv", "stay_time_session", "visit_depth"] {
        assert!(row[field].is_f64(), "{field}");
    }
}

#[tokio::test]
async fn the_same_question_gets_the_same_answer() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let day = ymd(today(&sim).await - 3);

    let a = report(&sim, &token, "getweanalysisappiddailysummarytrend", &day, &day).await;
    let b = report(&sim, &token, "getweanalysisappiddailysummarytrend", &day, &day).await;

    assert_eq!(a.text, b.text);
    let row = &a.json()["list"][0];
    assert!(row["share_uv"].as_u64().unwrap() <= row["share_pv"].as_u64().unwrap());
    assert!(row["visit_total"].as_u64().unwrap() > 0);
}

#[tokio::test]
async fn today_and_multi_day_ranges_are_61501_and_bad_dates_61500() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let t = today(&sim).await;
    let name = "getweanalysisappiddailyvisittrend";

    let today_ = report(&sim, &token, name, &ymd(t), &ymd(t)).await;
    let two_days = report(&sim, &token, name, &ymd(t - 3), &ymd(t - 2)).await;
    let dashed = report(&sim, &token, name, "2017-03-13", "2017-03-13").await;
    let not_a_day = report(&sim, &token, name, "20230229", "20230229").await;
    let missing =
        sim.post(&format!("/datacube/{name}"), &[("access_token", token.as_str())], &json!({"begin_date": ymd(t - 1)})).await;

    assert_eq!(today_.errcode(), 61501);
    assert!(today_.json()["errmsg"].as_str().unwrap().starts_with("date range error rid: "));
    assert_eq!(two_days.errcode(), 61501);
    assert_eq!(dashed.errcode(), 61500);
    assert_eq!(not_a_day.errcode(), 61500);
    assert_eq!(missing.errcode(), 61500);
}

#[tokio::test]
async fn yesterday_is_beijings_yesterday() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let now = sim.now().await;
    let t = today(&sim).await;
    let name = "getweanalysisappidvisitpage";
    // Seconds to the next midnight in Beijing (UTC+8).
    let to_midnight = 86_400 - (now + 8 * 3600).rem_euclid(86_400);

    let before = report(&sim, &token, name, &ymd(t), &ymd(t)).await;
    sim.advance(to_midnight - 1).await;
    let token = sim.token().await;
    let just_before = report(&sim, &token, name, &ymd(t), &ymd(t)).await;
    sim.advance(1).await;
    let token = sim.token().await;
    let after = report(&sim, &token, name, &ymd(t), &ymd(t)).await;

    assert_eq!(before.errcode(), 61501);
    assert_eq!(just_before.errcode(), 61501);
    assert_eq!(after.errcode(), 0, "{}", after.text);
    let body = after.json();
    let pages: Vec<&str> = body["list"].as_array().unwrap().iter().map(|p| p["page_path"].as_str().unwrap()).collect();
    let mut sorted = pages.clone();
    sorted.sort();
    assert_eq!(sorted, ["pages/detail/detail", "pages/index/index"]);
}

#[tokio::test]
async fn weekly_reports_take_a_past_monday_to_sunday() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let t = today(&sim).await;
    let this_monday = t - (Date::from_days(t).weekday() as i64 - 1);
    let (monday, sunday) = (this_monday - 7, this_monday - 1);
    let name = "getweanalysisappidweeklyvisittrend";

    let ok = report(&sim, &token, name, &ymd(monday), &ymd(sunday)).await;
    let shifted = report(&sim, &token, name, &ymd(monday + 1), &ymd(sunday + 1)).await;
    let this_week = report(&sim, &token, name, &ymd(this_monday), &ymd(this_monday + 6)).await;
    let retain = report(&sim, &token, "getweanalysisappidweeklyretaininfo", &ymd(monday), &ymd(sunday)).await;

    assert_eq!(ok.errcode(), 0, "{}", ok.text);
    assert_eq!(ok.json()["list"][0]["ref_date"], format!("{}-{}", ymd(monday), ymd(sunday)));
    assert_eq!(shifted.errcode(), 61501);
    assert_eq!(this_week.errcode(), 61501);
    assert_eq!(retain.json()["visit_uv"][0]["key"], 0);
}

#[tokio::test]
async fn monthly_reports_take_a_whole_past_month() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let t = Date::from_days(today(&sim).await);
    let (y, m) = if t.month == 1 { (t.year - 1, 12) } else { (t.year, t.month - 1) };
    let first = Date::new(y, m, 1).unwrap().to_string();
    let last = Date::new(y, m, days_in_month(y, m)).unwrap().to_string();
    let this_first = Date::new(t.year, t.month, 1).unwrap().to_string();
    let this_last = Date::new(t.year, t.month, days_in_month(t.year, t.month)).unwrap().to_string();
    let name = "getweanalysisappidmonthlyvisittrend";

    let ok = report(&sim, &token, name, &first, &last).await;
    let partial = report(&sim, &token, name, &first, &ymd(Date::parse(&last).unwrap().days() - 1)).await;
    let this_month = report(&sim, &token, name, &this_first, &this_last).await;
    let retain = report(&sim, &token, "getweanalysisappidmonthlyretaininfo", &first, &last).await;

    assert_eq!(ok.errcode(), 0, "{}", ok.text);
    assert_eq!(ok.json()["list"][0]["ref_date"], format!("{y:04}{m:02}"));
    assert_eq!(partial.errcode(), 61501);
    assert_eq!(this_month.errcode(), 61501);
    assert_eq!(retain.json()["ref_date"], format!("{y:04}{m:02}"));
}

#[tokio::test]
async fn the_portrait_takes_the_last_1_7_or_30_days() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let t = today(&sim).await;
    let name = "getweanalysisappiduserportrait";

    let week = report(&sim, &token, name, &ymd(t - 7), &ymd(t - 1)).await;
    let month = report(&sim, &token, name, &ymd(t - 30), &ymd(t - 1)).await;
    let ten_days = report(&sim, &token, name, &ymd(t - 10), &ymd(t - 1)).await;
    let older_week = report(&sim, &token, name, &ymd(t - 8), &ymd(t - 2)).await;

    assert_eq!(week.errcode(), 0, "{}", week.text);
    let body = week.json();
    assert_eq!(body["ref_date"], format!("{}-{}", ymd(t - 7), ymd(t - 1)));
    for part in ["visit_uv", "visit_uv_new"] {
        for list in ["province", "city", "genders", "platforms", "devices", "ages"] {
            assert!(body[part][list].as_array().is_some_and(|l| !l.is_empty()), "{part}.{list}");
        }
    }
    assert_eq!(month.errcode(), 0);
    assert_eq!(ten_days.errcode(), 61501);
    assert_eq!(older_week.errcode(), 61501);
}

#[tokio::test]
async fn every_report_answers_and_needs_a_token() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let y = ymd(today(&sim).await - 1);

    let mut shapes = Vec::new();
    for name in [
        "getweanalysisappiddailysummarytrend",
        "getweanalysisappiddailyvisittrend",
        "getweanalysisappiddailyretaininfo",
        "getweanalysisappidvisitdistribution",
        "getweanalysisappidvisitpage",
        "getweanalysisappiduserportrait",
    ] {
        let answer = report(&sim, &token, name, &y, &y).await;
        assert_eq!(answer.errcode(), 0, "{name}: {}", answer.text);
        shapes.push(answer.json());
    }
    let no_token = sim.post("/datacube/getweanalysisappiddailyvisittrend", &[], &json!({"begin_date": y, "end_date": y})).await;
    let unknown = report(&sim, &token, "getweanalysisappidnosuchreport", &y, &y).await;

    let distribution: Vec<&Value> = shapes[3]["list"].as_array().unwrap().iter().map(|i| &i["index"]).collect();
    assert_eq!(distribution, ["access_source_session_cnt", "access_staytime_info", "access_depth_info"]);
    assert_eq!(shapes[2]["visit_uv_new"][0]["key"], 0);
    assert_eq!(shapes[5]["ref_date"], y.as_str());
    assert_eq!(no_token.errcode(), 41001);
    assert_eq!(unknown.status, 404);
}
