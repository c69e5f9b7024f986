//! Crypto primitives the capabilities share: CBC in place and PKCS#7 for both AES schemes (the
//! push envelope in `push::msg_crypt`, open data in `login::open_data`), the [`CryptoError`]
//! they report and the constant-time hex comparison every signature check goes through (the
//! signatures' sorted SHA-1 is `push::engine::sorted_sha1_hex`). Pure Rust (RustCrypto), no
//! `worker` types.

use std::fmt;
use subtle::ConstantTimeEq;

/// Why a decryption (or a key) was refused. Messages name the problem, never key material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CryptoError {
    /// The EncodingAESKey is not 43 characters of `[A-Za-z0-9]` decoding to 32 bytes.
    InvalidKey,
    /// The ciphertext (or iv, or session_key) is not valid standard base64.
    InvalidBase64,
    /// The ciphertext is empty or not a whole number of AES blocks.
    InvalidLength,
    /// The PKCS#7 padding is wrong: usually a wrong key or a corrupted ciphertext.
    InvalidPadding,
    /// The length prefix points outside the decrypted buffer.
    InvalidMessageLength,
    /// The trailer after the message is not our app id: encrypted for another app.
    AppIdMismatch,
    /// The decrypted message is not UTF-8.
    NotUtf8,
    /// An open-data iv that is not base64 of 16 bytes.
    InvalidIv,
    /// A session_key that is not base64 of 16 bytes.
    InvalidSessionKey,
    /// The runtime's crypto (WebCrypto) failed or did not answer: a server fault, not the input's.
    Engine,
}

impl fmt::Display for CryptoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CryptoError::InvalidKey => "the EncodingAESKey must be 43 characters of A-Z, a-z, 0-9 (base64 of 32 bytes)",
            CryptoError::InvalidBase64 => "the ciphertext is not valid base64",
            CryptoError::InvalidLength => "the ciphertext is empty or not a multiple of the 16-byte AES block",
            CryptoError::InvalidPadding => "the decrypted padding is invalid (wrong key or corrupted ciphertext)",
            CryptoError::InvalidMessageLength => {
                "the decrypted length prefix does not fit the buffer (wrong key or corrupted ciphertext)"
            }
            CryptoError::AppIdMismatch => "the decrypted message was encrypted for another app id",
            CryptoError::NotUtf8 => "the decrypted message is not UTF-8",
            CryptoError::InvalidIv => "the iv must be base64 of 16 bytes",
            CryptoError::InvalidSessionKey => "the session_key must be base64 of 16 bytes (log in again)",
            CryptoError::Engine => "the runtime's crypto failed",
        })
    }
}

impl std::error::Error for CryptoError {}

/// AES block size; both schemes run CBC over 16-byte blocks.
pub(crate) const AES_BLOCK: usize = 16;

/// CBC-decrypts `buf` in place (no padding handling: callers unpad with [`pkcs7_unpad`]).
/// Callers check the length is a non-zero multiple of 16 first; were it not, nothing is
/// decrypted and the unpadder refuses the unchanged buffer, so no input can make this panic.
pub(crate) fn cbc_decrypt_in_place<C>(decryptor: C, buf: &mut [u8])
where
    C: aes::cipher::BlockDecryptMut,
{
    let _ = decryptor.decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(buf);
}

/// CBC-encrypts `buf` in place; `buf` is already padded to a multiple of 16.
pub(crate) fn cbc_encrypt_in_place<C>(encryptor: C, buf: &mut [u8])
where
    C: aes::cipher::BlockEncryptMut,
{
    let len = buf.len();
    let _ = encryptor.encrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(buf, len);
}

/// Appends PKCS#7 padding up to a multiple of `block` (16 for open data, 32 for WXBizMsgCrypt);
/// a full block of padding when already aligned, as both schemes require.
pub(crate) fn pkcs7_pad(buf: &mut Vec<u8>, block: u8) {
    let used = buf.len().checked_rem(usize::from(block)).and_then(|rem| u8::try_from(rem).ok()).unwrap_or(0);
    let pad = block.saturating_sub(used);
    buf.resize(buf.len().saturating_add(usize::from(pad)), pad);
}

/// Strips PKCS#7 padding of value 1..=`max_pad`, checking every pad byte; returns the content
/// and the pad value.
pub(crate) fn pkcs7_unpad(plain: &[u8], max_pad: u8) -> Result<(&[u8], u8), CryptoError> {
    let (&pad, _) = plain.split_last().ok_or(CryptoError::InvalidLength)?;
    if pad == 0 || pad > max_pad {
        return Err(CryptoError::InvalidPadding);
    }
    let content_len = plain.len().checked_sub(usize::from(pad)).ok_or(CryptoError::InvalidPadding)?;
    let (content, padding) = plain.split_at_checked(content_len).ok_or(CryptoError::InvalidPadding)?;
    if padding.iter().any(|&b| b != pad) {
        return Err(CryptoError::InvalidPadding);
    }
    Ok((content, pad))
}

/// Compares a computed hex signature with one from a request in constant time.
///
/// `given` may use either case (some SDKs send uppercase hex). Lengths are public, so a length
/// mismatch returns early; an empty `expected` never matches, so a failed computation cannot
/// turn into "any empty signature is valid".
pub fn hex_eq(expected: &str, given: &str) -> bool {
    if expected.is_empty() || expected.len() != given.len() {
        return false;
    }
    // Fold the differences into one byte (no branch on the data), then one constant-time test.
    let diff =
        expected.bytes().zip(given.bytes()).fold(0u8, |acc, (a, b)| acc | (a.to_ascii_lowercase() ^ b.to_ascii_lowercase()));
    diff.ct_eq(&0).into()
}

#[cfg(test)]
mod tests;
