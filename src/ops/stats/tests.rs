use super::*;
use crate::shared::stats::counter;

fn batch(hour: u64, name: &str, n: u64) -> Batch {
    let mut b = Batch::default();
    b.counts.entry(hour.to_string()).or_default().insert(name.to_owned(), n);
    b
}

#[test]
fn batches_add_up_per_hour_and_old_hours_go() {
    let now = 100 * 3600 + 10;
    let mut s = Stored::default();
    s.merge(&batch(100, counter::LOGINS, 2), now);
    s.merge(&batch(100, counter::LOGINS, 3), now);
    s.merge(&batch(99, counter::PUSHES_RECEIVED, 7), now);
    s.merge(&batch(40, counter::PUSHES_RECEIVED, 1), now);
    assert_eq!(s.hours[&100][counter::LOGINS], 5);
    assert!(!s.hours.contains_key(&40), "kept 48 hours only");
    let view = s.view(now);
    assert_eq!(view.hours.len(), 24);
    assert_eq!(view.hours.last().unwrap().hour, 100 * 3600);
    assert_eq!(view.totals[counter::LOGINS], 5);
    assert_eq!(view.totals[counter::PUSHES_RECEIVED], 7);
}

#[test]
fn the_view_sums_only_the_last_24_hours_and_lifetime_counters_stay() {
    let now = 100 * 3600;
    let mut s = Stored::default();
    s.merge(&batch(70, counter::QR_LIMITED_MADE, 4), now);
    s.merge(&batch(100, counter::QR_LIMITED_MADE, 1), now);
    let view = s.view(now);
    assert_eq!(view.totals[counter::QR_LIMITED_MADE], 1, "hour 70 is outside the 24 hours");
    assert_eq!(view.lifetime[counter::QR_LIMITED_MADE], 5);
}

#[test]
fn recent_errcodes_come_first() {
    let mut s = Stored::default();
    let mut b = Batch::default();
    for code in [40001, 45009] {
        b.errcodes.push(ErrcodeSeen { errcode: code, path: "/x".into(), at: 1 });
    }
    s.merge(&b, 1);
    assert_eq!(s.view(1).errcodes[0].errcode, 45009);
}
