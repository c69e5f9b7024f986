//! Mini-program codes and official-account QR codes (wechat-api.md §7.1–7.4), checked before
//! WeChat sees them: a request body becomes [`UnlimitedCode`], [`LimitedCode`], [`ClassicCode`]
//! or [`OaTicketQr`], or a 400 naming the field. Also the image helpers the handlers need:
//! [`sniff_image`], [`etag`] and [`etag_matches`].
//!
//! Every field is typed strictly (WeChat answers 47001 for `"check_path":"false"`; we answer
//! first), unknown fields are refused (a typo like `widht` must not silently become the
//! default), and `null` reads as "left out". No input can make these functions panic.

use crate::shared::error::{ApiError, ApiResult};
pub use crate::shared::image::{image_is_complete, sniff_image};
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// The reader of `env_version`, shared with [`crate::qrcode::links`].
pub(crate) mod fields {
    use super::*;

    /// `release` (default), `trial` or `develop`; anything else, even `""`, is refused.
    pub fn env_version(body: &Map<String, Value>, name: &str) -> ApiResult<EnvVersion> {
        match opt_str(body, name)? {
            None => Ok(EnvVersion::Release),
            Some("release") => Ok(EnvVersion::Release),
            Some("trial") => Ok(EnvVersion::Trial),
            Some("develop") => Ok(EnvVersion::Develop),
            Some(_) => Err(ApiError::invalid_field(name, "must be \"release\", \"trial\" or \"develop\"")),
        }
    }
}

use crate::shared::fields::{
    check_page, get, int_value, opt_bool, opt_int, opt_page, opt_str, reject_unknown, required_str, PageQuery,
};
use fields::env_version;

/// Which version of the mini program a code opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnvVersion {
    #[default]
    Release,
    Trial,
    Develop,
}

impl EnvVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvVersion::Release => "release",
            EnvVersion::Trial => "trial",
            EnvVersion::Develop => "develop",
        }
    }
}

/// `line_color`: decimal RGB, each 0–255.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineColor {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl LineColor {
    fn parse(body: &Map<String, Value>) -> ApiResult<LineColor> {
        let Some(value) = get(body, "line_color") else { return Ok(LineColor::default()) };
        let Value::Object(rgb) = value else {
            return Err(ApiError::invalid_field("line_color", "must be an object {\"r\",\"g\",\"b\"}"));
        };
        reject_unknown(rgb, &["r", "g", "b"], "line_color.")?;
        let channel = |c: &str| -> ApiResult<u8> {
            let name = format!("line_color.{c}");
            let value = get(rgb, c).ok_or_else(|| ApiError::invalid_field(&name, "is required"))?;
            let v = int_value(value, &name, 0, 255)?;
            u8::try_from(v).map_err(|_| ApiError::invalid_field(&name, "must be between 0 and 255"))
        };
        Ok(LineColor { r: channel("r")?, g: channel("g")?, b: channel("b")? })
    }

    fn to_json(self) -> Value {
        json!({"r": self.r, "g": self.g, "b": self.b})
    }
}

/// `width` in px: 280–1280, default 430.
pub const MIN_WIDTH: u16 = 280;
pub const MAX_WIDTH: u16 = 1280;
pub const DEFAULT_WIDTH: u16 = 430;

fn width(body: &Map<String, Value>) -> ApiResult<u16> {
    let w = opt_int(body, "width", MIN_WIDTH.into(), MAX_WIDTH.into())?;
    // In range by the check above, so the conversion cannot fail.
    Ok(w.and_then(|w| u16::try_from(w).ok()).unwrap_or(DEFAULT_WIDTH))
}

/// How a round mini-program code looks (interfaces A and B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeStyle {
    pub width: u16,
    pub auto_color: bool,
    pub line_color: LineColor,
    pub is_hyaline: bool,
}

impl CodeStyle {
    fn parse(body: &Map<String, Value>) -> ApiResult<CodeStyle> {
        Ok(CodeStyle {
            width: width(body)?,
            auto_color: opt_bool(body, "auto_color", false)?,
            line_color: LineColor::parse(body)?,
            is_hyaline: opt_bool(body, "is_hyaline", false)?,
        })
    }

    fn write(&self, out: &mut Map<String, Value>) {
        out.insert("width".into(), json!(self.width));
        out.insert("auto_color".into(), json!(self.auto_color));
        out.insert("line_color".into(), self.line_color.to_json());
        out.insert("is_hyaline".into(), json!(self.is_hyaline));
    }
}

