//! Thin HTTP handlers: parse the request into domain types, call the pure code and the
//! upstream helpers, shape the response.

pub mod internal;
pub mod login;
pub mod messages;
pub mod push;
pub mod qrcode;
