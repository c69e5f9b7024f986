//! Calendar dates as `datacube` speaks them (wechat-api.md §11): `yyyymmdd`, days counted in
//! Beijing time (UTC+8, no daylight saving), weeks from Monday. Plain proleptic Gregorian
//! arithmetic on day numbers (days since 1970-01-01).

use std::fmt;

/// China Standard Time is UTC+8 all year.
pub const BEIJING_OFFSET_SECS: i64 = 8 * 3600;
const SECS_PER_DAY: i64 = 86_400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    pub year: i32,
    pub month: u32,
    pub day: u32,
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

impl Date {
    /// A real calendar date, or None.
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let ok = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        ok.then_some(Date { year, month, day })
    }

    /// Exactly eight digits making a real date (`20170313`); anything else is WeChat's 61500.
    pub fn parse(s: &str) -> Result<Date, String> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!("{s:?} is not yyyymmdd"));
        }
        let number = |range: std::ops::Range<usize>| s[range].parse::<u32>().unwrap_or(0);
        let year = number(0..4) as i32;
        Date::new(year, number(4..6), number(6..8)).ok_or_else(|| format!("{s:?} is not a date"))
    }

    /// Days since 1970-01-01 (negative before): the era-based count, so leap years need no
    /// table.
    pub fn days(self) -> i64 {
        let y = i64::from(self.year) - i64::from(self.month <= 2);
        let era = y.div_euclid(400);
        let year_of_era = y - era * 400;
        let m = i64::from(self.month);
        let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The inverse of [`Date::days`].
    pub fn from_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let day_of_era = z - era * 146_097;
        let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let mp = (5 * day_of_year + 2) / 153;
        let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (year_of_era + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday).
    pub fn weekday(self) -> u32 {
        ((self.days() + 3).rem_euclid(7) + 1) as u32
    }

    pub fn last_of_month(self) -> Date {
        Date { day: days_in_month(self.year, self.month), ..self }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}{:02}{:02}", self.year, self.month, self.day)
    }
}

/// The date in Beijing at a unix time.
pub fn beijing_date(unix_secs: i64) -> Date {
    Date::from_days((unix_secs + BEIJING_OFFSET_SECS).div_euclid(SECS_PER_DAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_match_known_dates() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().days(), 0);
        assert_eq!(Date::new(2000, 3, 1).unwrap().days(), 11_017);
        assert_eq!(Date::new(1969, 12, 31).unwrap().days(), -1);
        for days in [-800_000, -1, 0, 59, 60, 10_957, 19_782, 2_932_896] {
            assert_eq!(Date::from_days(days).days(), days);
        }
    }

    #[test]
    fn weekdays_and_leap_days_are_right() {
        assert_eq!(Date::new(1970, 1, 1).unwrap().weekday(), 4);
        assert_eq!(Date::new(2017, 3, 6).unwrap().weekday(), 1);
        assert_eq!(Date::new(2024, 5, 1).unwrap().weekday(), 3);
        assert!(Date::new(2024, 2, 29).is_some());
        assert!(Date::new(2023, 2, 29).is_none());
        assert!(Date::new(1900, 2, 29).is_none());
        assert!(Date::new(2000, 2, 29).is_some());
    }

    #[test]
    fn parsing_takes_exactly_yyyymmdd() {
        assert_eq!(Date::parse("20170313").unwrap().to_string(), "20170313");
        for bad in ["2017-03-13", "2017313", "20230229", "20171301", "+2017031", ""] {
            assert!(Date::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn beijing_midnight_is_16_00_utc() {
        // 2024-05-01T15:59:59Z is 23:59:59 in Beijing; a second later it is 2 May there.
        assert_eq!(beijing_date(1_714_579_199).to_string(), "20240501");
        assert_eq!(beijing_date(1_714_579_200).to_string(), "20240502");
    }
}
