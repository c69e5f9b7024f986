//! The primitives a safe-mode push spends its time in, behind one trait so the pipeline is
//! written once: SHA-1 for both signatures and AES-256-CBC (whole blocks, no padding) for the
//! envelope.
//!
//! [`Software`] is RustCrypto, used natively and in tests. In the Worker the runtime's WebCrypto
//! is faster (`push::webcrypto`): wasm32 has no AES or SHA instructions, so the portable,
//! constant-time software AES costs several microseconds per push that BoringSSL does in a
//! fraction of one. The methods are `async` because WebCrypto answers with promises; the
//! software ones are always ready, so sync callers drive them with [`now_or_never`].

use crate::push::msg_crypt::MsgCrypt;
use crate::shared::crypto::CryptoError;
use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

/// SHA-1 and raw AES-256-CBC for the push envelope. Implementations must not unpad or pad:
/// WeChat pads to 32-byte blocks, which [`MsgCrypt`] handles.
#[allow(async_fn_in_trait)] // Used with concrete types only (no `dyn`, no `Send` bound needed).
pub trait Engine {
    /// SHA-1 of the concatenation of `parts`.
    async fn sha1(&self, parts: &[&[u8]]) -> Result<[u8; 20], CryptoError>;
    /// CBC-decrypts whole 16-byte blocks with the app's key and iv; the output has the input's
    /// length (the callers check it is a non-zero multiple of 16).
    async fn cbc_decrypt(&self, crypt: &MsgCrypt, ciphertext: Vec<u8>) -> Result<Vec<u8>, CryptoError>;
    /// CBC-encrypts an already padded buffer (a multiple of 16 bytes) with the app's key and iv.
    async fn cbc_encrypt(&self, crypt: &MsgCrypt, padded: Vec<u8>) -> Result<Vec<u8>, CryptoError>;
}

/// RustCrypto: the `sha1` crate and the AES key [`MsgCrypt`] expanded once.
#[derive(Debug, Clone, Copy, Default)]
pub struct Software;

impl Engine for Software {
    async fn sha1(&self, parts: &[&[u8]]) -> Result<[u8; 20], CryptoError> {
        use sha1::{Digest, Sha1};
        let mut hasher = Sha1::new();
        for part in parts {
            hasher.update(part);
        }
        Ok(hasher.finalize().into())
    }

    async fn cbc_decrypt(&self, crypt: &MsgCrypt, mut ciphertext: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        crypt.cbc_decrypt_software(&mut ciphertext);
        Ok(ciphertext)
    }

    async fn cbc_encrypt(&self, crypt: &MsgCrypt, mut padded: Vec<u8>) -> Result<Vec<u8>, CryptoError> {
        crypt.cbc_encrypt_software(&mut padded);
        Ok(padded)
    }
}

/// Polls `future` once: its output if it was ready, `None` if it would have waited. The
/// [`Software`] engine's futures never wait, so sync code gets their result without an executor.
pub fn now_or_never<F: Future>(future: F) -> Option<F::Output> {
    let mut context = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut context) {
        Poll::Ready(output) => Some(output),
        Poll::Pending => None,
    }
}

/// `hex(sha1(concat(sort(parts))))`, the shape of both push signatures (§8.2, §8.5), through
/// `engine`. Sorted by bytes, which is WeChat's order for the ASCII values it signs.
pub async fn sorted_sha1_hex(engine: &impl Engine, parts: &[&str]) -> Result<String, CryptoError> {
    // Both signatures sort 3 or 4 parts: on the stack.
    let mut buf: [&[u8]; 4] = [&[]; 4];
    let mut heap;
    let sorted: &mut [&[u8]] = match buf.get_mut(..parts.len()) {
        Some(slots) => {
            for (slot, part) in slots.iter_mut().zip(parts) {
                *slot = part.as_bytes();
            }
            slots
        }
        None => {
            heap = parts.iter().map(|p| p.as_bytes()).collect::<Vec<_>>();
            &mut heap
        }
    };
    sorted.sort_unstable();
    Ok(hex::encode(engine.sha1(sorted).await?))
}

#[cfg(test)]
mod tests;
