//! Login and sessions (wechat-api.md §4–§7): `wx.login` codes exchanged through
//! `jscode2session`, our own session tokens, signed and encrypted user data, phone numbers.
//!
//! - [`session`]: session tokens, their storage keys and the sealed session record (pure).
//! - [`open_data`]: AES-128-CBC open data and its watermark (§6).
//! - [`replay`]: a code exchanged once, its answer replayed to retries for five minutes.
//! - [`sessions`]: a user's live sessions, strongly consistent (logout and revocation at once).
//! - [`signature`]: the rawData signature and the session HMAC.
//! - `login_do`: the login object, one per code: one `jscode2session` however often it is sent.
//! - `sessions_do`: the sessions object of a user (live sessions, failed decryptions).
//! - `handler`: `/api/login`, `/api/me`, `/api/logout`, `/api/user/*`, `/api/phone`.

pub mod open_data;
pub mod replay;
pub mod session;
pub mod sessions;
pub mod signature;

#[cfg(target_arch = "wasm32")]
pub mod handler;
#[cfg(target_arch = "wasm32")]
pub mod login_do;
#[cfg(target_arch = "wasm32")]
pub mod sessions_do;
