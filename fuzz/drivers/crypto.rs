//! The `open_data` driver: `decrypt_open_data` with arbitrary or well-formed key, iv and data,
//! and `check_watermark` on what comes out (and on the input read as JSON directly).

use super::input::{fields, flags, join, text, whole_blocks};
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use wechat_edge::login::open_data::{check_watermark, decrypt_open_data, encrypt_open_data};

/// The official open-data demo's session_key (16 bytes) and an iv.
const SESSION_KEY: &str = "tiihtNczf5v6AKRyjwEUhQ==";
const IV: [u8; 16] = *b"0123456789abcdef";
const APPID: &str = "wx4f4bc4dec97d474b";

/// Input: flags, then the payload. Flags & 3: 0 `session_key` NUL `iv` NUL `encryptedData`, all
/// arbitrary text; 1 ciphertext bytes under a valid key and iv; 2 the decrypted bytes themselves
/// (encrypted here with AES only, so the fuzzer controls the padding the decryptor checks);
/// 3 a plaintext that must survive encrypt-then-decrypt. Flag 4: the watermark app id is the
/// last NUL-separated field of the payload instead of the fixture.
pub fn open_data(data: &[u8]) {
    let (flags, payload) = flags(data);
    let iv_b64 = STANDARD.encode(IV);
    let (decrypted, ciphertext_len) = match flags & 3 {
        0 => {
            let parts = fields(payload, 3);
            let data = text(parts[2]);
            (decrypt_open_data(&text(parts[0]), &text(parts[1]), &data), decoded_len(&data))
        }
        1 => (decrypt_open_data(SESSION_KEY, &iv_b64, &STANDARD.encode(payload)), payload.len()),
        2 => {
            let plain = whole_blocks(payload);
            let decrypted = decrypt_open_data(SESSION_KEY, &iv_b64, &seal_blocks(&plain));
            if let Ok(text) = &decrypted {
                assert!(plain.starts_with(text.as_bytes()), "the decrypted text is not a prefix of the plaintext");
                assert!(plain.len() - text.len() <= 16, "more than one block of padding was stripped");
            }
            (decrypted, plain.len())
        }
        _ => {
            let plaintext = text(payload);
            let sealed = encrypt_open_data(SESSION_KEY, IV, &plaintext)
                .unwrap_or_else(|e| panic!("encrypting with the fixture session_key failed: {e}"));
            let decrypted = decrypt_open_data(SESSION_KEY, &iv_b64, &sealed);
            assert_eq!(decrypted.as_deref(), Ok(plaintext.as_str()), "encrypt then decrypt changed the open data");
            (decrypted, decoded_len(&sealed))
        }
    };
    let appid = if flags & 4 != 0 { text(payload.rsplit(|&b| b == 0).next().unwrap_or_default()) } else { APPID.into() };
    if let Ok(plaintext) = &decrypted {
        assert!(plaintext.len() < ciphertext_len, "open data decrypted to more bytes than its ciphertext");
        watermark(plaintext, &appid);
    }
    watermark(&text(payload), &appid);
}

/// An accepted watermark names `appid`, in an object.
fn watermark(plaintext: &str, appid: &str) {
    if let Ok(value) = check_watermark(plaintext, appid) {
        assert!(value.is_object());
        assert_eq!(value["watermark"]["appid"].as_str(), Some(appid), "a watermark for another app was accepted");
    }
}

fn decoded_len(b64: &str) -> usize {
    STANDARD.decode(b64).map(|c| c.len()).unwrap_or(0)
}

/// AES-128-CBC under the fixture key and iv, no padding added.
fn seal_blocks(plain: &[u8]) -> String {
    let Ok(key) = <[u8; 16]>::try_from(STANDARD.decode(SESSION_KEY).unwrap_or_default().as_slice()) else {
        panic!("the fixture session_key does not decode to 16 bytes")
    };
    let mut blocks: Vec<aes::Block> = plain.chunks_exact(16).map(|c| *aes::Block::from_slice(c)).collect();
    cbc::Encryptor::<aes::Aes128>::new(&key.into(), &IV.into()).encrypt_blocks_mut(&mut blocks);
    STANDARD.encode(blocks.iter().flat_map(|b| b.iter().copied()).collect::<Vec<u8>>())
}

pub fn open_data_seeds() -> Vec<Vec<u8>> {
    let json = format!(
        r#"{{"openId":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","nickName":"Band","watermark":{{"timestamp":1477314187,"appid":"{APPID}"}}}}"#
    );
    let sealed = encrypt_open_data(SESSION_KEY, IV, &json).unwrap_or_default();
    let ciphertext = STANDARD.decode(&sealed).unwrap_or_default();
    let mut padded = json.clone().into_bytes();
    let pad = 16 - padded.len() % 16;
    padded.extend(std::iter::repeat_n(u8::try_from(pad).unwrap_or(16), pad));
    let iv = STANDARD.encode(IV);
    vec![
        join(0, &[SESSION_KEY.as_bytes(), iv.as_bytes(), sealed.as_bytes()]),
        join(1, &[&ciphertext]),
        join(2, &[&padded]),
        join(3, &[json.as_bytes()]),
        join(3 | 4, &[br#"{"watermark":{"appid":"wx1"}}"#, b"wx1"]),
        join(0, &[b"AAAA", b"AAAA", b"AAAA"]),
    ]
}
