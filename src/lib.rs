//! wechat-edge: the server side of a WeChat mini-program (and an official account beside it),
//! compiled to WebAssembly as one Cloudflare Worker.
//!
//! # Layout
//!
//! Pure protocol code (no `worker` types; compiled everywhere, unit-tested natively):
//! - [`crypto`]: WXBizMsgCrypt (push envelopes), open-data decryption, every signature.
//! - [`push`]: push bodies (XML / JSON, plain / compatible / safe), the verify-decrypt-parse
//!   pipeline, dedupe keys and passive replies.
//! - [`cs_rules`]: what a push is answered with, and what runs after the response.
//! - [`config`]: typed configuration read from the environment.
//! - [`error`]: the one error type of the HTTP contract.
//! - [`errcode`]: WeChat errcodes and what they mean for us.
//! - [`token_policy`]: when an access_token is fresh, stale or due for refresh.
//! - [`session`]: login session tokens and their storage keys.
//!
//! The Worker (wasm32 only): `app` (entry points and router), `http` (request and response
//! helpers), `upstream` (WeChat calls through the token helper), `tokens` (the token read
//! path), `token_do` (the access-token Durable Object), `push_do` (the push ledger: exactly-once
//! claims and the outbox of slow work), `push_actions`, and the thin `handlers`.

pub mod config;
pub mod crypto;
pub mod cs_rules;
pub mod errcode;
pub mod outbound;
pub mod error;
pub mod push;
pub mod links;
pub mod multipart;
pub mod qrcode;
pub mod session;
pub mod token_policy;
pub mod urls;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod handlers;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod push_actions;
#[cfg(target_arch = "wasm32")]
mod push_do;
#[cfg(target_arch = "wasm32")]
mod token_do;
#[cfg(target_arch = "wasm32")]
mod token_fetch;
#[cfg(target_arch = "wasm32")]
mod tokens;
#[cfg(target_arch = "wasm32")]
mod upstream;
