//! WeChat Pay's own keys and the simulator's crypto (wechat-pay.md §1.2, §2, §5, §10.1): two
//! RSA-2048 platform key pairs — one behind the public key `PUB_KEY_ID_…`, one behind a
//! self-signed platform certificate — fixed test keys made for the simulator (never used
//! anywhere real), RSASSA-PKCS1-v1_5/SHA-256 signing and verification, and AEAD_AES_256_GCM.
//! RustCrypto (`rsa`, `aes-gcm`), independent of the worker's WebCrypto code.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::Sha256;
use std::sync::OnceLock;

/// The public-key mode key pair (微信支付公钥) and its id: `PUB_KEY_ID_` + 34 digits.
pub const PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0100000000000020250101000000000001";
const PUBLIC_KEY_MODE_PRIVATE: &str = include_str!("keys/platform_public_key_mode.key.pem");
pub const PUBLIC_KEY_PEM: &str = include_str!("keys/platform_public_key_mode.pub.pem");

/// The platform certificate (平台证书) and its key: CN `Tenpay.com sign`, 2025–2035.
pub const CERTIFICATE_SERIAL: &str = "5F5756261A8E339C2A75915A278190A7D8DA8351";
pub const CERTIFICATE_PEM: &str = include_str!("keys/platform_certificate.pem");
const CERTIFICATE_PRIVATE: &str = include_str!("keys/platform_certificate.key.pem");
pub const CERTIFICATE_EFFECTIVE: &str = "2025-01-01T08:00:00+08:00";
pub const CERTIFICATE_EXPIRES: &str = "2035-01-01T08:00:00+08:00";

/// A merchant for tests: the official doc's test key (wechat-pay.md §9 K-official), so the
/// doc's paySign and request-signature vectors hold against the simulator too.
pub const TEST_MCHID: &str = "1900007291";
pub const TEST_MERCHANT_SERIAL: &str = "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB";
pub const TEST_MERCHANT_KEY_PEM: &str = include_str!("keys/test_merchant.key.pem");
pub const TEST_MERCHANT_PUBLIC_KEY_PEM: &str = include_str!("keys/test_merchant.pub.pem");
pub const TEST_APIV3_KEY: &str = "simAPIv3Key0123456789abcdefABCDE";

/// Which platform key signs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlatformKey {
    PublicKey,
    Certificate,
}

impl PlatformKey {
    /// What `Wechatpay-Serial` says for this key.
    pub fn serial(self) -> &'static str {
        match self {
            PlatformKey::PublicKey => PUBLIC_KEY_ID,
            PlatformKey::Certificate => CERTIFICATE_SERIAL,
        }
    }

    fn signing_key(self) -> &'static SigningKey<Sha256> {
        static PUBLIC: OnceLock<SigningKey<Sha256>> = OnceLock::new();
        static CERT: OnceLock<SigningKey<Sha256>> = OnceLock::new();
        let (cell, pem) = match self {
            PlatformKey::PublicKey => (&PUBLIC, PUBLIC_KEY_MODE_PRIVATE),
            PlatformKey::Certificate => (&CERT, CERTIFICATE_PRIVATE),
        };
        // The embedded keys are fixed and checked by the tests: a failure here is a build bug.
        cell.get_or_init(|| SigningKey::new(RsaPrivateKey::from_pkcs8_pem(pem).expect("embedded platform key")))
    }

    /// base64 RSASSA-PKCS1-v1_5/SHA-256 of `message`.
    pub fn sign(self, message: &[u8]) -> String {
        STANDARD.encode(self.signing_key().sign(message).to_bytes())
    }
}

/// A merchant's public key, read from PEM (SPKI `PUBLIC KEY`).
pub fn public_key_from_pem(pem: &str) -> Result<RsaPublicKey, String> {
    RsaPublicKey::from_public_key_pem(pem.trim())
        .map_err(|_| "public_key_pem is not an SPKI RSA public key (BEGIN PUBLIC KEY)".to_string())
}

/// Whether `signature_b64` is a valid signature of `message` under `key`, as WeChat checks a
/// merchant's request or `paySign`.
pub fn verify(key: &RsaPublicKey, message: &[u8], signature_b64: &str) -> bool {
    let Ok(bytes) = STANDARD.decode(signature_b64) else { return false };
    let Ok(signature) = Signature::try_from(bytes.as_slice()) else { return false };
    VerifyingKey::<Sha256>::new(key.clone()).verify(message, &signature).is_ok()
}

