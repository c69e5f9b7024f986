//! A small, strict `multipart/form-data` reader (RFC 7578) over a body already in memory.
//!
//! The WeChat wrapper hands handlers the query and body but not the headers, so the boundary
//! is read from the body's first delimiter line (`--boundary`) rather than from Content-Type;
//! anything that does not start that way is no multipart body.

/// One part of the form.
#[derive(Debug, PartialEq, Eq)]
pub struct Part<'a> {
    pub name: Option<String>,
    pub filename: Option<String>,
    pub content_type: Option<String>,
    pub data: &'a [u8],
}

/// RFC 2046 boundaries are 1-70 characters.
const MAX_BOUNDARY: usize = 70;

/// The parts of a body, or None when it is not a complete multipart body.
pub fn parts(body: &[u8]) -> Option<Vec<Part<'_>>> {
    let line_end = find(body, b"\r\n")?;
    let boundary = body.get(..line_end)?.strip_prefix(b"--")?.trim_ascii_end();
    if boundary.is_empty() || boundary.len() > MAX_BOUNDARY {
        return None;
    }
    let mut delimiter = b"\r\n--".to_vec();
    delimiter.extend_from_slice(boundary);
    let mut rest = body.get(line_end + 2..)?;
    let mut parts = Vec::new();
    loop {
        let (head, after_head) = split_head(rest)?;
        let end = find(after_head, &delimiter)?;
        let mut part = read_head(head)?;
        part.data = after_head.get(..end)?;
        parts.push(part);
        let after = after_head.get(end + delimiter.len()..)?;
        if after.starts_with(b"--") {
            return Some(parts);
        }
        // Transport padding may follow a delimiter before its line break.
        let padding = after.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
        rest = after.get(padding..)?.strip_prefix(b"\r\n")?;
    }
}

/// Splits a part into its header block and its content.
fn split_head(part: &[u8]) -> Option<(&[u8], &[u8])> {
    if let Some(content) = part.strip_prefix(b"\r\n") {
        return Some((&[], content));
    }
    let end = find(part, b"\r\n\r\n")?;
    Some((part.get(..end)?, part.get(end + 4..)?))
}

fn read_head(head: &[u8]) -> Option<Part<'static>> {
    let head = std::str::from_utf8(head).ok()?;
    let mut part = Part { name: None, filename: None, content_type: None, data: &[] };
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        match name.trim().to_ascii_lowercase().as_str() {
            "content-disposition" => {
                part.name = parameter(value, "name");
                part.filename = parameter(value, "filename");
            }
            "content-type" => part.content_type = Some(value.trim().to_string()),
            _ => {}
        }
    }
    Some(part)
}

/// A parameter of `form-data; name="media"; filename="a.jpg"`, quoted or not.
fn parameter(value: &str, wanted: &str) -> Option<String> {
    value.split(';').skip(1).find_map(|param| {
        let (key, val) = param.split_once('=')?;
        if !key.trim().eq_ignore_ascii_case(wanted) {
            return None;
        }
        let val = val.trim();
        let unquoted = val.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(val);
        Some(unquoted.to_string())
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = b"--XyZ\r\nContent-Disposition: form-data; name=\"note\"\r\n\r\nhi\r\n--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n\xff\xd8\r\n\xff\xd9\r\n--XyZ--\r\n";

    #[test]
    fn a_file_part_keeps_its_name_filename_type_and_exact_bytes() {
        let parts = parts(BODY).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].name.as_deref(), Some("note"));
        assert_eq!(parts[0].data, b"hi");
        assert_eq!(parts[1].name.as_deref(), Some("media"));
        assert_eq!(parts[1].filename.as_deref(), Some("a.jpg"));
        assert_eq!(parts[1].content_type.as_deref(), Some("image/jpeg"));
        assert_eq!(parts[1].data, b"\xff\xd8\r\n\xff\xd9");
    }

    #[test]
    fn json_empty_and_unterminated_bodies_are_not_multipart() {
        assert_eq!(parts(b"{\"media\":1}"), None);
        assert_eq!(parts(b""), None);
        assert_eq!(parts(b"--\r\n\r\nx\r\n----\r\n"), None);
        assert_eq!(parts(&BODY[..BODY.len() - 12]), None);
    }
}
