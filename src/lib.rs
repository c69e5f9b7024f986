//! wechat-edge: the server side of a WeChat mini-program (and an official account beside it),
//! compiled to WebAssembly as one Cloudflare Worker.
//!
//! # Layout
//!
//! One folder per WeChat capability; each holds its pure protocol code (no `worker` types,
//! unit-tested natively) and its thin Worker glue (handlers, Durable Objects), the glue gated
//! to wasm32 inside the folder. Dependencies point one way: capability → [`shared`] → nothing.
//! Sections (§) are those of `wechat-api.md`.
//!
//! - [`token`]: access_token central control: policy, fetch, read path, the token object, the
//!   stale-token retry every WeChat call goes through (§3).
//! - [`login`]: `jscode2session`, sessions, signed and encrypted user data, phone numbers (§4–§7).
//! - [`push`]: the message-push webhook: verify, decrypt, parse, reply, the ledger (§8).
//! - [`qrcode`]: mini-program codes, URL schemes and links, official-account tickets (§13–§14).
//! - [`oa`]: the official account: web login, the JS-SDK ticket's signature, template and
//!   subscribe messages, users, scan-to-login (`wechat-oa.md`).
//! - [`ops`]: operating it: the counters, `/internal/stats`, the status page (`/admin`).
//! - [`outbound`]: customer-service and subscribe messages, media, analytics, security (§9–§12).
//! - [`users`]: the user directory in D1: accounts across apps, linked by unionid (wechat-oa.md §5).
//! - [`shared`]: configuration, the error type, errcodes, crypto primitives, URLs; on wasm32
//!   the request context, typed Durable Object calls and the WeChat HTTP client.
//! - [`routes`]: the route table (pure), read by the router and by every 405.
//! - `app` (wasm32): the entry points and the router.
//!
//! Unit tests: the tests of `x.rs` are its child module in `x/tests.rs` (of `mod.rs`, in
//! `tests.rs` or `tests/` beside it), so they can reach private items.

pub mod login;
pub mod oa;
pub mod ops;
pub mod outbound;
pub mod pay;
pub mod push;
pub mod qrcode;
pub mod routes;
pub mod shared;
pub mod token;
pub mod users;

#[cfg(target_arch = "wasm32")]
mod app;
