//! The notify WeChat Pay POSTs to our notify URL (wechat-pay.md §5, §6): the envelope, its
//! encrypted resource (AEAD_AES_256_GCM with the APIv3 key), the checks of the plaintext
//! against our order, and the answer. Verify the signature first ([`super::verify`]), over the
//! raw body; only then parse.
//!
//! The resource is handed out as plain bytes ([`Sealed`]) so either backend can open it:
//! WebCrypto `decrypt({name: "AES-GCM", iv, additionalData, tagLength: 128})` in the Worker,
//! [`open`] (RustCrypto) natively. Both take `ciphertext ‖ tag` exactly as WeChat sends it.

use super::model::{RefundNotice, Transaction};
use super::verify::VerifyError;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde::Deserialize;
use std::fmt;

pub const AEAD_AES_256_GCM: &str = "AEAD_AES_256_GCM";
/// GCM's tag, at the end of the ciphertext (§5 step 5).
pub const TAG_LEN: usize = 16;
/// Notify bodies are a few KB; anything far larger is not WeChat.
pub const MAX_NOTIFY_BODY: usize = 64 * 1024;

/// Why a notify was not accepted, and so what we answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyError {
    /// The signature, timestamp or serial check failed.
    Verify(VerifyError),
    /// The body is not the envelope (after a good signature: WeChat changed something).
    Malformed(&'static str),
    /// `resource.algorithm` is not AEAD_AES_256_GCM.
    Algorithm,
    /// Authentication failed: almost always a wrong APIv3 key in our configuration (§11).
    Decrypt,
    /// The plaintext is not the resource `event_type` promised.
    Plaintext(String),
    /// The plaintext disagrees with our order on this field: forged, or not ours.
    Mismatch(&'static str),
    /// No such order (yet: a notify can outrun the commit of its order, §10).
    UnknownOrder,
}

impl fmt::Display for NotifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifyError::Verify(e) => write!(f, "verification failed: {e}"),
            NotifyError::Malformed(what) => write!(f, "the notify body is not WeChat Pay's envelope ({what})"),
            NotifyError::Algorithm => f.write_str("resource.algorithm is not AEAD_AES_256_GCM"),
            NotifyError::Decrypt => {
                f.write_str("the resource does not decrypt: check WECHATPAY_APIV3_KEY (reset in the merchant platform?)")
            }
            NotifyError::Plaintext(why) => write!(f, "the decrypted resource: {why}"),
            NotifyError::Mismatch(field) => write!(f, "the notify's {field} does not match our order"),
            NotifyError::UnknownOrder => f.write_str("no such order here (yet)"),
        }
    }
}

impl std::error::Error for NotifyError {}

impl From<VerifyError> for NotifyError {
    fn from(e: VerifyError) -> Self {
        NotifyError::Verify(e)
    }
}

/// The envelope (§5).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Notify {
    pub id: String,
    #[serde(default)]
    pub create_time: String,
    pub event_type: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub summary: String,
    pub resource: Resource,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    /// May be empty (doc: "可能为空字符串"); absent reads as empty.
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
    #[serde(default)]
    pub original_type: String,
}

/// What the envelope announces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    TransactionSuccess,
    RefundSuccess,
    RefundAbnormal,
    RefundClosed,
    /// Verified, but not ours to handle: acknowledge and log, or WeChat redelivers for a day.
    Other(String),
}

impl Notify {
    /// Parses a body whose signature has been verified. Bounded, and never echoes the body.
    pub fn parse(body: &[u8]) -> Result<Notify, NotifyError> {
        if body.len() > MAX_NOTIFY_BODY {
            return Err(NotifyError::Malformed("too large"));
        }
        serde_json::from_slice(body).map_err(|_| NotifyError::Malformed("not the JSON of {id, event_type, resource{…}}"))
    }

    pub fn event(&self) -> Event {
        match self.event_type.as_str() {
            "TRANSACTION.SUCCESS" => Event::TransactionSuccess,
            "REFUND.SUCCESS" => Event::RefundSuccess,
            "REFUND.ABNORMAL" => Event::RefundAbnormal,
            "REFUND.CLOSED" => Event::RefundClosed,
            other => Event::Other(other.chars().take(64).collect()),
        }
    }
}

/// The AES-GCM inputs as bytes: 12-byte nonce, the AAD, and `ciphertext ‖ 16-byte tag`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub nonce: Vec<u8>,
    pub aad: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl Resource {
    /// The bytes to decrypt: the nonce and AAD are UTF-8 text used as they are; the
    /// ciphertext is base64 (§5 step 5). Refuses anything but AEAD_AES_256_GCM.
    pub fn sealed(&self) -> Result<Sealed, NotifyError> {
        if self.algorithm != AEAD_AES_256_GCM {
            return Err(NotifyError::Algorithm);
        }
        if self.nonce.len() != 12 {
            return Err(NotifyError::Malformed("resource.nonce is not 12 bytes"));
        }
        let ciphertext =
            STANDARD.decode(&self.ciphertext).map_err(|_| NotifyError::Malformed("resource.ciphertext is not base64"))?;
        if ciphertext.len() < TAG_LEN {
            return Err(NotifyError::Malformed("resource.ciphertext is shorter than the GCM tag"));
        }
        Ok(Sealed { nonce: self.nonce.as_bytes().to_vec(), aad: self.associated_data.as_bytes().to_vec(), ciphertext })
    }
}

