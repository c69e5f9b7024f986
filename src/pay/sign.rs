//! What the merchant signs (wechat-pay.md §2.1, §3.1): the request signature message, the
//! `Authorization` header around a signature, and the `wx.requestPayment` parameters with
//! their `paySign` message. The RSA signature itself (RSASSA-PKCS1-v1_5, SHA-256, base64) is
//! made by the caller: WebCrypto in the Worker (`webcrypto`), the `rsa` crate in the tests.

use serde::Serialize;

/// The scheme of the `Authorization` header.
pub const AUTH_SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// `METHOD\nCANONICAL_URL\nTIMESTAMP\nNONCE\nBODY\n`: every line ends in `\n`, the last
/// included; `url` is the path plus `?query` exactly as sent (no scheme or host); `body` is
/// the exact bytes sent, empty for GET. The method is upper-cased, as WeChat compares it.
pub fn request_message(method: &str, url: &str, timestamp: u64, nonce: &str, body: &str) -> String {
    format!("{}\n{url}\n{timestamp}\n{nonce}\n{body}\n", method.to_ascii_uppercase())
}

/// The values of the `Authorization` header around a signature the caller made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization<'a> {
    pub mchid: &'a str,
    pub nonce: &'a str,
    pub timestamp: u64,
    pub serial_no: &'a str,
    /// base64 of the RSA signature over [`request_message`].
    pub signature: &'a str,
}

impl Authorization<'_> {
    /// `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`:
    /// comma-separated without spaces; WeChat accepts any order, this is the official Java
    /// utility's.
    pub fn header(&self) -> String {
        format!(
            r#"{AUTH_SCHEME} mchid="{}",nonce_str="{}",signature="{}",timestamp="{}",serial_no="{}""#,
            self.mchid, self.nonce, self.signature, self.timestamp, self.serial_no
        )
    }
}

/// A nonce as the SDKs make them: 32 characters of `[0-9A-Za-z]`, from 24 random bytes the
/// caller supplies (`getrandom` in the Worker), so this stays pure and testable.
pub fn nonce_from(random: &[u8; 24]) -> String {
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    // 24 bytes → 32 six-bit groups; 64 → 62 folds two values twice, harmless for a nonce.
    let mut out = String::with_capacity(32);
    for chunk in random.chunks(3) {
        let n = chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b));
        for shift in [18, 12, 6, 0] {
            out.push(char::from(ALPHABET[((n >> shift) & 63) as usize % 62]));
        }
    }
    out
}

/// `package` of `wx.requestPayment`.
pub fn package(prepay_id: &str) -> String {
    format!("prepay_id={prepay_id}")
}

/// `appId\ntimeStamp\nnonceStr\npackage\n`, signed with the merchant key into `paySign`. The
/// AppID is the mini-program's, the one the order was placed with, even though the
/// mini-program does not pass it (§3.1). APP payments sign the bare prepay_id: not this.
pub fn pay_sign_message(appid: &str, timestamp: u64, nonce: &str, prepay_id: &str) -> String {
    format!("{appid}\n{timestamp}\n{nonce}\n{}\n", package(prepay_id))
}

/// The parameters the mini-program passes to `wx.requestPayment`, as it names them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PaymentParams {
    /// Unix seconds as a string.
    #[serde(rename = "timeStamp")]
    pub timestamp: String,
    #[serde(rename = "nonceStr")]
    pub nonce: String,
    pub package: String,
    #[serde(rename = "signType")]
    pub sign_type: &'static str,
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

impl PaymentParams {
    /// The parameters around a `paySign` made over [`pay_sign_message`] with the same values.
    pub fn new(timestamp: u64, nonce: &str, prepay_id: &str, pay_sign: String) -> Self {
        PaymentParams {
            timestamp: timestamp.to_string(),
            nonce: nonce.to_owned(),
            package: package(prepay_id),
            sign_type: "RSA",
            pay_sign,
        }
    }
}

#[cfg(test)]
mod tests;
