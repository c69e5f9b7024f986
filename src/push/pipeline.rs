//! The webhook's pure pipeline: check `signature` and the timestamp window, detect the format,
//! check `msg_signature` and decrypt when the body carries `Encrypt`, and parse the message.
//! The handler and the benchmarks both call [`open_push`].

use super::message::PushMessage;
use super::parse::parse_body;
use super::query::PushQuery;
use super::{Format, Mode, UTF8_BOM};
use crate::push::engine::{now_or_never, sorted_sha1_hex, Engine, Software};
use crate::push::msg_crypt::MsgCrypt;
use crate::shared::config::PushMode;
use crate::shared::crypto::hex_eq;
use crate::shared::crypto::CryptoError;
use serde_json::Value;
use std::fmt;

/// What the pipeline needs from the app's configuration.
#[derive(Debug, Clone, Copy)]
pub struct PushSecrets<'a> {
    pub token: &'a str,
    /// `None` when no EncodingAESKey is configured (plaintext mode only).
    pub crypt: Option<&'a MsgCrypt>,
    /// The console's mode: in compatible and safe mode a push must carry a valid `Encrypt`.
    pub mode: PushMode,
}

/// A verified, decrypted and parsed push.
#[derive(Debug, Clone, PartialEq)]
pub struct Incoming {
    /// The body's format; a reply must use the same one.
    pub format: Format,
    pub mode: Mode,
    pub message: PushMessage,
}

/// Why a push was refused; [`PushError::status`] picks the HTTP status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushError {
    /// `signature` or `msg_signature` does not match the Token.
    BadSignature,
    /// The timestamp is outside the window: a replay or a skewed clock.
    StaleTimestamp,
    /// A required query parameter is absent; names it.
    MissingParameter(&'static str),
    /// The body or a parameter is not what WeChat sends (including DOCTYPE and entities).
    Malformed(String),
    /// The `Encrypt` value did not decrypt, or was for another app.
    Crypto(CryptoError),
    /// The push is encrypted but no EncodingAESKey is configured, or the Token is empty.
    NotConfigured,
    /// A plaintext push to an app in compatible or safe mode: `signature` does not cover the
    /// body, so only `Encrypt` under `msg_signature` proves it came from WeChat.
    EncryptionRequired,
}

impl PushError {
    pub fn status(&self) -> u16 {
        match self {
            PushError::BadSignature | PushError::StaleTimestamp | PushError::EncryptionRequired => 401,
            PushError::Crypto(CryptoError::Engine) | PushError::NotConfigured => 500,
            PushError::MissingParameter(_) | PushError::Malformed(_) | PushError::Crypto(_) => 400,
        }
    }

    /// A stable machine-readable code for the error body and logs.
    pub fn code(&self) -> &'static str {
        match self {
            PushError::BadSignature => "bad_signature",
            PushError::StaleTimestamp => "stale_timestamp",
            PushError::MissingParameter(_) => "missing_parameter",
            PushError::Malformed(_) => "malformed_push",
            PushError::Crypto(CryptoError::AppIdMismatch) => "appid_mismatch",
            PushError::Crypto(CryptoError::Engine) => "crypto_unavailable",
            PushError::Crypto(_) => "decrypt_failed",
            PushError::NotConfigured => "push_not_configured",
            PushError::EncryptionRequired => "encryption_required",
        }
    }
}

impl fmt::Display for PushError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::BadSignature => f.write_str("the push signature does not match the configured Token"),
            PushError::StaleTimestamp => {
                f.write_str("the push timestamp is outside the allowed window (a replay, or a skewed clock)")
            }
            PushError::MissingParameter(name) => write!(f, "the query parameter `{name}` is missing"),
            PushError::Malformed(why) => write!(f, "malformed push: {why}"),
            PushError::Crypto(e) => write!(f, "the push could not be decrypted: {e}"),
            PushError::NotConfigured => f.write_str(
                "the push cannot be checked: the Token is empty, or the body is encrypted and no EncodingAESKey is configured",
            ),
            PushError::EncryptionRequired => f.write_str(
                "this app's pushes are encrypted (WECHAT_PUSH_MODE compatible or safe): a push without Encrypt and msg_signature is refused",
            ),
        }
    }
}

impl std::error::Error for PushError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PushError::Crypto(e) => Some(e),
            _ => None,
        }
    }
}

impl From<CryptoError> for PushError {
    fn from(e: CryptoError) -> Self {
        PushError::Crypto(e)
    }
}

/// The request's signed parameters, once `signature` has been checked.
struct Signed<'q> {
    timestamp: &'q str,
    nonce: &'q str,
}

/// Checks `signature` (every push and the URL check sign token, timestamp and nonce).
async fn check_signature<'q>(engine: &impl Engine, token: &str, query: &PushQuery<'q>) -> Result<Signed<'q>, PushError> {
    if token.is_empty() {
        return Err(PushError::NotConfigured);
    }
    let signature = query.signature.ok_or(PushError::MissingParameter("signature"))?;
    let timestamp = query.timestamp.ok_or(PushError::MissingParameter("timestamp"))?;
    let nonce = query.nonce.ok_or(PushError::MissingParameter("nonce"))?;
    if !hex_eq(&sorted_sha1_hex(engine, &[token, timestamp, nonce]).await?, signature) {
        return Err(PushError::BadSignature);
    }
    Ok(Signed { timestamp, nonce })
}

