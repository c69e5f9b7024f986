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
mod tests;
