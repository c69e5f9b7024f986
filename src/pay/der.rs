//! PEM to DER, and a small DER reader: enough to check that a key is what its PEM label says
//! and to take the SubjectPublicKeyInfo and serial number out of an X.509 certificate (which
//! WebCrypto cannot import: wechat-pay.md §12). Definite lengths only, as DER requires; any
//! malformed input is an error, never a panic.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::fmt;

/// Why a PEM block or a DER structure was refused. Messages never quote key material.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DerError {
    /// No `-----BEGIN <label>-----` … `-----END <label>-----` block with the label expected.
    NoPemBlock { expected: &'static str, found: Option<String> },
    /// The text between the armour lines is not base64.
    Base64,
    /// The DER is cut short, or a length or tag is not what the structure needs.
    Malformed(&'static str),
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DerError::NoPemBlock { expected, found: Some(found) } => {
                write!(f, "is a PEM \"{found}\" block, expected \"{expected}\"")
            }
            DerError::NoPemBlock { expected, found: None } => {
                write!(f, "is not PEM: expected a -----BEGIN {expected}----- block")
            }
            DerError::Base64 => f.write_str("has a PEM body that is not valid base64"),
            DerError::Malformed(what) => write!(f, "is not valid DER ({what})"),
        }
    }
}

impl std::error::Error for DerError {}

/// The DER inside the first PEM block labelled `label` (`PRIVATE KEY`, `PUBLIC KEY`,
/// `CERTIFICATE`). Tolerates what configuration tools do to PEM: `\r\n`, surrounding spaces,
/// and the two characters `\n` written instead of line breaks (a dashboard's one-line field).
pub fn pem_to_der(pem: &str, label: &'static str) -> Result<Vec<u8>, DerError> {
    let text = pem.replace("\\n", "\n").replace("\\r", "");
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let Some(start) = text.find(&begin) else {
        let found = text
            .find("-----BEGIN ")
            .and_then(|i| text[i + 11..].split_once("-----"))
            .map(|(name, _)| name.chars().take(40).collect::<String>());
        return Err(DerError::NoPemBlock { expected: label, found });
    };
    let body_start = start + begin.len();
    let Some(body_len) = text[body_start..].find(&end) else {
        return Err(DerError::NoPemBlock { expected: label, found: None });
    };
    let body: String = text[body_start..body_start + body_len].chars().filter(|c| !c.is_whitespace()).collect();
    STANDARD.decode(body).map_err(|_| DerError::Base64)
}

/// The PEM armour around DER: 64-character lines, a final newline.
pub fn der_to_pem(der: &[u8], label: &str) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

pub const TAG_INTEGER: u8 = 0x02;
pub const TAG_BIT_STRING: u8 = 0x03;
pub const TAG_OCTET_STRING: u8 = 0x04;
pub const TAG_OID: u8 = 0x06;
pub const TAG_SEQUENCE: u8 = 0x30;
/// `[0] EXPLICIT`, the X.509 version.
pub const TAG_CONTEXT_0: u8 = 0xA0;

/// rsaEncryption, 1.2.840.113549.1.1.1, as DER content bytes.
pub const OID_RSA_ENCRYPTION: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01];

/// One element: its tag, its content, and the whole encoding (tag and length included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    pub tag: u8,
    pub content: &'a [u8],
    pub raw: &'a [u8],
}

/// Reads consecutive elements from a buffer.
pub struct Reader<'a> {
    rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub fn new(der: &'a [u8]) -> Self {
        Reader { rest: der }
    }

    pub fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// The next element, whatever its tag.
    pub fn any(&mut self) -> Result<Tlv<'a>, DerError> {
        let short = DerError::Malformed("truncated");
        let (&tag, after_tag) = self.rest.split_first().ok_or(short.clone())?;
        if tag & 0x1F == 0x1F {
            return Err(DerError::Malformed("multi-byte tags are not used here"));
        }
        let (&first, mut after_len) = after_tag.split_first().ok_or(short.clone())?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let count = usize::from(first & 0x7F);
            if count == 0 || count > 4 {
                return Err(DerError::Malformed("indefinite or oversized length"));
            }
            let (bytes, tail) = after_len.split_at_checked(count).ok_or(short.clone())?;
            after_len = tail;
            bytes.iter().fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        let header = self.rest.len() - after_len.len();
        let (content, tail) = after_len.split_at_checked(len).ok_or(short)?;
        let raw = &self.rest[..header + len];
        self.rest = tail;
        Ok(Tlv { tag, content, raw })
    }

    /// The next element, which must carry `tag`.
    pub fn expect(&mut self, tag: u8, what: &'static str) -> Result<Tlv<'a>, DerError> {
        let tlv = self.any()?;
        if tlv.tag == tag {
            Ok(tlv)
        } else {
            Err(DerError::Malformed(what))
        }
    }

    /// The next element if it carries `tag`, else nothing is consumed.
    pub fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.rest.first() == Some(&tag) {
            self.any().map(Some)
        } else {
            Ok(None)
        }
    }
}

