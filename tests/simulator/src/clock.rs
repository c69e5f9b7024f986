//! The simulated clock: real unix seconds plus an offset the tests move forward, so an expiry
//! two hours away can be reached in a millisecond. Every expiry in the simulator reads it.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// WeChat's daily quotas reset at midnight Beijing time (UTC+8).
const BEIJING_OFFSET: i64 = 8 * 3600;

/// Simulated time runs with real time (`offset`), or stands still (`frozen`) so a test that
/// checks a boundary to the second cannot be upset by a real second ticking over.
#[derive(Debug, Default)]
pub struct Clock {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    offset: i64,
    frozen: Option<i64>,
}

impl Clock {
    pub fn new(frozen: bool) -> Self {
        let clock = Clock::default();
        clock.set_frozen(frozen);
        clock
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Simulated unix seconds.
    pub fn now(&self) -> i64 {
        let inner = self.inner();
        inner.frozen.unwrap_or_else(|| real_now() + inner.offset)
    }

    /// Moves simulated time forward (never back: expiries and quotas assume it only grows).
    pub fn advance(&self, seconds: i64) -> i64 {
        let mut inner = self.inner();
        let seconds = seconds.max(0);
        match &mut inner.frozen {
            Some(at) => *at += seconds,
            None => inner.offset += seconds,
        }
        inner.frozen.unwrap_or_else(|| real_now() + inner.offset)
    }

    /// Stops or restarts simulated time where it stands.
    pub fn set_frozen(&self, frozen: bool) {
        let mut inner = self.inner();
        match (frozen, inner.frozen) {
            (true, None) => inner.frozen = Some(real_now() + inner.offset),
            (false, Some(at)) => {
                inner.offset = at - real_now();
                inner.frozen = None;
            }
            _ => {}
        }
    }

    pub fn is_frozen(&self) -> bool {
        self.inner().frozen.is_some()
    }

    /// Back to real time (frozen again at real time if it was frozen).
    pub fn reset(&self) {
        let mut inner = self.inner();
        inner.offset = 0;
        if inner.frozen.is_some() {
            inner.frozen = Some(real_now());
        }
    }
}

fn real_now() -> i64 {
    // A clock before 1970 is a broken machine; 0 keeps the simulator serving regardless.
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// The quota day a moment falls in (days since the epoch, Beijing time).
pub fn day_of(now: i64) -> i64 {
    (now + BEIJING_OFFSET).div_euclid(86_400)
}

/// The quota minute a moment falls in.
pub fn minute_of(now: i64) -> i64 {
    now.div_euclid(60)
}

/// `YYYY-MM-DD` of a quota day, for humans reading `/_sim/counters`.
pub fn date_of_day(day: i64) -> String {
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = day + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_now_by_that_much() {
        let clock = Clock::default();
        let before = clock.now();
        let after = clock.advance(7200);
        assert!(after - before >= 7200 && after - before <= 7201);
    }

    #[test]
    fn a_frozen_clock_moves_only_when_advanced() {
        let clock = Clock::new(true);
        let t = clock.now();
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(clock.now(), t);
        assert_eq!(clock.advance(300), t + 300);
        clock.set_frozen(false);
        assert!(clock.now() >= t + 300);
    }

    #[test]
    fn the_quota_day_turns_at_beijing_midnight() {
        // 2024-01-01T16:00:00Z is 2024-01-02 00:00 in Beijing.
        let t = 1_704_124_800;
        assert_eq!(date_of_day(day_of(t - 1)), "2024-01-01");
        assert_eq!(date_of_day(day_of(t)), "2024-01-02");
    }
}
