//! The official account beside the mini-program (wechat-oa.md): web login, the JS-SDK
//! signature, template and subscribe messages, users, and scan-to-login.
//!
//! - [`oauth`]: the authorize URL, the signed single-use state, the code exchange's answer (§1).
//! - [`jssdk`]: the `wx.config` signature over the page URL (§2.2).
//! - [`messages`]: template messages checked against the account's templates (§3).
//! - [`scan`]: scan-to-login scenes, attempt ids and states (§6).
//! - [`calls`]: the web-login and scan objects' calls, typed on both sides.
//! - `web_login_do`, `scan_do`: those Durable Objects; `handler`: the routes; `events`: what the
//!   push webhook's outbox runs for follows and scans.

pub mod calls;
pub mod jssdk;
pub mod messages;
pub mod oauth;
pub mod scan;

#[cfg(target_arch = "wasm32")]
pub mod events;
#[cfg(target_arch = "wasm32")]
pub mod handler;
#[cfg(target_arch = "wasm32")]
pub mod scan_do;
#[cfg(target_arch = "wasm32")]
pub mod web_login_do;
