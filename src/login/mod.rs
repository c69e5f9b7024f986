//! Login and sessions (wechat-api.md §4–§7): `wx.login` codes exchanged through
//! `jscode2session`, our own session tokens, signed and encrypted user data, phone numbers.
//!
//! - [`session`]: session tokens, their storage keys and the sealed session record (pure).
//! - [`open_data`]: AES-128-CBC open data and its watermark (§6).
//! - [`signature`]: the rawData signature and the session HMAC.
//! - `handler`: `/api/login`, `/api/me`, `/api/logout`, `/api/user/*`, `/api/phone`.

pub mod open_data;
pub mod session;
pub mod signature;

#[cfg(target_arch = "wasm32")]
pub mod handler;
