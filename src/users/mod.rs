//! The user directory (wechat-oa.md §5): one row per account, (appid, openid), in D1; a
//! person is every account that shares a unionid. Filled by mini-program logins, official
//! account follows, web logins and scan-to-login, and (issue 15) payments.
//!
//! - [`directory`]: the account record, how we learned of it, the person answer, the lookup
//!   query (pure).
//! - `store`: the D1 statements.
//! - `handler`: `GET /internal/users` (the delete, which also ends sessions, is in `login`).

pub mod directory;

#[cfg(target_arch = "wasm32")]
pub mod handler;
#[cfg(target_arch = "wasm32")]
pub mod store;
