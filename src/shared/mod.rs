//! What every capability shares; it imports no capability.
//!
//! Pure (compiled everywhere, unit-tested natively):
//! - [`config`]: typed configuration read from the environment.
//! - [`error`]: the one error type of the HTTP contract.
//! - [`errcode`]: WeChat errcodes and what they mean for us.
//! - [`crypto`]: CBC and PKCS#7, the sorted SHA-1 and the constant-time hex comparison.
//! - [`fields`]: the readers of JSON request fields, and mini-program page paths.
//! - [`image`]: what image WeChat sent, and whether it arrived whole.
//! - [`date`]: the civil calendar (Beijing dates for datacube and subscribe values).
//! - [`seal`]: small secrets at rest under AES-256-GCM, keyed by HKDF from what the reader holds.
//! - [`urls`]: WeChat URLs (the logged form never carries the query) and query reading.
//!
//! The Workers platform (wasm32 only): `http` (the request context, bodies, responses, the
//! internal key, the client's IP), `limits` (the rate-limiting bindings), `objects` (typed
//! Durable Object calls) and `wechat` (the WeChat HTTP client).

pub mod config;
pub mod crypto;
pub mod date;
pub mod errcode;
pub mod error;
pub mod fields;
pub mod image;
pub mod log;
pub mod objects;
pub mod origins;
pub mod seal;
pub mod stats;
pub mod urls;

#[cfg(target_arch = "wasm32")]
pub mod http;
#[cfg(target_arch = "wasm32")]
pub mod limits;
#[cfg(target_arch = "wasm32")]
pub mod webcrypto;
#[cfg(target_arch = "wasm32")]
pub mod wechat;
