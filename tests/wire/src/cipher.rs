//! The push envelope's cipher (wechat-api.md §8.5, the WXBizMsgCrypt scheme): the AES key is
//! base64(EncodingAESKey + "="), the IV its first 16 bytes; the plaintext is 16 random bytes,
//! the message length as 4 big-endian bytes, the message and the app id, PKCS#7-padded to a
//! multiple of **32** bytes and encrypted with AES-256-CBC without the library's padding.

use aes::Aes256;
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::Engine;
use cbc::cipher::block_padding::NoPadding;
use cbc::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use std::fmt;

/// WXBizMsgCrypt pads to 32 bytes, not to the AES block: a pad byte is 1..=32.
const PAD_BLOCK: usize = 32;
const AES_BLOCK: usize = 16;
const RANDOM_LEN: usize = 16;
const LENGTH_LEN: usize = 4;

/// The 43rd character of an EncodingAESKey may carry trailing bits (the official sample's
/// `…ABCDEFG` does), which WeChat and every SDK accept; a strict decoder would refuse it.
const LENIENT: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CipherError {
    /// Not 43 characters of `[A-Za-z0-9]` decoding to 32 bytes.
    BadKey,
    /// `Encrypt` is not base64.
    BadBase64,
    /// The ciphertext is empty or not whole AES blocks.
    BadLength,
    /// The last byte is not a pad length of 1..=32, or the pad bytes before it differ.
    BadPadding,
    /// The length field points past the end of the plaintext, or the message is not UTF-8.
    BadLayout,
    /// Everything decrypted, but for another app id.
    AppidMismatch,
}

impl fmt::Display for CipherError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CipherError::BadKey => "the EncodingAESKey must be 43 characters of [A-Za-z0-9]",
            CipherError::BadBase64 => "Encrypt is not base64",
            CipherError::BadLength => "the ciphertext is not a whole number of AES blocks",
            CipherError::BadPadding => "the plaintext does not end in 32-byte PKCS#7 padding",
            CipherError::BadLayout => "the plaintext is not random16 | length | message | appid",
            CipherError::AppidMismatch => "the plaintext was made for another app id",
        })
    }
}

impl std::error::Error for CipherError {}

/// One app's key and id: what both ends of a push share.
#[derive(Clone)]
pub struct PushCipher {
    key: [u8; 32],
    appid: String,
}

impl fmt::Debug for PushCipher {
    /// Never prints the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushCipher").field("appid", &self.appid).finish()
    }
}

impl PushCipher {
    pub fn new(encoding_aes_key: &str, appid: &str) -> Result<PushCipher, CipherError> {
        let shaped = encoding_aes_key.len() == 43 && encoding_aes_key.bytes().all(|b| b.is_ascii_alphanumeric());
        if !shaped {
            return Err(CipherError::BadKey);
        }
        let bytes = LENIENT.decode(format!("{encoding_aes_key}=")).map_err(|_| CipherError::BadKey)?;
        let key: [u8; 32] = bytes.try_into().map_err(|_| CipherError::BadKey)?;
        Ok(PushCipher { key, appid: appid.to_string() })
    }

    pub fn appid(&self) -> &str {
        &self.appid
    }

    fn iv(&self) -> [u8; AES_BLOCK] {
        let mut iv = [0u8; AES_BLOCK];
        iv.copy_from_slice(&self.key[..AES_BLOCK]);
        iv
    }

    /// `Encrypt` for `message`, with the 16 "random" bytes given (tests pin them).
    pub fn encrypt(&self, message: &str, random16: [u8; RANDOM_LEN]) -> String {
        let msg = message.as_bytes();
        let mut plain = Vec::with_capacity(RANDOM_LEN + LENGTH_LEN + msg.len() + 64);
        plain.extend_from_slice(&random16);
        // A push body is far below 4 GiB; the cast cannot truncate in practice.
        plain.extend_from_slice(&(msg.len() as u32).to_be_bytes());
        plain.extend_from_slice(msg);
        plain.extend_from_slice(self.appid.as_bytes());
        let pad = PAD_BLOCK - plain.len() % PAD_BLOCK;
        plain.resize(plain.len() + pad, pad as u8);
        let cipher = cbc::Encryptor::<Aes256>::new(&self.key.into(), &self.iv().into());
        STANDARD.encode(cipher.encrypt_padded_vec_mut::<NoPadding>(&plain))
    }

