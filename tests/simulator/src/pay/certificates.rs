//! `GET /v3/certificates` (wechat-pay.md §1.2, §10 item 1): the platform certificate sealed
//! with the merchant's APIv3 key (AAD `certificate`, a fresh 12-character nonce), or, for a
//! merchant in public-key mode, WeChat's refusal that points at the public key.

use super::keys;
use super::merchant::Merchant;
use super::wire::{PayErr, PayReply};
use crate::state::State;
use rand::Rng;
use serde_json::json;

pub fn list(state: &mut State, merchant: &Merchant) -> Result<PayReply, PayErr> {
    if !merchant.config.mode.has_certificate() {
        return Err(PayErr::new(
            404,
            "RESOURCE_NOT_EXISTS",
            "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥。可查看指引https://pay.weixin.qq.com/docs/merchant/products/platform-certificate/wxp-pub-key-guide.html",
        ));
    }
    const ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let nonce: String = (0..12).map(|_| char::from(ALNUM[state.rng.gen_range(0..ALNUM.len())])).collect();
    let ciphertext = keys::seal(&merchant.config.apiv3_key, &nonce, "certificate", keys::CERTIFICATE_PEM.as_bytes())
        .map_err(|e| PayErr::new(500, "SYSTEM_ERROR", e))?;
    let answer = json!({"data": [{
        "serial_no": keys::CERTIFICATE_SERIAL,
        "effective_time": keys::CERTIFICATE_EFFECTIVE,
        "expire_time": keys::CERTIFICATE_EXPIRES,
        "encrypt_certificate": {
            "algorithm": "AEAD_AES_256_GCM",
            "associated_data": "certificate",
            "ciphertext": ciphertext,
            "nonce": nonce,
        },
    }]});
    Ok(PayReply::json(&answer, merchant))
}