/// The URL check (§8.2): returns the `echostr` to answer with, byte for byte. The timestamp
/// window applies as it does to pushes, so a captured check cannot be replayed for ever.
pub fn verify_echo<'q>(token: &str, query: &PushQuery<'q>, now_unix: u64, window_secs: u64) -> Result<&'q str, PushError> {
    let signed = now_or_never(check_signature(&Software, token, query)).unwrap_or(Err(PushError::Crypto(CryptoError::Engine)))?;
    check_window(signed.timestamp, now_unix, window_secs)?;
    query.echostr.ok_or(PushError::MissingParameter("echostr"))
}

/// `|now - timestamp| <= window_secs`; 0 turns the check off (for replaying captured pushes).
fn check_window(timestamp: &str, now_unix: u64, window_secs: u64) -> Result<(), PushError> {
    let sent_at: u64 = timestamp.parse().map_err(|_| PushError::Malformed("the timestamp is not an integer".into()))?;
    if window_secs > 0 && now_unix.abs_diff(sent_at) > window_secs {
        return Err(PushError::StaleTimestamp);
    }
    Ok(())
}

/// Verifies, decrypts and parses one push. `window_secs` bounds |now - timestamp|; 0 turns the
/// check off (for replaying captured pushes). In compatible and safe mode a push without
/// `Encrypt` is refused: nothing signs a plaintext body, so accepting one would let anyone who
/// saw a push URL forge pushes (the plaintext downgrade).
pub fn open_push(
    secrets: &PushSecrets<'_>,
    query: &PushQuery<'_>,
    body: &[u8],
    now_unix: u64,
    window_secs: u64,
) -> Result<Incoming, PushError> {
    now_or_never(open_push_with(&Software, secrets, query, body, now_unix, window_secs))
        .unwrap_or(Err(PushError::Crypto(CryptoError::Engine)))
}

/// [`open_push`] with SHA-1 and AES done by `engine` (the Worker passes WebCrypto).
pub async fn open_push_with(
    engine: &impl Engine,
    secrets: &PushSecrets<'_>,
    query: &PushQuery<'_>,
    body: &[u8],
    now_unix: u64,
    window_secs: u64,
) -> Result<Incoming, PushError> {
    let signed = check_signature(engine, secrets.token, query).await?;
    check_window(signed.timestamp, now_unix, window_secs)?;

    let body = body.strip_prefix(UTF8_BOM).unwrap_or(body);
    let format = Format::detect(body).ok_or_else(|| PushError::Malformed("the body is neither XML nor a JSON object".into()))?;
    let mut outer = parse_body(format, body)?;

    let Some(encrypt) = outer.encrypt.take() else {
        if query.encrypt_type == Some("aes") {
            return Err(PushError::Malformed("encrypt_type=aes but the body has no Encrypt".into()));
        }
        if secrets.mode != PushMode::Plain {
            return Err(PushError::EncryptionRequired);
        }
        let message = outer.into_message()?;
        let mode = Mode::Plain;
        return Ok(Incoming { format, mode, message });
    };
    let message = open_encrypted(engine, secrets, query, &signed, format, encrypt).await?;
    // Compatible mode repeats the plaintext fields beside Encrypt; safe mode has only the
    // addressee. The plaintext copy is not covered by any signature, so it is never used.
    let mode = if outer.beside_encrypt { Mode::Compatible } else { Mode::Safe };
    Ok(Incoming { format, mode, message })
}

/// Checks `msg_signature` over the `Encrypt` value, decrypts it and parses the inner message,
/// which WeChat writes in the envelope's format.
async fn open_encrypted(
    engine: &impl Engine,
    secrets: &PushSecrets<'_>,
    query: &PushQuery<'_>,
    signed: &Signed<'_>,
    format: Format,
    encrypt: Value,
) -> Result<PushMessage, PushError> {
    let Value::String(encrypt) = encrypt else {
        return Err(PushError::Malformed("Encrypt must be a string".into()));
    };
    // Checked before looking at the configuration, so an unsigned request learns nothing.
    let given = query.msg_signature.ok_or(PushError::MissingParameter("msg_signature"))?;
    let expected = sorted_sha1_hex(engine, &[secrets.token, signed.timestamp, signed.nonce, &encrypt]).await?;
    if !hex_eq(&expected, given) {
        return Err(PushError::BadSignature);
    }
    let crypt = secrets.crypt.ok_or(PushError::NotConfigured)?;
    let inner = crypt.open_with(engine, &encrypt).await?.msg;
    let inner = inner.as_bytes();
    let inner = inner.strip_prefix(UTF8_BOM).unwrap_or(inner);
    if Format::detect(inner) != Some(format) {
        return Err(PushError::Malformed("the decrypted message is not in the envelope's format".into()));
    }
    parse_body(format, inner)?.into_message()
}
