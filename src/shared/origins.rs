//! Web origins (`WEB_ORIGINS`): the pages a web login may return to and that may ask for a
//! JS-SDK signature. An origin is `scheme://host[:port]`, compared exactly after the
//! normalisation browsers apply (lower-case scheme and host, default ports dropped).

use crate::shared::error::{ApiError, ApiResult};

/// The origin of an absolute http(s) URL, normalised; None when it is not one. Userinfo
/// (`https://a.com@evil.com/`) and backslashes are refused outright: browsers and servers
/// disagree on them, which is how open redirects get through origin checks.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return None;
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() || authority.contains(['@', '\\', ' ']) || url.contains(['\\', '\n', '\r', '\t']) {
        return None;
    }
    let authority = authority.to_ascii_lowercase();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => (host, Some(port)),
        _ => (authority.as_str(), None),
    };
    if host.is_empty() || !host.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b)) {
        return None;
    }
    let port = match port {
        None => None,
        Some(p) if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) => return None,
        Some(p) if (scheme == "https" && p == "443") || (scheme == "http" && p == "80") => None,
        Some(p) => Some(p),
    };
    Some(match port {
        Some(p) => format!("{scheme}://{host}:{p}"),
        None => format!("{scheme}://{host}"),
    })
}

/// Parses `WEB_ORIGINS`: a JSON array of origins (empty or unset: no web pages allowed).
pub fn parse(raw: Option<&str>) -> ApiResult<Vec<String>> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(Vec::new()) };
    let bad = || ApiError::config("WEB_ORIGINS", r#"must be a JSON array of origins such as ["https://www.example.com"]"#);
    let list: Vec<String> = serde_json::from_str(raw).map_err(|_| bad())?;
    list.iter()
        .map(|o| match origin_of(o) {
            // An entry with a path would silently never match: say so instead.
            Some(origin) if origin.len() + 1 >= o.trim_end_matches('/').len() => Ok(origin),
            _ => Err(bad()),
        })
        .collect()
}

/// Whether `url` is on one of `allowed`'s origins.
pub fn allowed(allowed: &[String], url: &str) -> bool {
    origin_of(url).is_some_and(|o| allowed.contains(&o))
}

#[cfg(test)]
mod tests;
