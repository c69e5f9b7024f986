//! Operating it (issue 17): the counters behind the status page, `/internal/stats`, and the
//! page itself (`/admin`, behind the internal key through a short-lived cookie).
//!
//! - [`stats`]: the stats object's state: hourly counters merged, pruned and summed (pure).
//! - [`admin`]: the admin session cookie, signed with a key derived from the internal key (pure).
//! - `stats_do`: the stats Durable Object (one per app); `handler`: the routes.

pub mod admin;
pub mod stats;

#[cfg(target_arch = "wasm32")]
pub mod handler;
#[cfg(target_arch = "wasm32")]
pub mod stats_do;
