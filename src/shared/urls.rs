//! Query strings and the URLs of WeChat calls, without the `url` crate: linking it (and its
//! IDNA tables) into the Worker cost more wasm than everything here does, and we only ever
//! need `application/x-www-form-urlencoded` pairs (`form_urlencoded`, which the Workers crate
//! links anyway) on an `http(s)://host[:port]` base.

use crate::shared::config::{Relay, Secret};
use crate::shared::error::{ApiError, ApiResult};

/// An absolute URL of a WeChat call. [`WeChatUrl::path`] is what may be logged: the query
/// carries the access_token (or the AppSecret) and never is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatUrl {
    full: String,
    path: std::ops::Range<usize>,
    /// Set when the call goes through the app's relay: its base (for messages) and key.
    relay: Option<(String, Secret)>,
}

impl WeChatUrl {
    /// `{base}{path}?{params}` where `base` is the configured `http(s)://host[:port][/prefix]`
    /// (named `base_var` in the error when it is not one) and `path` starts with `/`.
    pub fn build(base: &str, base_var: &str, path: &str, params: &[(&str, &str)]) -> ApiResult<WeChatUrl> {
        let invalid = || ApiError::config(base_var, "is not a valid http(s) URL");
        let rest = base.strip_prefix("https://").or_else(|| base.strip_prefix("http://")).ok_or_else(invalid)?;
        let host_end = rest.find('/').unwrap_or(rest.len());
        let (host, prefix) = rest.split_at(host_end);
        let bad = |c: char| c.is_whitespace() || c.is_control() || matches!(c, '?' | '#' | '@' | '\\');
        if host.is_empty() || host.starts_with(':') || base.contains(bad) {
            return Err(invalid());
        }
        if let Some((_, port)) = host.rsplit_once(':').filter(|_| !host.ends_with(']')) {
            if port.parse::<u16>().is_err() {
                return Err(invalid());
            }
        }
        let mut full = String::with_capacity(base.len() + path.len() + 64);
        full.push_str(base);
        let path_start = base.len() - prefix.len();
        full.push_str(path);
        let path_end = full.len();
        if !params.is_empty() {
            full.push('?');
            encode_pairs(&mut full, params);
        }
        Ok(WeChatUrl { full, path: path_start..path_end, relay: None })
    }

    /// The same call through `relay` (already the URL's base): the key goes in a header.
    pub fn via_relay(mut self, relay: &Relay) -> WeChatUrl {
        self.relay = Some((relay.url.clone(), relay.key.clone()));
        self
    }

    /// The relay's base URL and key, when the call goes through one.
    pub fn relay(&self) -> Option<(&str, &str)> {
        self.relay.as_ref().map(|(url, key)| (url.as_str(), key.expose()))
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The path alone (no host, no query): safe to log.
    pub fn path(&self) -> &str {
        &self.full[self.path.clone()]
    }
}

/// Appends `name=value&…`, form-urlencoded: ASCII letters, digits and `*-._` stay, a space
/// becomes `+`, every other byte of the UTF-8 is `%XX`.
pub fn encode_pairs(out: &mut String, params: &[(&str, &str)]) {
    let start = out.len();
    let mut pairs = form_urlencoded::Serializer::for_suffix(std::mem::take(out), start);
    pairs.extend_pairs(params);
    *out = pairs.finish();
}

/// Splits a raw query string (without the `?`) into percent-decoded pairs; `+` means a space.
/// A malformed escape is kept literally and invalid UTF-8 is replaced, so this never fails.
pub fn parse_query(raw: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.as_bytes()).into_owned().collect()
}

/// The raw query of a request URL: what follows the first `?`, up to a `#`; empty when none.
pub fn raw_query(url: &str) -> &str {
    let Some((_, rest)) = url.split_once('?') else { return "" };
    rest.split_once('#').map_or(rest, |(query, _)| query)
}

/// The first value of `name` in a raw query string, percent-decoded.
pub fn query_value(raw: &str, name: &str) -> Option<String> {
    parse_query(raw).into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests;
