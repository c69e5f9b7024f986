//! The benchmarked work, shared word for word by the native criterion bench
//! (`benches/pipeline.rs`) and the wasm harness (`benches/wasm`), so both time the same code on
//! the same bytes: the input files written by `scripts/bench/inputs.rs`.
//!
//! One push pipeline is what the Worker's `/wechat/push` handler does between reading the body
//! and sending the answer, minus storage: parse the raw query string, check `signature` (and
//! `msg_signature`), decrypt, parse the message, plan the answer with the default rules
//! (transfer user messages to the customer-service tool) and render the passive reply,
//! encrypted in safe mode.
#![allow(dead_code)]

use serde::Deserialize;
use wechat_edge::login::open_data::{check_watermark, decrypt_open_data};
use wechat_edge::login::signature::{raw_data_signature, session_signature};
use wechat_edge::push::msg_crypt::MsgCrypt;
use wechat_edge::push::rules::{plan, render, ReplyCrypto, Rules};
use wechat_edge::push::{open_push, parse_query, PushQuery, PushSecrets};
use wechat_edge::shared::config::AppType;
use wechat_edge::shared::config::PushMode;
use wechat_edge::shared::crypto::hex_eq;

/// The timestamp window the Worker applies by default (seconds).
pub const WINDOW_SECS: u64 = 300;

/// One push as WeChat delivers it, plus what the reply needs (fixed here so every run, native
/// or wasm, produces the same bytes as `expected_reply`).
#[derive(Debug, Clone, Deserialize)]
pub struct PushCase {
    pub name: String,
    pub token: String,
    pub encoding_aes_key: String,
    pub appid: String,
    /// The raw query string, as on the request URL (without `?`).
    pub query: String,
    pub body: String,
    pub now: u64,
    pub reply_nonce: String,
    /// 16 bytes as 32 hex digits.
    pub reply_random16: String,
    pub expected_reply: String,
}

/// A case with its keys and rules built once, as a Worker isolate would keep them.
pub struct Prepared {
    pub case: PushCase,
    pub crypt: MsgCrypt,
    pub rules: Rules,
    pub random16: [u8; 16],
}

impl Prepared {
    pub fn new(case: PushCase) -> Result<Self, String> {
        let crypt = MsgCrypt::new(&case.encoding_aes_key, &case.appid).map_err(|e| format!("{}: {e}", case.name))?;
        let random16: [u8; 16] = hex::decode(&case.reply_random16)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| format!("{}: reply_random16 is not 16 hex bytes", case.name))?;
        Ok(Prepared { case, crypt, rules: default_rules(), random16 })
    }
}

/// The Worker's default customer-service rules (wrangler.toml): greeting on, transfer on.
pub fn default_rules() -> Rules {
    Rules {
        app_type: AppType::MiniProgram,
        greeting: "您好，有什么能帮助你?".into(),
        transfer: true,
        keywords: Vec::new(),
        forward: false,
    }
}

/// One push, from the raw request to the reply body.
pub fn run_push(p: &Prepared) -> Result<String, String> {
    let case = &p.case;
    let pairs = parse_query(&case.query);
    let query = PushQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let secrets = PushSecrets { token: &case.token, crypt: Some(&p.crypt), mode: PushMode::Plain };
    let incoming = open_push(&secrets, &query, case.body.as_bytes(), case.now, WINDOW_SECS).map_err(|e| e.to_string())?;
    let plan = plan(&p.rules, &incoming.message);
    let crypto = ReplyCrypto { crypt: &p.crypt, token: &case.token, nonce: &case.reply_nonce, random16: p.random16 };
    let (reply, _content_type) = render(&plan.passive, incoming.format, incoming.mode, &incoming.message, case.now, Some(crypto));
    Ok(reply)
}

/// The login crypto inputs: open data (§6), the rawData signature and the session signature.
#[derive(Debug, Clone, Deserialize)]
pub struct LoginCase {
    pub appid: String,
    pub session_key: String,
    pub iv: String,
    pub encrypted_data: String,
    pub expected_plaintext: String,
    pub raw_data: String,
    pub raw_data_signature: String,
    /// The message `checksession` signs (empty).
    pub session_message: String,
    pub session_signature: String,
}

/// `encryptedData` → plaintext JSON.
pub fn run_open_data(c: &LoginCase) -> Result<String, String> {
    decrypt_open_data(&c.session_key, &c.iv, &c.encrypted_data).map_err(|e| e.to_string())
}

/// `encryptedData` → plaintext, parsed, watermark checked: what a login route does with it.
pub fn run_open_data_checked(c: &LoginCase) -> Result<serde_json::Value, String> {
    let plain = run_open_data(c)?;
    check_watermark(&plain, &c.appid).map_err(|e| e.to_string())
}

/// Computes and checks the rawData signature the client sent.
pub fn run_raw_data_signature(c: &LoginCase) -> bool {
    hex_eq(&raw_data_signature(&c.raw_data, &c.session_key), &c.raw_data_signature)
}

/// Computes and checks the `checksession` signature.
pub fn run_session_signature(c: &LoginCase) -> bool {
    hex_eq(&session_signature(&c.session_key, &c.session_message), &c.session_signature)
}