/// AEAD_AES_256_GCM as WeChat Pay seals a resource: base64(ciphertext ‖ tag). The key is the
/// APIv3 key's 32 ASCII bytes, the nonce 12 ASCII characters.
pub fn seal(apiv3_key: &str, nonce: &str, aad: &str, plaintext: &[u8]) -> Result<String, String> {
    let cipher = Aes256Gcm::new_from_slice(apiv3_key.as_bytes()).map_err(|_| "the APIv3 key is not 32 bytes".to_string())?;
    if nonce.len() != 12 {
        return Err("the nonce is not 12 bytes".into());
    }
    let sealed = cipher
        .encrypt(Nonce::from_slice(nonce.as_bytes()), Payload { msg: plaintext, aad: aad.as_bytes() })
        .map_err(|_| "AES-GCM failed".to_string())?;
    Ok(STANDARD.encode(sealed))
}

/// The reverse of [`seal`], for tests that read what the simulator sent.
pub fn open(apiv3_key: &str, nonce: &str, aad: &str, ciphertext_b64: &str) -> Result<Vec<u8>, String> {
    let cipher = Aes256Gcm::new_from_slice(apiv3_key.as_bytes()).map_err(|_| "the APIv3 key is not 32 bytes".to_string())?;
    let bytes = STANDARD.decode(ciphertext_b64).map_err(|_| "not base64".to_string())?;
    if nonce.len() != 12 {
        return Err("the nonce is not 12 bytes".into());
    }
    cipher
        .decrypt(Nonce::from_slice(nonce.as_bytes()), Payload { msg: &bytes, aad: aad.as_bytes() })
        .map_err(|_| "does not decrypt".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_keys_sign_what_their_public_halves_verify() {
        let public = public_key_from_pem(PUBLIC_KEY_PEM).unwrap();
        let signature = PlatformKey::PublicKey.sign(b"ts\nnonce\nbody\n");
        assert!(verify(&public, b"ts\nnonce\nbody\n", &signature));
        assert!(!verify(&public, b"ts\nnonce\nbody2\n", &signature));
        let other = PlatformKey::Certificate.sign(b"ts\nnonce\nbody\n");
        assert!(!verify(&public, b"ts\nnonce\nbody\n", &other), "two different key pairs");
    }

    #[test]
    fn the_certificate_carries_the_certificate_key() {
        let der = STANDARD.decode(CERTIFICATE_PEM.lines().filter(|l| !l.starts_with("-----")).collect::<String>()).unwrap();
        let signing = RsaPrivateKey::from_pkcs8_pem(CERTIFICATE_PRIVATE).unwrap();
        let spki = rsa::pkcs8::EncodePublicKey::to_public_key_der(&signing.to_public_key()).unwrap();
        assert!(der.windows(spki.as_bytes().len()).any(|w| w == spki.as_bytes()));
        assert!(der.windows(20).any(|w| w == hex::decode(CERTIFICATE_SERIAL).unwrap()));
    }

    #[test]
    fn the_test_merchant_signs_the_official_pay_sign_vector() {
        let key = RsaPrivateKey::from_pkcs8_pem(TEST_MERCHANT_KEY_PEM).unwrap();
        let message =
            "wx2421b1c4370ec43b\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\nprepay_id=wx201410272009395522657a690389285100\n";
        let signature = STANDARD.encode(SigningKey::<Sha256>::new(key).sign(message.as_bytes()).to_bytes());
        assert!(signature.starts_with("mI35pfNEQV6777ke"));
        assert!(verify(&public_key_from_pem(TEST_MERCHANT_PUBLIC_KEY_PEM).unwrap(), message.as_bytes(), &signature));
    }

    #[test]
    fn sealing_round_trips_and_the_tag_authenticates_the_aad() {
        let sealed = seal(TEST_APIV3_KEY, "0123456789ab", "transaction", b"{}").unwrap();
        assert_eq!(open(TEST_APIV3_KEY, "0123456789ab", "transaction", &sealed).unwrap(), b"{}");
        assert!(open(TEST_APIV3_KEY, "0123456789ab", "refund", &sealed).is_err());
        assert_eq!(TEST_APIV3_KEY.len(), 32);
    }
}
