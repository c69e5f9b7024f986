//! The stats object's state and the calls it answers (pure): hourly counters per app, merged
//! from batches, pruned to the last [`KEEP_HOURS`], and summed for the page.

use crate::shared::objects::ObjectCall;
use crate::shared::stats::{Batch, ErrcodeSeen, KEEP_ERRCODES, KEEP_HOURS, LIFETIME};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What one stats object keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stored {
    /// Unix hour → counter → count.
    pub hours: BTreeMap<u64, BTreeMap<String, u64>>,
    /// Counters kept for the app's life (the QR quota).
    pub lifetime: BTreeMap<String, u64>,
    pub errcodes: Vec<ErrcodeSeen>,
}

impl Stored {
    /// Adds a batch; drops hours older than [`KEEP_HOURS`] before `now`.
    pub fn merge(&mut self, batch: &Batch, now: u64) {
        for (hour, counters) in &batch.counts {
            let Ok(hour) = hour.parse::<u64>() else { continue };
            let slot = self.hours.entry(hour).or_default();
            for (name, n) in counters {
                *slot.entry(name.clone()).or_default() += n;
                if LIFETIME.contains(&name.as_str()) {
                    *self.lifetime.entry(name.clone()).or_default() += n;
                }
            }
        }
        let oldest = (now / 3600).saturating_sub(KEEP_HOURS);
        self.hours.retain(|hour, _| *hour > oldest);
        self.errcodes.extend(batch.errcodes.iter().cloned());
        let excess = self.errcodes.len().saturating_sub(KEEP_ERRCODES);
        self.errcodes.drain(..excess);
    }

    /// The last 24 hours up to `now`'s: each hour (oldest first, empty ones included) and the totals.
    pub fn view(&self, now: u64) -> StatsView {
        let current = now / 3600;
        let first = current.saturating_sub(23);
        let mut totals: BTreeMap<String, u64> = BTreeMap::new();
        let hours = (first..=current)
            .map(|hour| {
                let counters = self.hours.get(&hour).cloned().unwrap_or_default();
                for (name, n) in &counters {
                    *totals.entry(name.clone()).or_default() += n;
                }
                HourView { hour: hour * 3600, counters }
            })
            .collect();
        let mut errcodes = self.errcodes.clone();
        errcodes.reverse();
        StatsView { hours, totals, lifetime: self.lifetime.clone(), errcodes }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourView {
    /// The hour's start, unix seconds.
    pub hour: u64,
    pub counters: BTreeMap<String, u64>,
}

/// What the page and `/internal/stats` show of one app's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsView {
    pub hours: Vec<HourView>,
    /// Sums over the 24 hours.
    pub totals: BTreeMap<String, u64>,
    pub lifetime: BTreeMap<String, u64>,
    /// Most recent first.
    pub errcodes: Vec<ErrcodeSeen>,
}

/// The last 24 hours.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Read {}

impl ObjectCall for Read {
    type Answer = StatsView;
    const NAME: &'static str = "read";
}

#[cfg(test)]
mod tests;
