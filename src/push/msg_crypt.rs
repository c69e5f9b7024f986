//! WXBizMsgCrypt (§8.5): the AES-256-CBC envelope of compatible- and safe-mode pushes and of
//! encrypted passive replies. Plaintext = random16 | u32be(len) | msg | appid, PKCS#7-padded to a
//! multiple of 32 bytes (so pad values 17..=32 occur and a 16-byte unpadder would fail).

use crate::push::engine::{now_or_never, Engine, Software};
pub use crate::shared::crypto::CryptoError;
use crate::shared::crypto::{cbc_decrypt_in_place, cbc_encrypt_in_place, pkcs7_pad, pkcs7_unpad, AES_BLOCK};
use aes::cipher::{BlockEncrypt, InnerIvInit, KeyInit};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::Engine as _;
use std::fmt;
use subtle::ConstantTimeEq;

type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;
type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// WeChat pads to 32-byte blocks although AES works on 16.
const PAD_BLOCK: u8 = 32;
const RANDOM_LEN: usize = 16;
const LEN_PREFIX: usize = 4;
const ENCODING_AES_KEY_LEN: usize = 43;

/// The 43rd key character may carry non-zero trailing bits (the official sample key does), which
/// a strict decoder rejects although WeChat and every SDK accept it.
const LENIENT_KEY_ENGINE: GeneralPurpose =
    GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));

/// A decrypted envelope with the parts tests and the simulator want to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decrypted {
    pub random16: [u8; 16],
    /// The PKCS#7 pad value that was stripped (1..=32).
    pub pad: u8,
    pub msg: String,
}

/// The AES key (expanded once, as an isolate keeps it) and app id of one push configuration.
#[derive(Clone)]
pub struct MsgCrypt {
    cipher: aes::Aes256,
    /// The raw key, for engines that import it (WebCrypto, in the Worker only).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    key: [u8; 32],
    /// WeChat uses the first half of the key as the CBC iv.
    iv: [u8; 16],
    appid: String,
}

impl fmt::Debug for MsgCrypt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MsgCrypt").field("appid", &self.appid).finish_non_exhaustive()
    }
}

impl MsgCrypt {
    /// Builds the cipher from the 43-character EncodingAESKey of the admin console.
    pub fn new(encoding_aes_key: &str, appid: &str) -> Result<Self, CryptoError> {
        let well_formed =
            encoding_aes_key.len() == ENCODING_AES_KEY_LEN && encoding_aes_key.bytes().all(|b| b.is_ascii_alphanumeric());
        if !well_formed {
            return Err(CryptoError::InvalidKey);
        }
        let decoded = LENIENT_KEY_ENGINE.decode(format!("{encoding_aes_key}=")).map_err(|_| CryptoError::InvalidKey)?;
        let key: [u8; 32] = decoded.try_into().map_err(|_| CryptoError::InvalidKey)?;
        let (iv, _) = key.split_first_chunk::<16>().ok_or(CryptoError::InvalidKey)?;
        Ok(MsgCrypt { cipher: aes::Aes256::new(&key.into()), key, iv: *iv, appid: appid.to_owned() })
    }

    pub fn appid(&self) -> &str {
        &self.appid
    }

    /// Decrypts an `Encrypt` value to the message it carries. Check `msg_signature` first.
    pub fn decrypt(&self, encrypt_b64: &str) -> Result<String, CryptoError> {
        self.decrypt_detailed(encrypt_b64).map(|d| d.msg)
    }

    /// Like [`MsgCrypt::decrypt`], also returning the random prefix and the pad value.
    pub fn decrypt_detailed(&self, encrypt_b64: &str) -> Result<Decrypted, CryptoError> {
        now_or_never(self.open_with(&Software, encrypt_b64)).unwrap_or(Err(CryptoError::Engine))
    }