/// The cache key of a code: `qr:<kind>:<appid>:<hex sha256 of the canonical body>`. The body
/// has every default filled in and its keys sorted, so field order and explicit defaults do not
/// change the key. `line_color` is ignored when `auto_color` is on (WeChat ignores it too).
fn cache_key(kind: &str, appid: &str, mut body: Value) -> String {
    if body.get("auto_color") == Some(&Value::Bool(true)) {
        if let Some(obj) = body.as_object_mut() {
            obj.insert("line_color".into(), LineColor::default().to_json());
        }
    }
    let mut canonical = String::new();
    write_canonical(&body, &mut canonical);
    format!("qr:{kind}:{appid}:{}", hex::encode(Sha256::digest(canonical.as_bytes())))
}

/// JSON with object keys sorted, whatever map type serde_json was built with.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::from(key.as_str()).to_string());
                out.push(':');
                if let Some(v) = map.get(*key) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

/// A `scene` for `getwxacodeunlimit`: 1–32 characters of `0-9 A-Z a-z` and
/// `` !#$&'()*+,/:;=?@-._~ `` (no `%`, so nothing URL-encoded).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scene(String);

impl Scene {
    pub const MAX_LEN: usize = 32;
    const SPECIALS: &'static [u8] = b"!#$&'()*+,/:;=?@-._~";

    pub fn parse(value: &str) -> ApiResult<Scene> {
        if value.is_empty() {
            return Err(ApiError::invalid_field("scene", "must not be empty"));
        }
        if value.chars().count() > Self::MAX_LEN {
            return Err(ApiError::invalid_field("scene", "is longer than 32 characters"));
        }
        if !value.bytes().all(|b| b.is_ascii_alphanumeric() || Self::SPECIALS.contains(&b)) {
            return Err(ApiError::invalid_field(
                "scene",
                "may only contain letters, digits and !#$&'()*+,/:;=?@-._~ (no spaces, no %, no Chinese)",
            ));
        }
        Ok(Scene(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `POST /wxa/getwxacodeunlimit` (interface B): unlimited codes carrying a `scene`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnlimitedCode {
    pub scene: Scene,
    /// None: the home page.
    pub page: Option<String>,
    pub check_path: bool,
    pub env_version: EnvVersion,
    pub style: CodeStyle,
}

impl UnlimitedCode {
    const FIELDS: &'static [&'static str] =
        &["scene", "page", "check_path", "env_version", "width", "auto_color", "line_color", "is_hyaline"];

    pub fn parse(body: &Map<String, Value>) -> ApiResult<UnlimitedCode> {
        reject_unknown(body, Self::FIELDS, "")?;
        let scene = match get(body, "scene") {
            None => return Err(ApiError::invalid_field("scene", "is required")),
            Some(Value::String(s)) => Scene::parse(s)?,
            Some(_) => return Err(ApiError::invalid_field("scene", "must be a string")),
        };
        Ok(UnlimitedCode {
            scene,
            page: opt_page(body, "page", PageQuery::Refused)?,
            check_path: opt_bool(body, "check_path", true)?,
            env_version: env_version(body, "env_version")?,
            style: CodeStyle::parse(body)?,
        })
    }

    /// The body for WeChat, every field explicit (`page` only when one was given).
    pub fn wechat_body(&self) -> Value {
        let mut out = Map::new();
        out.insert("scene".into(), json!(self.scene.as_str()));
        if let Some(page) = &self.page {
            out.insert("page".into(), json!(page));
        }
        out.insert("check_path".into(), json!(self.check_path));
        out.insert("env_version".into(), json!(self.env_version.as_str()));
        self.style.write(&mut out);
        Value::Object(out)
    }

    pub fn cache_key(&self, appid: &str) -> String {
        cache_key("unlimited", appid, self.wechat_body())
    }

    /// A transparent code comes back as PNG, any other as JPEG.
    pub fn is_png(&self) -> bool {
        self.style.is_hyaline
    }
}

/// A `path` with an optional query (`pages/x/x?id=1`) for interfaces A and C: the page part
/// follows the page rules, the query is printable without spaces; at most `max` bytes.
fn code_path(body: &Map<String, Value>, max: usize) -> ApiResult<String> {
    let path = required_str(body, "path")?;
    if path.len() > max {
        return Err(ApiError::invalid_field("path", &format!("is longer than {max} bytes")));
    }
    let (page, query) = path.split_once('?').unwrap_or((path, ""));
    if page.is_empty() {
        return Err(ApiError::invalid_field("path", "needs a page before the query (`pages/index/index?a=1`)"));
    }
    check_page("path", page, PageQuery::Refused)?;
    if query.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(ApiError::invalid_field("path", "must not contain spaces or control characters in its query"));
    }
    Ok(path.to_owned())
}

/// `POST /wxa/getwxacode` (interface A): round codes for a path with a query, shared
/// lifetime cap of 100,000 with interface C.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitedCode {
    pub path: String,
    pub env_version: EnvVersion,
    pub style: CodeStyle,
}

impl LimitedCode {
    pub const MAX_PATH_LEN: usize = 1024;
    const FIELDS: &'static [&'static str] = &["path", "width", "auto_color", "line_color", "is_hyaline", "env_version"];

