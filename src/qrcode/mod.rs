//! QR codes and links (wechat-api.md §13–§14; wechat-oa.md for ticket QR codes): requests
//! validated before quota is spent, canonical cache keys, image sniffing and ETags.
//!
//! - [`codes`]: `getwxacodeunlimit`, `getwxacode`, `createwxaqrcode`, official-account tickets.
//! - [`links`]: URL schemes and URL links.
//! - `handler`: `/api/qrcode`, `/internal/qrcode/*`, `/internal/links/*`, `/internal/oa/qrcode`.

pub mod codes;
pub mod links;

#[cfg(target_arch = "wasm32")]
pub mod handler;