    /// The message inside `Encrypt`, after checking the padding, the layout and the app id.
    pub fn decrypt(&self, encrypt: &str) -> Result<String, CipherError> {
        self.open(encrypt).map(|(_, message)| message)
    }

    /// The random prefix and the message (the prefix only matters to tests of the sample).
    pub fn open(&self, encrypt: &str) -> Result<([u8; RANDOM_LEN], String), CipherError> {
        let ciphertext = STANDARD.decode(encrypt.trim()).map_err(|_| CipherError::BadBase64)?;
        if ciphertext.is_empty() || ciphertext.len() % AES_BLOCK != 0 {
            return Err(CipherError::BadLength);
        }
        let cipher = cbc::Decryptor::<Aes256>::new(&self.key.into(), &self.iv().into());
        let plain = cipher.decrypt_padded_vec_mut::<NoPadding>(&ciphertext).map_err(|_| CipherError::BadLength)?;
        let body = unpad(&plain)?;
        if body.len() < RANDOM_LEN + LENGTH_LEN {
            return Err(CipherError::BadLayout);
        }
        let mut random = [0u8; RANDOM_LEN];
        random.copy_from_slice(&body[..RANDOM_LEN]);
        let mut length = [0u8; LENGTH_LEN];
        length.copy_from_slice(&body[RANDOM_LEN..RANDOM_LEN + LENGTH_LEN]);
        let length = u32::from_be_bytes(length) as usize;
        let rest = &body[RANDOM_LEN + LENGTH_LEN..];
        if length > rest.len() {
            return Err(CipherError::BadLayout);
        }
        let (message, trailer) = rest.split_at(length);
        if trailer != self.appid.as_bytes() {
            return Err(CipherError::AppidMismatch);
        }
        let message = String::from_utf8(message.to_vec()).map_err(|_| CipherError::BadLayout)?;
        Ok((random, message))
    }
}

/// Strips 32-byte PKCS#7: every pad byte must equal the pad length (a decryption with the
/// wrong key or a cut ciphertext almost never passes this).
fn unpad(plain: &[u8]) -> Result<&[u8], CipherError> {
    let pad = *plain.last().ok_or(CipherError::BadPadding)? as usize;
    if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
        return Err(CipherError::BadPadding);
    }
    let (body, padding) = plain.split_at(plain.len() - pad);
    if padding.iter().any(|&b| b as usize != pad) {
        return Err(CipherError::BadPadding);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

    #[test]
    fn what_is_encrypted_decrypts_for_the_same_app_only() {
        let ours = PushCipher::new(KEY, "wx1").unwrap();
        let theirs = PushCipher::new(KEY, "wx2").unwrap();
        let sealed = ours.encrypt("<xml>你好</xml>", [7; 16]);
        assert_eq!(ours.decrypt(&sealed).unwrap(), "<xml>你好</xml>");
        assert_eq!(theirs.decrypt(&sealed), Err(CipherError::AppidMismatch));
    }

    #[test]
    fn every_length_pads_to_32_bytes_with_1_to_32_pad_bytes() {
        let cipher = PushCipher::new(KEY, "wx1").unwrap();
        for len in 0..70 {
            let msg = "x".repeat(len);
            let sealed = cipher.encrypt(&msg, [1; 16]);
            let bytes = STANDARD.decode(&sealed).unwrap();
            assert_eq!(bytes.len() % 32, 0, "length {len}");
            assert_eq!(cipher.decrypt(&sealed).unwrap(), msg);
        }
    }

    #[test]
    fn keys_of_the_wrong_shape_are_refused() {
        for key in ["short", &format!("{KEY}H"), &KEY.replace('a', "-")] {
            assert_eq!(PushCipher::new(key, "wx1").unwrap_err(), CipherError::BadKey);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let cipher = PushCipher::new(KEY, "wx1").unwrap();
        assert_eq!(cipher.decrypt("%%%"), Err(CipherError::BadBase64));
        assert_eq!(cipher.decrypt(""), Err(CipherError::BadLength));
        assert_eq!(cipher.decrypt("AAAA"), Err(CipherError::BadLength));
        assert!(cipher.decrypt(&STANDARD.encode([0u8; 32])).is_err());
        assert_eq!(format!("{cipher:?}"), "PushCipher { appid: \"wx1\" }");
    }
}
