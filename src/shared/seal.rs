//! Small secrets at rest, sealed with a standard AEAD: AES-256-GCM under a key derived by
//! HKDF-SHA256 from a high-entropy secret that only the reader holds (a session token, a login
//! code), so a copy of storage yields nothing, and a record that was tampered with, or moved
//! to another owner (`aad`), fails to open instead of decrypting to garbage.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// AES-GCM's 96-bit nonce: fresh random bytes for every seal.
pub const NONCE_LEN: usize = 12;

/// The AEAD keyed by `secret` for one purpose (`info`), so no other use of the secret collides.
fn cipher(secret: &[u8], info: &[u8]) -> Option<Aes256Gcm> {
    let mut key = [0u8; 32];
    Hkdf::<Sha256>::new(None, secret).expand(info, &mut key).ok()?;
    Aes256Gcm::new_from_slice(&key).ok()
}

/// `nonce || ciphertext || tag`; `None` only if the AEAD itself fails.
pub fn seal(secret: &[u8], info: &[u8], plain: &[u8], aad: &[u8], nonce: [u8; NONCE_LEN]) -> Option<Vec<u8>> {
    let sealed = cipher(secret, info)?.encrypt(Nonce::from_slice(&nonce), Payload { msg: plain, aad }).ok()?;
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    Some(out)
}

/// The plaintext of what [`seal`] made with the same secret, purpose and `aad`; `None` for
/// anything else.
pub fn open(secret: &[u8], info: &[u8], sealed: &[u8], aad: &[u8]) -> Option<Vec<u8>> {
    let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
    cipher(secret, info)?.decrypt(Nonce::from_slice(nonce), Payload { msg: ciphertext, aad }).ok()
}

#[cfg(test)]
mod tests;
