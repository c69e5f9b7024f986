//! The JS-SDK signature (wechat-oa.md §2.2, 附录1), pure: sha1 over
//! `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (names sorted, values raw), where `url` is
//! the page's full URL without its `#fragment`.

use crate::shared::error::{ApiError, ApiResult};
use crate::shared::origins;
use sha1::{Digest, Sha1};

pub fn signature(jsapi_ticket: &str, noncestr: &str, timestamp: u64, url: &str) -> String {
    let string1 = format!("jsapi_ticket={jsapi_ticket}&noncestr={noncestr}&timestamp={timestamp}&url={url}");
    hex::encode(Sha1::digest(string1.as_bytes()))
}

/// The URL to sign: absolute http(s), on a `WEB_ORIGINS` origin (the JS接口安全域名 must match
/// too, in the console), without its fragment, which the page never sends to WeChat.
pub fn page_url(allowed: &[String], url: Option<&str>) -> ApiResult<String> {
    let url = url
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::invalid_field("url", "is required: the page's location.href (its part before #)"))?;
    if url.len() > 2048 {
        return Err(ApiError::invalid_field("url", "is longer than 2048 characters"));
    }
    if origins::origin_of(url).is_none() {
        return Err(ApiError::invalid_field("url", "must be an absolute http(s) URL"));
    }
    if !origins::allowed(allowed, url) {
        return Err(ApiError::new(
            403,
            "origin_not_allowed",
            "the page's origin is not listed in WEB_ORIGINS; add it there (and to the JS接口安全域名 in the console)",
        ));
    }
    Ok(url.split('#').next().unwrap_or(url).to_owned())
}

#[cfg(test)]
mod tests;