    pub fn parse(body: &Map<String, Value>) -> ApiResult<LimitedCode> {
        reject_unknown(body, Self::FIELDS, "")?;
        Ok(LimitedCode {
            path: code_path(body, Self::MAX_PATH_LEN)?,
            env_version: env_version(body, "env_version")?,
            style: CodeStyle::parse(body)?,
        })
    }

    pub fn wechat_body(&self) -> Value {
        let mut out = Map::new();
        out.insert("path".into(), json!(self.path));
        out.insert("env_version".into(), json!(self.env_version.as_str()));
        self.style.write(&mut out);
        Value::Object(out)
    }

    pub fn cache_key(&self, appid: &str) -> String {
        cache_key("limited", appid, self.wechat_body())
    }

    pub fn is_png(&self) -> bool {
        self.style.is_hyaline
    }
}

/// `POST /cgi-bin/wxaapp/createwxaqrcode` (interface C): the square classic QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassicCode {
    pub path: String,
    pub width: u16,
}

impl ClassicCode {
    /// The doc says 128; counted in bytes, the stricter reading.
    pub const MAX_PATH_LEN: usize = 128;
    const FIELDS: &'static [&'static str] = &["path", "width"];

    pub fn parse(body: &Map<String, Value>) -> ApiResult<ClassicCode> {
        reject_unknown(body, Self::FIELDS, "")?;
        Ok(ClassicCode { path: code_path(body, Self::MAX_PATH_LEN)?, width: width(body)? })
    }

    pub fn wechat_body(&self) -> Value {
        json!({"path": self.path, "width": self.width})
    }

    pub fn cache_key(&self, appid: &str) -> String {
        cache_key("classic", appid, self.wechat_body())
    }

    /// Classic codes are always JPEG.
    pub fn is_png(&self) -> bool {
        false
    }
}

/// A strong ETag for an image: `"` + the first 32 hex digits of its SHA-256 + `"`.
pub fn etag(bytes: &[u8]) -> String {
    let digest = hex::encode(Sha256::digest(bytes));
    format!("\"{}\"", &digest[..32])
}

/// Whether an `If-None-Match` header matches `etag` (weak comparison, as RFC 9110 asks for
/// If-None-Match): `*`, a comma-separated list, `W/` prefixes all handled.
pub fn etag_matches(if_none_match: &str, etag: &str) -> bool {
    let header = if_none_match.trim();
    if header == "*" {
        return true;
    }
    let ours = opaque(etag.trim());
    if ours.is_empty() {
        return false;
    }
    split_tags(header).into_iter().any(|tag| opaque(tag) == ours)
}

/// The tag without `W/` and quotes.
fn opaque(tag: &str) -> &str {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    tag.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(tag)
}

/// Splits a list of entity tags at commas outside quotes.
fn split_tags(header: &str) -> Vec<&str> {
    let mut tags = Vec::new();
    let (mut start, mut quoted) = (0, false);
    for (i, c) in header.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                tags.push(&header[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    tags.push(&header[start..]);
    tags.into_iter().map(str::trim).filter(|t| !t.is_empty()).collect()
}

/// The scene of an official-account QR code: a number or a string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OaScene {
    Id(i64),
    Str(String),
}

/// `POST /cgi-bin/qrcode/create` (official accounts, §7.4). Our body is
/// `{scene_id | scene_str, expire_seconds?, permanent?}`; see [`OaTicketQr::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OaTicketQr {
    pub scene: OaScene,
    /// Seconds a temporary code lives; None for a permanent one.
    pub expire_seconds: Option<u32>,
}