/// AES-256-GCM decryption (native backend): `key` is the APIv3 key's 32 bytes.
pub fn open(key: &[u8], sealed: &Sealed) -> Result<Vec<u8>, NotifyError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| NotifyError::Decrypt)?;
    if sealed.nonce.len() != 12 {
        return Err(NotifyError::Malformed("the nonce is not 12 bytes"));
    }
    let nonce = Nonce::from_slice(&sealed.nonce);
    cipher.decrypt(nonce, Payload { msg: &sealed.ciphertext, aad: &sealed.aad }).map_err(|_| NotifyError::Decrypt)
}

/// What our order says, to hold a payment notify (or a query answer) against.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub mchid: &'a str,
    pub appid: &'a str,
    pub out_trade_no: &'a str,
    /// Fen.
    pub total: u64,
}

/// The decrypted payment, checked against our order (§5 step 6): same merchant, app, order and
/// amount, and actually paid. A mismatch is a forgery or someone else's notify: nothing changes.
pub fn check_payment(plaintext: &[u8], expected: Expected<'_>) -> Result<Transaction, NotifyError> {
    let tx = Transaction::parse(plaintext).map_err(NotifyError::Plaintext)?;
    if tx.mchid != expected.mchid {
        return Err(NotifyError::Mismatch("mchid"));
    }
    if tx.appid != expected.appid {
        return Err(NotifyError::Mismatch("appid"));
    }
    if tx.out_trade_no != expected.out_trade_no {
        return Err(NotifyError::Mismatch("out_trade_no"));
    }
    if tx.total() != Some(expected.total) {
        return Err(NotifyError::Mismatch("amount.total"));
    }
    if !tx.trade_state.is_paid() {
        return Err(NotifyError::Mismatch("trade_state"));
    }
    if tx.transaction_id.as_deref().is_none_or(str::is_empty) {
        return Err(NotifyError::Plaintext("a paid transaction without transaction_id".to_owned()));
    }
    Ok(tx)
}

/// The decrypted refund notice, checked against our refund: same merchant, order, refund
/// number and amount.
pub fn check_refund_notice(
    plaintext: &[u8],
    mchid: &str,
    out_trade_no: &str,
    out_refund_no: &str,
    refund: u64,
) -> Result<RefundNotice, NotifyError> {
    let notice = RefundNotice::parse(plaintext).map_err(NotifyError::Plaintext)?;
    if notice.mchid != mchid {
        return Err(NotifyError::Mismatch("mchid"));
    }
    if notice.out_trade_no != out_trade_no {
        return Err(NotifyError::Mismatch("out_trade_no"));
    }
    if notice.out_refund_no != out_refund_no {
        return Err(NotifyError::Mismatch("out_refund_no"));
    }
    if notice.amount.as_ref().and_then(|a| a.refund) != Some(refund) {
        return Err(NotifyError::Mismatch("amount.refund"));
    }
    Ok(notice)
}

/// Our answer to a notify (§5): a 2xx without a body stops the redeliveries; anything else
/// makes WeChat try again on its schedule, so a failure is only answered when trying again
/// can help or when the notify must not be believed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyReply {
    /// 204, no body: received (also for a duplicate, and for an event we do not handle).
    Ack,
    /// 4xx/5xx with `{"code":"FAIL","message":…}`: WeChat redelivers.
    Fail { status: u16, message: String },
}

impl NotifyReply {
    /// The answer to a refused notify: 401 for a failed verification (WeChat's probes expect a
    /// refusal), 400 for a body that is not what it claims, 500 when our APIv3 key cannot open
    /// it (fix the key; the redeliveries then succeed), 503 when the order is not there yet.
    pub fn refuse(error: &NotifyError) -> NotifyReply {
        let status = match error {
            NotifyError::Verify(_) => 401,
            NotifyError::Decrypt => 500,
            NotifyError::UnknownOrder => 503,
            NotifyError::Malformed(_) | NotifyError::Algorithm | NotifyError::Plaintext(_) | NotifyError::Mismatch(_) => 400,
        };
        NotifyReply::Fail { status, message: error.to_string() }
    }

    /// Our storage failed: try again later.
    pub fn busy() -> NotifyReply {
        NotifyReply::Fail { status: 503, message: "busy, try again".to_owned() }
    }

    pub fn status(&self) -> u16 {
        match self {
            NotifyReply::Ack => 204,
            NotifyReply::Fail { status, .. } => *status,
        }
    }

    /// `None` for the success (no body at all); the `FAIL` JSON otherwise. The message is ours,
    /// made from names and never from the notify's content.
    pub fn body(&self) -> Option<String> {
        match self {
            NotifyReply::Ack => None,
            NotifyReply::Fail { message, .. } => Some(serde_json::json!({ "code": "FAIL", "message": message }).to_string()),
        }
    }
}

#[cfg(test)]
mod tests;
