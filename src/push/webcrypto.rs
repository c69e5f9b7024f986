//! The push [`Engine`] on the runtime's WebCrypto (BoringSSL in workerd): AES-256-CBC and SHA-1
//! in native code instead of wasm's portable software (`issues show 18`; BENCHMARKS.md has the
//! figures that chose this).
//!
//! WebCrypto's AES-CBC always applies 16-byte PKCS#7, while WeChat pads to 32 bytes itself:
//! - encrypting, the input is already padded, so WebCrypto adds one full block of 0x10 that is
//!   dropped from its output;
//! - decrypting, one block `X = AES(last ⊕ 0x10…10)` is appended to the ciphertext: CBC turns
//!   it into a block of sixteen 0x10 bytes, the padding WebCrypto checks and strips, and the
//!   rest comes back exactly, WeChat's own padding included for `MsgCrypt` to check. `X` is one
//!   software AES block with the key `MsgCrypt` already expanded.
//!
//! One engine per app key, imported once per isolate (non-extractable), with its algorithm
//! object (the iv is the key's first half, fixed per app) built once too.

use crate::push::engine::{Engine, Software};
use crate::push::msg_crypt::MsgCrypt;
use crate::shared::crypto::CryptoError;
use crate::shared::webcrypto::{import, object, settle, subtle, Result as WebResult};
use js_sys::{Object, Uint8Array};
use web_sys::{CryptoKey, SubtleCrypto};

const BLOCK: usize = 16;
const PKCS7_FULL_BLOCK: [u8; BLOCK] = [BLOCK as u8; BLOCK];

/// WebCrypto for one app: its AES key and iv (when it has an EncodingAESKey), and SHA-1.
pub struct WebCrypto {
    subtle: SubtleCrypto,
    aes: Option<(CryptoKey, Object)>,
    from: Thresholds,
}

/// From which input length each primitive goes to WebCrypto; shorter inputs stay in wasm,
/// where crossing into the runtime and awaiting its promise (a few microseconds from wasm)
/// costs more than the work. `usize::MAX` keeps a primitive in wasm.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub decrypt: usize,
    pub encrypt: usize,
    pub sha1: usize,
}

/// The Worker's choice, from the primitive sweep `scripts/bench.sh` runs inside workerd
/// (BENCHMARKS.md, "Safe mode inside workerd"): a WebCrypto round trip from wasm costs about
/// 10 µs whatever the length, which software AES-256-CBC (constant-time, bitsliced) passes at
/// 256 to 512 bytes, so AES goes to WebCrypto from 512; a SHA-1 digest through WebCrypto never
/// paid for its round trip at the sizes a push has (software SHA-1 is under 3 µs per KiB).
pub const THRESHOLDS: Thresholds = Thresholds { decrypt: 512, encrypt: 512, sha1: usize::MAX };

impl WebCrypto {
    /// Imports `crypt`'s key (when the app has one) for AES-CBC.
    pub async fn new(crypt: Option<&MsgCrypt>, from: Thresholds) -> WebResult<WebCrypto> {
        let subtle = subtle()?;
        let aes = match crypt {
            None => None,
            Some(crypt) => {
                let name = object(&[("name", "AES-CBC".into())])?;
                let key =
                    import("raw", crypt.key(), &name, &["encrypt", "decrypt"], "the EncodingAESKey does not import").await?;
                let algorithm = object(&[("name", "AES-CBC".into()), ("iv", Uint8Array::from(&crypt.iv()[..]).into())])?;
                Some((key, algorithm))
            }
        };
        Ok(WebCrypto { subtle, aes, from })
    }

    fn aes(&self) -> Result<&(CryptoKey, Object), CryptoError> {
        self.aes.as_ref().ok_or(CryptoError::Engine)
    }
}

fn bytes(value: wasm_bindgen::JsValue) -> Vec<u8> {
    Uint8Array::new(&value).to_vec()
}

impl Engine for WebCrypto {
    async fn sha1(&self, parts: &[&[u8]]) -> Result<[u8; 20], CryptoError> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        if len < self.from.sha1 {
            return Software.sha1(parts).await;
        }
        let joined = parts.concat();
        let digest = settle(self.subtle.digest_with_str_and_u8_array("SHA-1", &joined), "SHA-1 failed")
            .await
            .map_err(|_| CryptoError::Engine)?;
        bytes(digest).try_into().map_err(|_| CryptoError::Engine)
    }

    async fn cbc_decrypt(&self, crypt: &MsgCrypt, mut ciphertext: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        if ciphertext.len() < self.from.decrypt {
            return Software.cbc_decrypt(crypt, ciphertext).await;
        }
        let (key, algorithm) = self.aes()?;
        let len = ciphertext.len();
        let last: [u8; BLOCK] =
            ciphertext.get(len.saturating_sub(BLOCK)..).and_then(|b| b.try_into().ok()).ok_or(CryptoError::InvalidLength)?;
        let mut masked = PKCS7_FULL_BLOCK;
        masked.iter_mut().zip(last).for_each(|(m, c)| *m ^= c);
        ciphertext.extend_from_slice(&crypt.encrypt_block(masked));
        let plain =
            settle(self.subtle.decrypt_with_object_and_u8_array(algorithm, key, &ciphertext), "AES-CBC decryption failed")
                .await
                .map_err(|_| CryptoError::Engine)?;
        let plain = bytes(plain);
        // The appended block is gone; anything else means the runtime did something unexpected.
        if plain.len() != len {
            return Err(CryptoError::Engine);
        }
        Ok(plain)
    }

    async fn cbc_encrypt(&self, crypt: &MsgCrypt, padded: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        if padded.len() < self.from.encrypt {
            return Software.cbc_encrypt(crypt, padded).await;
        }
        let (key, algorithm) = self.aes()?;
        let sealed = settle(self.subtle.encrypt_with_object_and_u8_array(algorithm, key, &padded), "AES-CBC encryption failed")
            .await
            .map_err(|_| CryptoError::Engine)?;
        let mut sealed = bytes(sealed);
        // WebCrypto's own padding block follows the already padded input: drop it.
        if sealed.len() != padded.len() + BLOCK {
            return Err(CryptoError::Engine);
        }
        sealed.truncate(padded.len());
        Ok(sealed)
    }
}