/// Checks that `der` is a PKCS#8 PrivateKeyInfo for an RSA key (what WebCrypto's
/// `importKey("pkcs8", …, RSASSA-PKCS1-v1_5)` takes), so a wrong key is named at configuration
/// time rather than failing inside the runtime.
pub fn check_pkcs8_rsa(der: &[u8]) -> Result<(), DerError> {
    let mut outer = Reader::new(der);
    let info = outer.expect(TAG_SEQUENCE, "PrivateKeyInfo must be a SEQUENCE")?;
    if !outer.is_empty() {
        return Err(DerError::Malformed("trailing bytes after the key"));
    }
    let mut fields = Reader::new(info.content);
    fields.expect(TAG_INTEGER, "version must be an INTEGER")?;
    rsa_algorithm(&mut fields)?;
    fields.expect(TAG_OCTET_STRING, "privateKey must be an OCTET STRING")?;
    Ok(())
}

/// Checks that `der` is a SubjectPublicKeyInfo for an RSA key (WebCrypto's `spki` format).
pub fn check_spki_rsa(der: &[u8]) -> Result<(), DerError> {
    let mut outer = Reader::new(der);
    let spki = outer.expect(TAG_SEQUENCE, "SubjectPublicKeyInfo must be a SEQUENCE")?;
    if !outer.is_empty() {
        return Err(DerError::Malformed("trailing bytes after the key"));
    }
    let mut fields = Reader::new(spki.content);
    rsa_algorithm(&mut fields)?;
    fields.expect(TAG_BIT_STRING, "subjectPublicKey must be a BIT STRING")?;
    Ok(())
}

fn rsa_algorithm(fields: &mut Reader<'_>) -> Result<(), DerError> {
    let algorithm = fields.expect(TAG_SEQUENCE, "AlgorithmIdentifier must be a SEQUENCE")?;
    let oid = Reader::new(algorithm.content).expect(TAG_OID, "algorithm must be an OID")?;
    if oid.content == OID_RSA_ENCRYPTION {
        Ok(())
    } else {
        Err(DerError::Malformed("not an RSA key (rsaEncryption expected)"))
    }
}

/// What a platform certificate contributes: its serial number (upper-case hex, as
/// `Wechatpay-Serial` carries it) and its public key as SPKI DER (for `importKey("spki")`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateKey {
    pub serial: String,
    pub spki: Vec<u8>,
}

/// Walks `Certificate → tbsCertificate → (version?, serialNumber, signature, issuer, validity,
/// subject, subjectPublicKeyInfo)`. The certificate's own signature is not checked: it came
/// over a verified, AES-GCM-authenticated channel keyed by the APIv3 key (wechat-pay.md §1.2),
/// which is what the official SDKs rely on too.
pub fn certificate_key(der: &[u8]) -> Result<CertificateKey, DerError> {
    let certificate = Reader::new(der).expect(TAG_SEQUENCE, "Certificate must be a SEQUENCE")?;
    let tbs = Reader::new(certificate.content).expect(TAG_SEQUENCE, "tbsCertificate must be a SEQUENCE")?;
    let mut fields = Reader::new(tbs.content);
    fields.optional(TAG_CONTEXT_0)?;
    let serial = fields.expect(TAG_INTEGER, "serialNumber must be an INTEGER")?;
    // signature (AlgorithmIdentifier), issuer, validity, subject.
    for _ in 0..4 {
        fields.expect(TAG_SEQUENCE, "signature, issuer, validity and subject must be SEQUENCEs")?;
    }
    let spki = fields.expect(TAG_SEQUENCE, "subjectPublicKeyInfo must be a SEQUENCE")?;
    check_spki_rsa(spki.raw)?;
    // DER integers carry a leading 0x00 when the top bit is set; the serial as WeChat writes it
    // does not.
    let digits = match serial.content {
        [0, rest @ ..] if !rest.is_empty() => rest,
        all => all,
    };
    Ok(CertificateKey { serial: hex::encode_upper(digits), spki: spki.raw.to_vec() })
}

#[cfg(test)]
mod tests;
