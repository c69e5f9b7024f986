//! WeChat Pay APIv3 for the mini-program (issue #15). Sections (§) are those of `wechat-pay.md`.
//!
//! Pure (no `worker` types, unit-tested natively with the vectors of §9):
//! - [`config`]: the merchant's `WECHATPAY_*` configuration, errors naming the variable (§1.1).
//! - [`catalogue`]: `PAY_CATALOGUE`, the prices the mini-program may order at.
//! - [`der`]: PEM → DER, the key checks, and the SPKI and serial of an X.509 certificate (§12).
//! - [`fields`]: WeChat Pay's field rules (lengths, charsets, amounts, URLs, RFC 3339 times).
//! - [`sign`]: the request signature message, `Authorization`, the `wx.requestPayment`
//!   parameters and their `paySign` message (§2.1, §3.1).
//! - [`verify`]: `Wechatpay-*` headers, the timestamp window, probes, the verification message,
//!   and the [`verify::KeyRing`] that picks a key by `Wechatpay-Serial` (§1.2, §2.3).
//! - [`order`]: the JSAPI order, its query and close (§3, §4); [`refund`]: refunds (§6);
//!   [`shipping`]: `upload_shipping_info` and its errcodes (§7).
//! - [`model`]: Transaction, Refund, refund notice, `trade_state` and refund status (§4–§6).
//! - [`notify`]: the notify envelope, AES-256-GCM, the checks against our order and the answer (§5).
//! - [`certs`]: the `/v3/certificates` answer and the certificates in it (§1.2).
//! - [`state`]: our order state, its transitions, refund bounds and the reconciliation schedule.
//!
//! The Worker (wasm32 only): `webcrypto`, RSA-SHA256 signing and verification and AES-GCM
//! through the runtime's SubtleCrypto (constant-time, native speed, no wasm size).
//!
//! The RSA signatures are never made here: a function returns the message to sign and takes
//! the signature back, so the same code is tested natively (the `rsa` crate, tests only) and
//! runs in the Worker (WebCrypto).

pub mod catalogue;
pub mod certs;
pub mod config;
pub mod der;
pub mod fields;
pub mod model;
pub mod notify;
pub mod order;
pub mod refund;
pub mod shipping;
pub mod sign;
pub mod state;
pub mod verify;

#[cfg(target_arch = "wasm32")]
pub mod client;
#[cfg(target_arch = "wasm32")]
pub mod handler;
#[cfg(target_arch = "wasm32")]
pub mod refunds;
#[cfg(target_arch = "wasm32")]
pub mod shipping_events;
#[cfg(target_arch = "wasm32")]
pub mod shipping_handler;
#[cfg(target_arch = "wasm32")]
pub mod store;
#[cfg(target_arch = "wasm32")]
pub mod webcrypto;

#[cfg(test)]
mod tests;

pub use config::PayConfig;
pub use verify::KeyRing;