impl OaTicketQr {
    pub const MIN_EXPIRE: i64 = 60;
    pub const MAX_EXPIRE: i64 = 2_592_000;
    /// What WeChat uses when `expire_seconds` is left out (the current doc; older copies: 30).
    pub const DEFAULT_EXPIRE: u32 = 60;
    pub const MAX_PERMANENT_SCENE_ID: i64 = 100_000;
    pub const MAX_SCENE_STR_LEN: usize = 64;
    const FIELDS: &'static [&'static str] = &["scene_id", "scene_str", "expire_seconds", "permanent"];

    /// Exactly one of `scene_id` (temporary: a non-zero 32-bit signed integer; permanent:
    /// 1–100000) and `scene_str` (1–64 characters, no control characters); `expire_seconds`
    /// 60–2592000 (default 60), temporary codes only; `permanent` defaults to false.
    pub fn parse(body: &Map<String, Value>) -> ApiResult<OaTicketQr> {
        reject_unknown(body, Self::FIELDS, "")?;
        let permanent = opt_bool(body, "permanent", false)?;
        let scene = match (get(body, "scene_id"), get(body, "scene_str")) {
            (Some(_), Some(_)) => {
                return Err(ApiError::invalid_field("scene_str", "cannot be given together with `scene_id`: send one"))
            }
            (None, None) => return Err(ApiError::invalid_field("scene_id", "or `scene_str` is required")),
            (Some(_), None) => {
                let (min, max) = if permanent { (1, Self::MAX_PERMANENT_SCENE_ID) } else { (i32::MIN.into(), i32::MAX.into()) };
                match opt_int(body, "scene_id", min, max)? {
                    Some(0) => return Err(ApiError::invalid_field("scene_id", "must not be 0")),
                    Some(id) => OaScene::Id(id),
                    None => return Err(ApiError::invalid_field("scene_id", "is required")),
                }
            }
            (None, Some(_)) => {
                let s = required_str(body, "scene_str")?;
                if s.chars().count() > Self::MAX_SCENE_STR_LEN {
                    return Err(ApiError::invalid_field("scene_str", "is longer than 64 characters"));
                }
                if s.chars().any(char::is_control) {
                    return Err(ApiError::invalid_field("scene_str", "must not contain control characters"));
                }
                OaScene::Str(s.to_owned())
            }
        };
        let expire = opt_int(body, "expire_seconds", Self::MIN_EXPIRE, Self::MAX_EXPIRE)?;
        let expire_seconds = match (permanent, expire) {
            (true, Some(_)) => {
                return Err(ApiError::invalid_field("expire_seconds", "is only for temporary codes (permanent is true)"))
            }
            (true, None) => None,
            (false, e) => Some(e.and_then(|e| u32::try_from(e).ok()).unwrap_or(Self::DEFAULT_EXPIRE)),
        };
        Ok(OaTicketQr { scene, expire_seconds })
    }

    pub fn is_permanent(&self) -> bool {
        self.expire_seconds.is_none()
    }

    /// `QR_SCENE`, `QR_STR_SCENE`, `QR_LIMIT_SCENE` or `QR_LIMIT_STR_SCENE`.
    pub fn action_name(&self) -> &'static str {
        match (&self.scene, self.is_permanent()) {
            (OaScene::Id(_), false) => "QR_SCENE",
            (OaScene::Str(_), false) => "QR_STR_SCENE",
            (OaScene::Id(_), true) => "QR_LIMIT_SCENE",
            (OaScene::Str(_), true) => "QR_LIMIT_STR_SCENE",
        }
    }

    /// `{expire_seconds?, action_name, action_info: {scene: {scene_id | scene_str}}}`.
    pub fn wechat_body(&self) -> Value {
        let scene = match &self.scene {
            OaScene::Id(id) => json!({"scene_id": id}),
            OaScene::Str(s) => json!({"scene_str": s}),
        };
        let mut out = Map::new();
        if let Some(seconds) = self.expire_seconds {
            out.insert("expire_seconds".into(), json!(seconds));
        }
        out.insert("action_name".into(), json!(self.action_name()));
        out.insert("action_info".into(), json!({ "scene": scene }));
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests;
