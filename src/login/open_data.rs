//! Open data (`encryptedData` from `wx.getUserInfo` and friends, §6): AES-128-CBC keyed by the
//! user's session_key, standard 16-byte PKCS#7, UTF-8 JSON carrying a `watermark.appid`.

use crate::shared::crypto::{cbc_decrypt_in_place, cbc_encrypt_in_place, pkcs7_pad, pkcs7_unpad, CryptoError, AES_BLOCK};
use aes::cipher::KeyIvInit;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt;

type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;
type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

/// Open data uses standard PKCS#7 over the 16-byte AES block.
const PAD_BLOCK: u8 = 16;

/// Decrypts `encryptedData` with the user's current session_key.
///
/// A padding or UTF-8 failure almost always means the session_key rotated (a later `wx.login`)
/// and the user must log in again.
pub fn decrypt_open_data(session_key_b64: &str, iv_b64: &str, encrypted_b64: &str) -> Result<String, CryptoError> {
    let key = decode_16(session_key_b64).ok_or(CryptoError::InvalidSessionKey)?;
    let iv = decode_16(iv_b64).ok_or(CryptoError::InvalidIv)?;
    let mut plain = STANDARD.decode(encrypted_b64.as_bytes()).map_err(|_| CryptoError::InvalidBase64)?;
    if plain.is_empty() || plain.len() % AES_BLOCK != 0 {
        return Err(CryptoError::InvalidLength);
    }
    cbc_decrypt_in_place(Aes128CbcDec::new(&key.into(), &iv.into()), &mut plain);

    let (content, _) = pkcs7_unpad(&plain, PAD_BLOCK)?;
    String::from_utf8(content.to_vec()).map_err(|_| CryptoError::NotUtf8)
}

/// Encrypts open data as WeChat does; the simulator uses it to hand out `encryptedData`.
pub fn encrypt_open_data(session_key_b64: &str, iv: [u8; 16], plaintext: &str) -> Result<String, CryptoError> {
    let key = decode_16(session_key_b64).ok_or(CryptoError::InvalidSessionKey)?;
    let mut plain = plaintext.as_bytes().to_vec();
    pkcs7_pad(&mut plain, PAD_BLOCK);
    cbc_encrypt_in_place(Aes128CbcEnc::new(&key.into(), &iv.into()), &mut plain);
    Ok(STANDARD.encode(&plain))
}

fn decode_16(b64: &str) -> Option<[u8; 16]> {
    STANDARD.decode(b64.as_bytes()).ok()?.try_into().ok()
}

/// Why decrypted open data was not accepted as ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatermarkError {
    /// The plaintext is not a JSON object.
    NotJson,
    /// There is no `watermark.appid` string.
    Missing,
    /// `watermark.appid` names another app.
    Mismatch,
}

impl fmt::Display for WatermarkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WatermarkError::NotJson => "the decrypted open data is not a JSON object",
            WatermarkError::Missing => "the decrypted open data has no watermark.appid",
            WatermarkError::Mismatch => "the open data watermark names another app id",
        })
    }
}

impl std::error::Error for WatermarkError {}

/// Parses decrypted open data and checks it was issued for `appid`.
pub fn check_watermark(plaintext_json: &str, appid: &str) -> Result<serde_json::Value, WatermarkError> {
    let value: serde_json::Value = serde_json::from_str(plaintext_json).map_err(|_| WatermarkError::NotJson)?;
    if !value.is_object() {
        return Err(WatermarkError::NotJson);
    }
    let found =
        value.get("watermark").and_then(|w| w.get("appid")).and_then(serde_json::Value::as_str).ok_or(WatermarkError::Missing)?;
    if found != appid {
        return Err(WatermarkError::Mismatch);
    }
    Ok(value)
}

/// Why open data sent to `/api/user/decrypt` was refused: its shape, named and decided before
/// anything is decrypted, or after that one undifferentiated failure. Telling a padding error
/// from a UTF-8, JSON or watermark error would make the route a padding oracle: with an IV of
/// their choice a session holder could forge data that decrypts to any JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenDataError {
    /// A field that cannot be what WeChat sends: `(field, problem)`.
    Field(&'static str, &'static str),
    /// Anything after the shape: the key, the padding, the text, the watermark, its age.
    Failed,
}

/// Decrypts and checks open data as one step: the watermark must name `appid` and, unless
/// `max_age_secs` is 0, its `timestamp` be at most that old (and not from the future), so old
/// data cannot be replayed.
pub fn open_user_data(
    session_key_b64: &str,
    iv_b64: &str,
    encrypted_b64: &str,
    appid: &str,
    now_unix: u64,
    max_age_secs: u64,
) -> Result<serde_json::Value, OpenDataError> {
    if decode_16(iv_b64).is_none() {
        return Err(OpenDataError::Field("iv", "must be base64 of 16 bytes"));
    }
    let len = STANDARD.decode(encrypted_b64.as_bytes()).map(|b| b.len()).unwrap_or(0);
    if len == 0 || !len.is_multiple_of(AES_BLOCK) {
        return Err(OpenDataError::Field("encryptedData", "must be base64 of a whole number of 16-byte blocks"));
    }
    let plain = decrypt_open_data(session_key_b64, iv_b64, encrypted_b64).map_err(|_| OpenDataError::Failed)?;
    let value = check_watermark(&plain, appid).map_err(|_| OpenDataError::Failed)?;
    if max_age_secs > 0 {
        let issued = value["watermark"]["timestamp"].as_u64().ok_or(OpenDataError::Failed)?;
        // A few minutes of clock skew either way; WeChat's clock and ours are both NTP-synced.
        if issued > now_unix.saturating_add(300) || now_unix.saturating_sub(issued) > max_age_secs {
            return Err(OpenDataError::Failed);
        }
    }
    Ok(value)
}

#[cfg(test)]
mod tests;
