//! Tests of the push pipeline, shared fixtures first. The vectors live in `tests/vectors.rs`.

mod envelope;
mod fuzz;
mod messages;
mod nested;
mod pipeline;
mod replies;

use super::{PushQuery, PushSecrets};
use crate::push::msg_crypt::MsgCrypt;
use crate::push::signature::{msg_signature, push_signature};
use crate::shared::config::PushMode;

pub(super) const TOKEN: &str = "spamtest";
pub(super) const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub(super) const APPID: &str = "wx2c2769f8efd9abc2";
pub(super) const NOW: u64 = 1_700_000_000;
pub(super) const RANDOM: [u8; 16] = *b"0123456789abcdef";

pub(super) fn crypt() -> MsgCrypt {
    MsgCrypt::new(AES_KEY, APPID).unwrap()
}

/// Owned query parameters, signed as WeChat signs them.
pub(super) struct Signed {
    pub signature: String,
    pub timestamp: String,
    pub nonce: String,
    pub msg_signature: Option<String>,
    pub encrypt_type: Option<&'static str>,
}

impl Signed {
    pub fn plain(timestamp: u64) -> Self {
        let timestamp = timestamp.to_string();
        let nonce = String::from("1320562132");
        Signed { signature: push_signature(TOKEN, &timestamp, &nonce), timestamp, nonce, msg_signature: None, encrypt_type: None }
    }

    pub fn encrypted(timestamp: u64, encrypt: &str) -> Self {
        let mut signed = Signed::plain(timestamp);
        signed.msg_signature = Some(msg_signature(TOKEN, &signed.timestamp, &signed.nonce, encrypt));
        signed.encrypt_type = Some("aes");
        signed
    }

    pub fn query(&self) -> PushQuery<'_> {
        PushQuery {
            signature: Some(&self.signature),
            timestamp: Some(&self.timestamp),
            nonce: Some(&self.nonce),
            msg_signature: self.msg_signature.as_deref(),
            encrypt_type: self.encrypt_type,
            ..PushQuery::default()
        }
    }
}

pub(super) fn secrets(crypt: &MsgCrypt) -> PushSecrets<'_> {
    PushSecrets { token: TOKEN, crypt: Some(crypt), mode: PushMode::Plain }
}
