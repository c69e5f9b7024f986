//! The vectors of wechat-pay.md §9, across the pay modules. RSA comes from the `rsa` crate
//! (a dev-dependency: the Worker signs and verifies with WebCrypto).

mod aes_vectors;
pub(crate) mod keys;
mod rsa_vectors;

use super::der::pem_to_der;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;

/// base64(RSASSA-PKCS1-v1_5(SHA-256)) with a PKCS#8 PEM key, read through our PEM decoder.
fn rsa_sign(private_pem: &str, message: &[u8]) -> String {
    let der = pem_to_der(private_pem, "PRIVATE KEY").expect("a PKCS#8 PEM");
    let key = RsaPrivateKey::from_pkcs8_der(&der).expect("an RSA key");
    STANDARD.encode(SigningKey::<Sha256>::new(key).sign(message).to_bytes())
}

/// Verifies with an SPKI DER key, as WebCrypto's `importKey("spki")` + `verify` would.
fn rsa_verify(spki: &[u8], signature: &[u8], message: &[u8]) -> bool {
    let key = RsaPublicKey::from_public_key_der(spki).expect("an SPKI RSA key");
    let Ok(signature) = Signature::try_from(signature) else { return false };
    VerifyingKey::<Sha256>::new(key).verify(message, &signature).is_ok()
}

fn spki_of(public_pem: &str) -> Vec<u8> {
    pem_to_der(public_pem, "PUBLIC KEY").expect("an SPKI PEM")
}
