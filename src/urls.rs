//! Query strings and the URLs of WeChat calls, without the `url` crate: linking it (and its
//! IDNA tables) into the Worker cost more wasm than everything here does, and we only ever
//! need `application/x-www-form-urlencoded` pairs on an `http(s)://host[:port]` base.

use crate::error::{ApiError, ApiResult};

/// An absolute URL of a WeChat call. [`WeChatUrl::path`] is what may be logged: the query
/// carries the access_token (or the AppSecret) and never is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatUrl {
    full: String,
    path: std::ops::Range<usize>,
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
        Ok(WeChatUrl { full, path: path_start..path_end })
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
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_component(out, name);
        out.push('=');
        encode_component(out, value);
    }
}

fn encode_component(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in text.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => {
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// The raw query of a request URL: what follows the first `?`, up to a `#`; empty when none.
pub fn raw_query(url: &str) -> &str {
    let Some((_, rest)) = url.split_once('?') else { return "" };
    rest.split_once('#').map_or(rest, |(query, _)| query)
}

/// The first value of `name` in a raw query string, percent-decoded.
pub fn query_value(raw: &str, name: &str) -> Option<String> {
    crate::push::parse_query(raw).into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_url_is_the_base_the_path_and_the_encoded_params() {
        let u = WeChatUrl::build("https://api.weixin.qq.com", "WECHAT_API_BASE", "/cgi-bin/token", &[("grant_type", "client_credential"), ("appid", "wx1")]).unwrap();
        assert_eq!(u.as_str(), "https://api.weixin.qq.com/cgi-bin/token?grant_type=client_credential&appid=wx1");
        assert_eq!(u.path(), "/cgi-bin/token");
    }

    #[test]
    fn params_are_form_urlencoded_like_the_url_crate_does() {
        let u = WeChatUrl::build("http://127.0.0.1:9000", "V", "/p", &[("a b", "x+y&z=1/2?#%中"), ("t", "gQH4-._*~")]).unwrap();
        assert_eq!(u.as_str(), "http://127.0.0.1:9000/p?a+b=x%2By%26z%3D1%2F2%3F%23%25%E4%B8%AD&t=gQH4-._*%7E");
        // and the decoder reads back exactly what was sent
        let pairs = crate::push::parse_query(raw_query(u.as_str()));
        assert_eq!(pairs, vec![("a b".to_owned(), "x+y&z=1/2?#%中".to_owned()), ("t".to_owned(), "gQH4-._*~".to_owned())]);
    }

    #[test]
    fn a_base_with_a_path_prefix_keeps_it_and_the_logged_path_includes_it() {
        let u = WeChatUrl::build("http://sim:8080/wechat", "V", "/sns/jscode2session", &[("js_code", "c")]).unwrap();
        assert_eq!(u.as_str(), "http://sim:8080/wechat/sns/jscode2session?js_code=c");
        assert_eq!(u.path(), "/wechat/sns/jscode2session");
        let bare = WeChatUrl::build("https://[::1]:8443", "V", "/x", &[]).unwrap();
        assert_eq!((bare.as_str(), bare.path()), ("https://[::1]:8443/x", "/x"));
    }

    #[test]
    fn a_base_that_is_no_http_url_is_a_config_error_naming_the_variable() {
        for base in ["", "api.weixin.qq.com", "ftp://x", "https://", "https:///p", "https://:80", "https://h:port", "https://h:99999", "https://a b", "https://h?q", "https://u@h", "https://h#f"] {
            let e = WeChatUrl::build(base, "WECHAT_MP_BASE", "/p", &[]).unwrap_err();
            assert_eq!(e.status, 500, "{base:?}");
            assert!(e.message.contains("WECHAT_MP_BASE"), "{base:?}: {}", e.message);
        }
    }

    #[test]
    fn the_raw_query_stops_at_the_fragment_and_values_are_decoded() {
        assert_eq!(raw_query("https://h/p?a=1&b=%20x#frag?no"), "a=1&b=%20x");
        assert_eq!(raw_query("https://h/p"), "");
        assert_eq!(raw_query("https://h/p?"), "");
        assert_eq!(query_value("a=1&appid=wx%31&appid=wx2", "appid").as_deref(), Some("wx1"));
        assert_eq!(query_value("a=1", "appid"), None);
    }
}
