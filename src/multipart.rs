//! A `multipart/form-data` body with one file part, as `cgi-bin/media/upload` expects (field
//! `media`, with a filename and a content type). Built by hand: the Workers FormData binding
//! cannot add files, and the format is small.

/// The body and its Content-Type header value.
pub fn file_part(boundary: &str, field: &str, filename: &str, content_type: &str, bytes: &[u8]) -> (Vec<u8>, String) {
    // Quotes and line breaks would end the header early; WeChat only needs an extension.
    let clean = |s: &str| s.chars().filter(|c| !matches!(c, '"' | '\r' | '\n' | '\\')).collect::<String>();
    let mut body = Vec::with_capacity(bytes.len() + 256);
    body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
    body.extend_from_slice(
        format!("Content-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n", clean(field), clean(filename)).as_bytes(),
    );
    body.extend_from_slice(format!("Content-Type: {}\r\n\r\n", clean(content_type)).as_bytes());
    body.extend_from_slice(bytes);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_has_one_file_part_between_boundaries() {
        let (body, ct) = file_part("XyZ", "media", "a.jpg", "image/jpeg", b"\xff\xd8\xffdata");
        assert_eq!(ct, "multipart/form-data; boundary=XyZ");
        let text = String::from_utf8_lossy(&body);
        assert!(text.starts_with("--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"));
        assert!(text.ends_with("data\r\n--XyZ--\r\n"));
    }

    #[test]
    fn a_hostile_filename_cannot_break_the_header() {
        let (body, _) = file_part("b", "media", "x\"\r\nEvil: 1.jpg", "image/jpeg", b"");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("filename=\"xEvil: 1.jpg\""), "{text}");
        assert_eq!(text.matches("\r\n").count(), 6);
    }
}
