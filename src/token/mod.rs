//! access_token central control (wechat-api.md §3): one Durable Object per app is the only
//! writer and the only caller of WeChat's token endpoints; KV and the isolate serve reads.
//!
//! - [`calls`]: the token object's calls and answers, typed on both sides.
//! - [`policy`]: when a token is servable, due for refresh, or stale (pure).
//! - `fetch`: one call to `cgi-bin/stable_token` or `cgi-bin/token`.
//! - `token_do`: the access-token Durable Object (single-flight refresh, alarm, status).
//! - `read`: the read path (isolate memory → KV → the object).
//! - `call`: every token-authenticated WeChat call, with the compare-and-refresh retry.
//! - `handler`: `/internal/token`, `/internal/token/refresh`, `/internal/token/status`.

pub mod calls;
pub mod policy;

#[cfg(target_arch = "wasm32")]
pub mod call;
#[cfg(target_arch = "wasm32")]
mod fetch;
#[cfg(target_arch = "wasm32")]
pub mod handler;
#[cfg(target_arch = "wasm32")]
pub mod read;
#[cfg(target_arch = "wasm32")]
pub mod token_do;
