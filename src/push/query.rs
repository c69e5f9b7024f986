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

/// Splits a raw query string into percent-decoded pairs (see `shared::urls::parse_query`).
pub use crate::shared::urls::parse_query;

#[cfg(test)]
mod tests;
