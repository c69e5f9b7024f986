//! The query parameters WeChat puts on a push or URL-check request (§8.2, §8.3).
//!
//! [`PushQuery`] borrows already-decoded pairs so it stays a cheap view; [`parse_query`] turns a
//! raw query string into such pairs:
//!
//! ```
//! use wechat_edge::push::{parse_query, PushQuery};
//! let pairs = parse_query("signature=ab&timestamp=1&nonce=n%20x");
//! let query = PushQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
//! assert_eq!(query.nonce, Some("n x"));
//! ```

/// The parameters the pipeline reads; `None` when absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PushQuery<'a> {
    pub signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub nonce: Option<&'a str>,
    pub msg_signature: Option<&'a str>,
    pub encrypt_type: Option<&'a str>,
    /// Sent by official accounts only.
    pub openid: Option<&'a str>,
    /// Sent on the URL check (GET) only.
    pub echostr: Option<&'a str>,
}

impl<'a> PushQuery<'a> {
    /// Picks the known parameters out of decoded `(name, value)` pairs. When a name repeats the
    /// first value wins, so the value that was checked is the value that is used.
    pub fn from_pairs<I>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (&'a str, &'a str)>,
    {
        let mut query = PushQuery::default();
        for (name, value) in pairs {
            let slot = match name {
                "signature" => &mut query.signature,
                "timestamp" => &mut query.timestamp,
                "nonce" => &mut query.nonce,
                "msg_signature" => &mut query.msg_signature,
                "encrypt_type" => &mut query.encrypt_type,
                "openid" => &mut query.openid,
                "echostr" => &mut query.echostr,
                _ => continue,
            };
            slot.get_or_insert(value);
        }
        query
    }
}

/// Splits a raw query string (without the `?`) into percent-decoded pairs; `+` means a space.
/// A malformed escape is kept literally and invalid UTF-8 is replaced, so this never fails.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    raw.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(name), percent_decode(value))
        })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        let escaped = match tail {
            [hi, lo, after @ ..] if byte == b'%' => hex_value(*hi).zip(hex_value(*lo)).map(|(hi, lo)| (hi << 4 | lo, after)),
            _ => None,
        };
        match escaped {
            Some((decoded, after)) => {
                out.push(decoded);
                rest = after;
            }
            None => {
                out.push(if byte == b'+' { b' ' } else { byte });
                rest = tail;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(digit: u8) -> Option<u8> {
    char::from(digit).to_digit(16).and_then(|d| u8::try_from(d).ok())
}

#[cfg(test)]
mod tests;
