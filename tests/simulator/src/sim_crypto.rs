//! The crypto the simulator needs to play WeChat's part: open data encrypted with the user's
//! session_key, the rawData signature and the session signature (wechat-api.md §4, §6).
//! Written from the protocol documents alone (the simulator shares no code with the worker);
//! the official §14 vectors pin it, here and in `tests/vectors.rs`.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use cbc::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use sha2::Sha256;

type Aes128CbcEnc = cbc::Encryptor<aes::Aes128>;
type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

#[derive(Debug, PartialEq, Eq)]
pub enum CryptoError {
    /// The session_key is not base64 of 16 bytes.
    BadKey,
    /// The ciphertext is not base64 or does not unpad.
    BadCiphertext,
}

/// `encryptedData`: base64(AES-128-CBC(key = base64-decoded session_key, iv, PKCS#7)).
pub fn encrypt_open_data(session_key_b64: &str, iv: [u8; 16], plaintext: &str) -> Result<String, CryptoError> {
    let key = decode_key(session_key_b64)?;
    let cipher = Aes128CbcEnc::new(&key.into(), &iv.into());
    Ok(B64.encode(cipher.encrypt_padded_vec_mut::<Pkcs7>(plaintext.as_bytes())))
}

/// The worker's side of the same thing, for tests that check what the simulator produced.
pub fn decrypt_open_data(session_key_b64: &str, iv: [u8; 16], encrypted_b64: &str) -> Result<Vec<u8>, CryptoError> {
    let key = decode_key(session_key_b64)?;
    let ciphertext = B64.decode(encrypted_b64).map_err(|_| CryptoError::BadCiphertext)?;
    let cipher = Aes128CbcDec::new(&key.into(), &iv.into());
    cipher.decrypt_padded_vec_mut::<Pkcs7>(&ciphertext).map_err(|_| CryptoError::BadCiphertext)
}

/// hex(sha1(rawData + session_key)), the session_key as its base64 text.
pub fn raw_data_signature(raw_data: &str, session_key: &str) -> String {
    let mut hasher = Sha1::new();
    hasher.update(raw_data.as_bytes());
    hasher.update(session_key.as_bytes());
    hex::encode(hasher.finalize())
}

/// hex(HMAC-SHA256(key = session_key text as bytes, message)).
pub fn session_signature(session_key: &str, message: &str) -> String {
    // HMAC takes keys of any length, so this cannot fail.
    let mut mac = match Hmac::<Sha256>::new_from_slice(session_key.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn decode_key(session_key_b64: &str) -> Result<[u8; 16], CryptoError> {
    let bytes = B64.decode(session_key_b64).map_err(|_| CryptoError::BadKey)?;
    bytes.try_into().map_err(|_| CryptoError::BadKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    // wechat-api.md §14-A: the official WXBizDataCrypt demo.
    const A_KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
    const A_IV: &str = "r7BXXKkLb8qrSNn05n0qiA==";
    const A_CIPHERTEXT: &str = "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==";
    const A_PLAINTEXT: &str = r#"{"openId":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/aSKcBBPpibyKNicHNTMM0qJVh8Kjgiak2AHWr8MHM4WgMEm7GFhsf8OYrySdbvAMvTsw3mo8ibKicsnfN5pRjl1p8HQ/0","unionId":"ocMvos6NjeKLIBqg5Mr9QjxrP1FA","watermark":{"timestamp":1477314187,"appid":"wx4f4bc4dec97d474b"}}"#;

    fn a_iv() -> [u8; 16] {
        B64.decode(A_IV).unwrap().try_into().unwrap()
    }

    #[test]
    fn encrypting_the_official_demo_plaintext_reproduces_its_ciphertext() {
        assert_eq!(encrypt_open_data(A_KEY, a_iv(), A_PLAINTEXT).unwrap(), A_CIPHERTEXT);
    }

    #[test]
    fn decrypting_the_official_demo_gives_its_plaintext() {
        assert_eq!(decrypt_open_data(A_KEY, a_iv(), A_CIPHERTEXT).unwrap(), A_PLAINTEXT.as_bytes());
    }

    #[test]
    fn a_session_key_that_is_not_16_bytes_is_refused() {
        assert_eq!(encrypt_open_data("AAAA", [0; 16], "{}"), Err(CryptoError::BadKey));
    }

    #[test]
    fn the_raw_data_signature_matches_the_official_example() {
        // §14-B.
        let raw = r#"{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}"#;
        assert_eq!(raw_data_signature(raw, "HyVFkGl5F5OQWJZZaNzBBg=="), "75e81ceda165f4ffa64f4068af58c64b8f54b88c");
    }

    #[test]
    fn the_session_signature_keys_hmac_with_the_base64_text() {
        // §14-C.
        assert_eq!(
            session_signature("o0q0otL8aEzpcZL/FT9WsQ==", r#"{"foo":"bar"}"#),
            "654571f79995b2ce1e149e53c0a33dc39c0a74090db514261454e8dbe432aa0b"
        );
        assert_eq!(session_signature(A_KEY, ""), "7154f9f8b4b76b92f541cbf0e37d48840fa06e5e42da92a6f80168a1516a4735");
    }
}
