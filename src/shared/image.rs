//! What image WeChat sent (QR codes, media), from its first bytes, whatever the Content-Type
//! claimed; and whether it arrived whole.

/// The image type of a code WeChat sent, from its first bytes; None for anything else (a
/// JSON error body, say), whatever the Content-Type claimed.
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else {
        None
    }
}

/// Whether an image arrived whole: a JPEG ends with its EOI marker, a PNG with its IEND
/// chunk. A body cut short in transit must not be cached and served as a code.
pub fn image_is_complete(bytes: &[u8]) -> bool {
    match sniff_image(bytes) {
        Some("image/jpeg") => bytes.ends_with(&[0xFF, 0xD9]),
        Some("image/png") => bytes.len() >= 12 && bytes[bytes.len() - 12..].starts_with(&[0, 0, 0, 0, b'I', b'E', b'N', b'D']),
        _ => false,
    }
}
