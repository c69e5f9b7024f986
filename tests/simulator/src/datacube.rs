//! Data analytics (wechat-api.md §11): `POST /datacube/<report>` for the ten mini-program
//! reports. Dates are checked with the worker's own rules against the simulated clock in
//! Beijing time (61500 bad format, 61501 a range the report does not take); a success has no
//! errcode and carries made-up but plausible numbers that depend only on the app and the dates,
//! so the same question always gets the same answer.

use crate::state::Sim;
use crate::subscribe::wx_error;
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use serde_json::{json, Value};
use wechat_edge::outbound::analytics::{check_dates, today_from_unix, Date, RangeError, Report};

/// `POST /datacube/<name>?access_token=` with `{"begin_date","end_date"}` (`yyyymmdd`).
pub fn report(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    let name = call.path.rsplit('/').next().unwrap_or_default();
    let report = Report::from_name(name)
        .filter(|r| r.name() == name)
        .ok_or(WxErr(-1))?;
    let date = |field: &str| body.get(field).and_then(Value::as_str).unwrap_or_default();
    let (begin, end) = (date("begin_date"), date("end_date"));
    let today = today_from_unix(u64::try_from(now).unwrap_or(0));
    let (b, e) = match check_dates(report, begin, end, today) {
        Ok(()) => (Date::parse(begin), Date::parse(end)),
        Err(RangeError::Format { .. }) => {
            return Ok(wx_error(&mut guard, 61500, "date format error"))
        }
        Err(RangeError::Range(_)) => return Ok(wx_error(&mut guard, 61501, "date range error")),
    };
    let (Ok(b), Ok(e)) = (b, e) else {
        return Ok(wx_error(&mut guard, 61500, "date format error"));
    };
    let yesterday = Date::new(today.0, today.1, today.2).map_or(0, Date::days) - 1;
    let pages: Vec<String> = guard
        .apps
        .get(&appid)
        .map(|app| app.codes.released_pages.iter().cloned().collect())
        .unwrap_or_default();
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
            let keys: Vec<u64> = [0, 1, 2, 3, 4, 5, 6, 7, 14, 30]
                .into_iter()
                .filter(|k| b.days() + *k as i64 <= yesterday)
                .collect();
            retain(&mut n, day, &keys, 1)
        }
        Report::WeeklyRetainInfo => {
            let keys: Vec<u64> = (0..=4)
                .filter(|k| e.days() + 7 * *k as i64 <= yesterday)
                .collect();
            retain(&mut n, week, &keys, 5)
        }
        Report::MonthlyRetainInfo => {
            let next_month_over = {
                let (y, m) = if b.month == 12 {
                    (b.year + 1, 1)
                } else {
                    (b.year, b.month + 1)
                };
                let last = wechat_edge::outbound::analytics::days_in_month(y, m);
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

fn visit_trend(n: &mut Numbers, ref_date: String, days: u64) -> Value {
    let visit_uv = n.int(800, 5000) * days.max(1) * 3 / (days.max(1) / 3 + 3);
    let visit_uv_new = visit_uv * n.int(5, 20) / 100;
    let session_cnt = visit_uv * n.int(120, 250) / 100;
    let visit_pv = session_cnt * n.int(150, 450) / 100;
    let stay_time_session = n.ratio(20.0, 180.0);
    json!({
        "ref_date": ref_date,
        "session_cnt": session_cnt,
        "visit_pv": visit_pv,
        "visit_uv": visit_uv,
        "visit_uv_new": visit_uv_new,
        "stay_time_uv": round4(stay_time_session * session_cnt as f64 / visit_uv.max(1) as f64),
        "stay_time_session": stay_time_session,
        "visit_depth": round4(visit_pv as f64 / session_cnt.max(1) as f64),
    })
}

/// `{key, value}` lists: key 0 is the period's users, later keys those still coming back.
fn retain(n: &mut Numbers, ref_date: String, keys: &[u64], scale: u64) -> Value {
    let new0 = n.int(100, 800) * scale;
    let all0 = new0 * n.int(5, 12);
    let decay = |v0: u64, k: u64, n: &mut Numbers| {
        if k == 0 {
            v0
        } else {
            v0 * n.int(20, 45) / 100 / (k as f64).sqrt().ceil() as u64
        }
    };
    let visit_uv_new: Vec<Value> = keys
        .iter()
        .map(|&k| json!({"key": k, "value": decay(new0, k, n)}))
        .collect();
    let visit_uv: Vec<Value> = keys
        .iter()
        .map(|&k| json!({"key": k, "value": decay(all0, k, n)}))
        .collect();
    json!({"ref_date": ref_date, "visit_uv_new": visit_uv_new, "visit_uv": visit_uv})
}

fn visit_distribution(n: &mut Numbers, ref_date: String) -> Value {
    let mut items = |keys: &[u64], lo: u64, hi: u64| -> Vec<Value> {
        keys.iter()
            .map(|&k| json!({"key": k, "value": n.int(lo, hi)}))
            .collect()
    };
    let sources = items(&[1, 2, 3, 4, 6, 7, 8, 10, 11, 12], 5, 5000);
    let stay = items(&[1, 2, 3, 4, 5, 6, 7, 8], 100, 3000);
    let depth = items(&[1, 2, 3, 4, 5, 6, 7], 20, 4000);
    json!({"ref_date": ref_date, "list": [
        {"index": "access_source_session_cnt", "item_list": sources},
        {"index": "access_staytime_info", "item_list": stay},
        {"index": "access_depth_info", "item_list": depth},
    ]})
}

/// One row per released page, the busiest first.
fn visit_page(n: &mut Numbers, ref_date: String, pages: &[String]) -> Value {
    let mut pages: Vec<Value> = pages
        .iter()
        .map(|page| {
            let uv = n.int(200, 5000);
            let pv = uv * n.int(110, 300) / 100;
            let share_pv = n.int(0, 120);
            json!({
                "page_path": page,
                "page_visit_pv": pv,
                "page_visit_uv": uv,
                "page_staytime_pv": n.ratio(3.0, 60.0),
                "entrypage_pv": pv * n.int(10, 60) / 100,
                "exitpage_pv": pv * n.int(10, 60) / 100,
                "page_share_pv": share_pv,
                "page_share_uv": share_pv * n.int(60, 100) / 100,
            })
        })
        .collect();
    // WeChat lists the top pages by visits.
    pages.sort_by_key(|p| std::cmp::Reverse(p["page_visit_pv"].as_u64().unwrap_or(0)));
    json!({"ref_date": ref_date, "list": pages})
}

fn portrait(n: &mut Numbers, scale: u64) -> Value {
    let mut named = |items: &[(u64, &str)]| -> Vec<Value> {
        items
            .iter()
            .map(|(id, name)| json!({"id": id, "name": name, "value": n.int(1, 30) * scale}))
            .collect()
    };
    let province = named(&[
        (1, "广东省"),
        (2, "北京"),
        (3, "上海"),
        (4, "浙江省"),
        (5, "江苏省"),
    ]);
    let city = named(&[
        (1, "广州"),
        (2, "深圳"),
        (3, "北京"),
        (4, "上海"),
        (5, "杭州"),
    ]);
    let genders = named(&[(0, "未知"), (1, "男"), (2, "女")]);
    let platforms = named(&[(1, "iPhone"), (2, "Android"), (3, "其他")]);
    let ages = named(&[
        (0, "未知"),
        (1, "17岁以下"),
        (2, "18-24岁"),
        (3, "25-29岁"),
        (4, "30-39岁"),
        (5, "40-49岁"),
        (6, "50岁以上"),
    ]);
    let devices: Vec<Value> = ["iPhone 15", "HUAWEI Mate 60", "Xiaomi 14", "OPPO Reno11"]
        .iter()
        .map(|name| json!({"name": name, "value": n.int(1, 20) * scale}))
        .collect();
    json!({"province": province, "city": city, "genders": genders, "platforms": platforms,
           "devices": devices, "ages": ages})
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// A tiny deterministic generator (FNV-1a seed, xorshift64*): the same app and dates give the
/// same numbers on every run, seeded or not.
struct Numbers(u64);

impl Numbers {
    fn new(parts: &[&str]) -> Numbers {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for part in parts {
            for b in part.bytes().chain(std::iter::once(0)) {
                h ^= u64::from(b);
                h = h.wrapping_mul(0x0000_0100_0000_01b3);
            }
        }
        Numbers(h | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    fn ratio(&mut self, lo: f64, hi: f64) -> f64 {
        round4(lo + (self.next() % 1_000_000) as f64 / 1_000_000.0 * (hi - lo))
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
        let a = build(
            Report::DailyVisitTrend,
            "wx1",
            date("20170313"),
            date("20170313"),
            yesterday,
            &[],
        );
        let b = build(
            Report::DailyVisitTrend,
            "wx1",
            date("20170313"),
            date("20170313"),
            yesterday,
            &[],
        );
        let c = build(
            Report::DailyVisitTrend,
            "wx2",
            date("20170313"),
            date("20170313"),
            yesterday,
            &[],
        );
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn visit_trend_numbers_hang_together() {
        let yesterday = date("20170319").days();
        let v = build(
            Report::WeeklyVisitTrend,
            "wx1",
            date("20170306"),
            date("20170312"),
            yesterday,
            &[],
        );
        let row = &v["list"][0];
        assert_eq!(row["ref_date"], "20170306-20170312");
        let uv = row["visit_uv"].as_u64().unwrap();
        assert!(row["visit_uv_new"].as_u64().unwrap() <= uv);
        assert!(row["session_cnt"].as_u64().unwrap() >= uv);
        assert!(row["visit_depth"].as_f64().unwrap() >= 1.0);
    }

    #[test]
    fn retention_only_reaches_days_that_are_over() {
        let v = build(
            Report::DailyRetainInfo,
            "wx1",
            date("20170313"),
            date("20170313"),
            date("20170316").days(),
            &[],
        );
        let keys: Vec<u64> = v["visit_uv"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["key"].as_u64().unwrap())
            .collect();
        assert_eq!(keys, [0, 1, 2, 3]);
    }
}
