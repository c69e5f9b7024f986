//! The numbers of the `datacube` answers: plausible, consistent with each other (new users
//! fewer than users, sessions at least users), and deterministic per app and dates.

use serde_json::{json, Value};

pub fn visit_trend(n: &mut Numbers, ref_date: String, days: u64) -> Value {
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
pub fn retain(n: &mut Numbers, ref_date: String, keys: &[u64], scale: u64) -> Value {
    let new0 = n.int(100, 800) * scale;
    let all0 = new0 * n.int(5, 12);
    let decay = |v0: u64, k: u64, n: &mut Numbers| {
        if k == 0 {
            v0
        } else {
            v0 * n.int(20, 45) / 100 / (k as f64).sqrt().ceil() as u64
        }
    };
    let visit_uv_new: Vec<Value> = keys.iter().map(|&k| json!({"key": k, "value": decay(new0, k, n)})).collect();
    let visit_uv: Vec<Value> = keys.iter().map(|&k| json!({"key": k, "value": decay(all0, k, n)})).collect();
    json!({"ref_date": ref_date, "visit_uv_new": visit_uv_new, "visit_uv": visit_uv})
}

pub fn visit_distribution(n: &mut Numbers, ref_date: String) -> Value {
    let mut items = |keys: &[u64], lo: u64, hi: u64| -> Vec<Value> {
        keys.iter().map(|&k| json!({"key": k, "value": n.int(lo, hi)})).collect()
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
pub fn visit_page(n: &mut Numbers, ref_date: String, pages: &[String]) -> Value {
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

pub fn portrait(n: &mut Numbers, scale: u64) -> Value {
    let mut named = |items: &[(u64, &str)]| -> Vec<Value> {
        items.iter().map(|(id, name)| json!({"id": id, "name": name, "value": n.int(1, 30) * scale})).collect()
    };
    let province = named(&[(1, "广东省"), (2, "北京"), (3, "上海"), (4, "浙江省"), (5, "江苏省")]);
    let city = named(&[(1, "广州"), (2, "深圳"), (3, "北京"), (4, "上海"), (5, "杭州")]);
    let genders = named(&[(0, "未知"), (1, "男"), (2, "女")]);
    let platforms = named(&[(1, "iPhone"), (2, "Android"), (3, "其他")]);
    let ages =
        named(&[(0, "未知"), (1, "17岁以下"), (2, "18-24岁"), (3, "25-29岁"), (4, "30-39岁"), (5, "40-49岁"), (6, "50岁以上")]);
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
pub struct Numbers(u64);

impl Numbers {
    pub fn new(parts: &[&str]) -> Numbers {
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

    pub fn int(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo + 1)
    }

    pub fn ratio(&mut self, lo: f64, hi: f64) -> f64 {
        round4(lo + (self.next() % 1_000_000) as f64 / 1_000_000.0 * (hi - lo))
    }
}