    /// [`MsgCrypt::decrypt_detailed`] with the AES work done by `engine`.
    pub async fn open_with(&self, engine: &impl Engine, encrypt_b64: &str) -> Result<Decrypted, CryptoError> {
        let ciphertext = STANDARD.decode(encrypt_b64.as_bytes()).map_err(|_| CryptoError::InvalidBase64)?;
        if ciphertext.is_empty() || ciphertext.len() % AES_BLOCK != 0 {
            return Err(CryptoError::InvalidLength);
        }
        let plain = engine.cbc_decrypt(self, ciphertext).await?;

        let (content, pad) = pkcs7_unpad(&plain, PAD_BLOCK)?;

        let (random, rest) = content.split_first_chunk::<RANDOM_LEN>().ok_or(CryptoError::InvalidMessageLength)?;
        let (len_prefix, rest) = rest.split_first_chunk::<LEN_PREFIX>().ok_or(CryptoError::InvalidMessageLength)?;
        let msg_len = usize::try_from(u32::from_be_bytes(*len_prefix)).map_err(|_| CryptoError::InvalidMessageLength)?;
        let (msg, trailer) = rest.split_at_checked(msg_len).ok_or(CryptoError::InvalidMessageLength)?;
        if !bool::from(trailer.ct_eq(self.appid.as_bytes())) {
            return Err(CryptoError::AppIdMismatch);
        }
        let msg = String::from_utf8(msg.to_vec()).map_err(|_| CryptoError::NotUtf8)?;
        Ok(Decrypted { random16: *random, pad, msg })
    }

    /// Encrypts `msg` to an `Encrypt` value. The random prefix is an argument so callers own
    /// the randomness (and tests are deterministic).
    pub fn encrypt(&self, msg: &str, random16: [u8; 16]) -> String {
        // Software AES cannot fail; the fallback only keeps this function total.
        now_or_never(self.seal_with(&Software, msg, random16)).and_then(Result::ok).unwrap_or_default()
    }

    /// [`MsgCrypt::encrypt`] with the AES work done by `engine`.
    pub async fn seal_with(&self, engine: &impl Engine, msg: &str, random16: [u8; 16]) -> Result<String, CryptoError> {
        // A u32 length prefix cannot describe more; saturating keeps this total. Bodies are far
        // smaller (64 KiB at most), so the prefix is always exact in practice.
        let msg_len = u32::try_from(msg.len()).unwrap_or(u32::MAX);
        let mut plain = Vec::with_capacity(msg.len().saturating_add(96));
        plain.extend_from_slice(&random16);
        plain.extend_from_slice(&msg_len.to_be_bytes());
        plain.extend_from_slice(msg.as_bytes());
        plain.extend_from_slice(self.appid.as_bytes());
        self.seal_plain(engine, plain).await
    }

    /// Pads and encrypts an already assembled plaintext buffer.
    async fn seal_plain(&self, engine: &impl Engine, mut plain: Vec<u8>) -> Result<String, CryptoError> {
        pkcs7_pad(&mut plain, PAD_BLOCK);
        Ok(STANDARD.encode(engine.cbc_encrypt(self, plain).await?))
    }

    /// [`MsgCrypt::seal_plain`] in software, for tests that build odd plaintexts.
    #[cfg(test)]
    fn seal(&self, plain: Vec<u8>) -> String {
        now_or_never(self.seal_plain(&Software, plain)).and_then(Result::ok).unwrap_or_default()
    }

    /// The raw 32-byte key, for an engine that imports it.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The CBC iv (the key's first half).
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn iv(&self) -> &[u8; 16] {
        &self.iv
    }

    /// AES-256 of one block (no chaining): how the WebCrypto engine makes a CBC ciphertext's
    /// final block decrypt to a padding block WebCrypto accepts.
    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn encrypt_block(&self, block: [u8; 16]) -> [u8; 16] {
        let mut block = block.into();
        self.cipher.encrypt_block(&mut block);
        block.into()
    }

    pub(crate) fn cbc_decrypt_software(&self, buf: &mut [u8]) {
        cbc_decrypt_in_place(Aes256CbcDec::inner_iv_init(self.cipher.clone(), &self.iv.into()), buf);
    }

    pub(crate) fn cbc_encrypt_software(&self, buf: &mut [u8]) {
        cbc_encrypt_in_place(Aes256CbcEnc::inner_iv_init(self.cipher.clone(), &self.iv.into()), buf);
    }
}

#[cfg(test)]
mod tests;
