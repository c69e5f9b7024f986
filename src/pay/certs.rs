//! Platform certificates (平台证书, wechat-pay.md §1.2): the answer of `GET /v3/certificates`,
//! each `encrypt_certificate` opened with the APIv3 key (AAD `certificate`), and the key inside
//! each certificate by its serial, for [`super::verify::KeyRing`]. New merchants get
//! `RESOURCE_NOT_EXISTS` here and use public-key mode only.
//!
//! The answer itself is signed like any other, and must be verified before it is believed; the
//! first fetch has no certificate to verify it with, which is why the SDKs (and we) rely on the
//! AES-GCM layer, keyed by the APIv3 key only the merchant and WeChat know.

use super::der::{certificate_key, pem_to_der, CertificateKey, DerError};
use super::fields::parse_rfc3339;
use super::notify::{NotifyError, Resource, Sealed};
use serde::Deserialize;

pub const CERTIFICATES_PATH: &str = "/v3/certificates";

#[derive(Debug, Clone, Deserialize)]
struct Answer {
    data: Vec<Entry>,
}

#[derive(Debug, Clone, Deserialize)]
struct Entry {
    serial_no: String,
    #[serde(default)]
    effective_time: String,
    #[serde(default)]
    expire_time: String,
    encrypt_certificate: Resource,
}

/// One certificate of the answer, still sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedCertificate {
    pub serial_no: String,
    /// Unix seconds, when the answer gives them.
    pub effective_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub sealed: Sealed,
}

/// Parses the answer into its sealed certificates.
pub fn parse_answer(body: &[u8]) -> Result<Vec<SealedCertificate>, NotifyError> {
    let answer: Answer =
        serde_json::from_slice(body).map_err(|_| NotifyError::Malformed("not the /v3/certificates answer {data:[…]}"))?;
    answer
        .data
        .into_iter()
        .map(|entry| {
            Ok(SealedCertificate {
                sealed: entry.encrypt_certificate.sealed()?,
                effective_at: parse_rfc3339(&entry.effective_time),
                expires_at: parse_rfc3339(&entry.expire_time),
                serial_no: entry.serial_no,
            })
        })
        .collect()
}

/// Why an opened certificate was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertificateError {
    NotUtf8,
    Der(DerError),
    /// The certificate's own serial is not the `serial_no` it was listed under.
    SerialMismatch,
    /// Past `expire_time` (or not yet effective).
    NotValidNow,
}

/// The key of an opened certificate (the plaintext of [`SealedCertificate::sealed`], a PEM),
/// checked against the serial it was listed under and the time.
pub fn certificate_from_plaintext(
    listed: &SealedCertificate,
    plaintext: &[u8],
    now: i64,
) -> Result<CertificateKey, CertificateError> {
    let pem = std::str::from_utf8(plaintext).map_err(|_| CertificateError::NotUtf8)?;
    let der = pem_to_der(pem, "CERTIFICATE").map_err(CertificateError::Der)?;
    let key = certificate_key(&der).map_err(CertificateError::Der)?;
    if !key.serial.eq_ignore_ascii_case(listed.serial_no.trim()) {
        return Err(CertificateError::SerialMismatch);
    }
    let started = listed.effective_at.is_none_or(|at| at <= now);
    let live = listed.expires_at.is_none_or(|at| now < at);
    if !(started && live) {
        return Err(CertificateError::NotValidNow);
    }
    Ok(key)
}

#[cfg(test)]
mod tests;
