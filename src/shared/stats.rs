//! Operational counters (issue 17): what the status page and `/internal/stats` show. Handlers
//! only bump a counter in the isolate's memory — nothing on a request's path waits for
//! storage — and the entry point sends the batch to the app's stats object after the answer
//! (`waitUntil`), at most once every [`FLUSH_AFTER_MS`] per isolate.

use crate::shared::objects::ObjectCall;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;

/// The stats objects' Durable Object binding (one object per app).
pub const BINDING: &str = "STATS_DO";
/// The optional Workers Analytics Engine dataset binding (`[[analytics_engine_datasets]]`).
pub const ANALYTICS_BINDING: &str = "ANALYTICS";
/// How long counts gather in memory before one write per app.
pub const FLUSH_AFTER_MS: u64 = 500;
/// Hours of counters kept (the page shows the last 24).
pub const KEEP_HOURS: u64 = 48;
/// Recent WeChat errcodes kept per app.
pub const KEEP_ERRCODES: usize = 20;

/// The counters, by name. `pushes.kind.<MsgType or Event>` counts pushes by kind.
pub mod counter {
    pub const PUSHES_RECEIVED: &str = "pushes.received";
    pub const PUSHES_REDELIVERIES: &str = "pushes.redeliveries";
    pub const PUSHES_REFUSED: &str = "pushes.refused";
    pub const LOGINS: &str = "logins";
    pub const WEB_LOGINS: &str = "web_logins";
    pub const SCAN_LOGINS: &str = "scan_logins";
    pub const QR_MADE: &str = "qr.made";
    pub const QR_CACHED: &str = "qr.cached";
    /// Codes of interfaces A and C (getwxacode, createwxaqrcode): 100,000 for the app's life.
    pub const QR_LIMITED_MADE: &str = "qr.limited_made";
    pub const ORDERS_CREATED: &str = "orders.created";
    pub const ORDERS_PAID: &str = "orders.paid";
    pub const NOTIFIES: &str = "notifies";
    pub const REFUNDS: &str = "refunds";
    pub const WECHAT_ERRORS: &str = "wechat.errors";
}

/// Counters kept for the app's whole life as well as per hour.
pub const LIFETIME: [&str; 1] = [counter::QR_LIMITED_MADE];

/// A WeChat errcode seen on a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrcodeSeen {
    pub errcode: i64,
    pub path: String,
    pub at: u64,
}

/// One batch for one app: counts by hour (the unix hour number, as text: object keys cross the
/// Durable Object boundary as JSON) and counter, and errcodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub counts: BTreeMap<String, BTreeMap<String, u64>>,
    pub errcodes: Vec<ErrcodeSeen>,
}

/// Adds a batch to an app's counters (the stats object's call; see `ops::stats_do`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub batch: Batch,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Recorded {}

impl ObjectCall for Record {
    type Answer = Recorded;
    const NAME: &'static str = "record";
}

/// Sends the counters gathered in this isolate to the apps' stats objects. A failure loses
/// those counts (they are statistics), never a request.
#[cfg(target_arch = "wasm32")]
pub async fn flush(env: &worker::Env) {
    // The optional Workers Analytics Engine dataset gets the same counts, one data point per
    // app, hour and counter (index: the app id; blob1: the counter; double1: the count;
    // double2: the hour's start). Without the binding this is skipped.
    let analytics = env.analytics_engine(ANALYTICS_BINDING).ok();
    for (appid, batch) in take() {
        if let Some(dataset) = &analytics {
            for (hour, counters) in &batch.counts {
                let start = hour.parse::<u64>().unwrap_or(0) * 3600;
                for (name, n) in counters {
                    let point = worker::AnalyticsEngineDataPointBuilder::new()
                        .indexes([appid.as_str()])
                        .add_blob(name.as_str())
                        .add_double(*n as f64)
                        .add_double(start as f64)
                        .build();
                    if let Err(e) = dataset.write_data_point(&point) {
                        crate::log_warn!("analytics data point not written: {e}");
                    }
                }
            }
        }
        if let Err(e) = crate::shared::objects::call(env, BINDING, &appid, &Record { batch }).await {
            crate::log_warn!("stats of app {appid} not recorded: {e}");
        }
    }
    flushed();
}

thread_local! {
    static PENDING: RefCell<BTreeMap<String, Batch>> = const { RefCell::new(BTreeMap::new()) };
    static SCHEDULED: Cell<bool> = const { Cell::new(false) };
}

/// Adds `n` to `counter` of `appid` for the hour of `now`.
pub fn add(appid: &str, counter: &str, n: u64, now: u64) {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let batch = p.entry(appid.to_owned()).or_default();
        *batch.counts.entry((now / 3600).to_string()).or_default().entry(counter.to_owned()).or_default() += n;
    });
}

pub fn count(appid: &str, counter: &str, now: u64) {
    add(appid, counter, 1, now);
}

/// A WeChat errcode answered to one of the app's calls (never its message: it may carry data).
pub fn errcode(appid: &str, errcode: i64, path: &str, now: u64) {
    count(appid, counter::WECHAT_ERRORS, now);
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let batch = p.entry(appid.to_owned()).or_default();
        batch.errcodes.push(ErrcodeSeen { errcode, path: path.chars().take(80).collect(), at: now });
        let excess = batch.errcodes.len().saturating_sub(KEEP_ERRCODES);
        batch.errcodes.drain(..excess);
    });
}

/// Whether a flush should be scheduled now: counts are waiting and none is scheduled. The
/// caller that gets `true` must run [`take`] later (and then [`flushed`]).
pub fn claim_flush() -> bool {
    let waiting = PENDING.with(|p| !p.borrow().is_empty());
    waiting && !SCHEDULED.with(|s| s.replace(true))
}

/// The batches gathered so far, per app.
pub fn take() -> BTreeMap<String, Batch> {
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

pub fn flushed() {
    SCHEDULED.with(|s| s.set(false));
}

#[cfg(test)]
mod tests;
