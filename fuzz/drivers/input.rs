//! Input layouts. A driver reads a flags byte (the first byte, 0 when the input is empty) that
//! picks variants, then one or more fields separated by NUL; the last field takes the rest of
//! the input, NULs included. Text fields are decoded lossily, so any bytes are an input.

/// The first byte and the rest.
pub fn flags(data: &[u8]) -> (u8, &[u8]) {
    match data.split_first() {
        Some((&flags, rest)) => (flags, rest),
        None => (0, data),
    }
}

/// Up to `n` fields separated by NUL; missing fields are empty.
pub fn fields(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out: Vec<&[u8]> = data.splitn(n.max(1), |&b| b == 0).collect();
    out.resize(n.max(1), &[]);
    out
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Joins fields with NUL, after a flags byte: the inverse of [`flags`] and [`fields`].
pub fn join(flags: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![flags];
    out.extend(join_fields(parts));
    out
}

/// Joins fields with NUL: the inverse of [`fields`].
pub fn join_fields(parts: &[&[u8]]) -> Vec<u8> {
    parts.join(&0u8)
}

/// `bytes` zero-padded to a whole number of 16-byte AES blocks.
pub fn whole_blocks(bytes: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out.resize(bytes.len().div_ceil(16) * 16, 0);
    out
}
