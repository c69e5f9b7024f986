//! Typed configuration, read from the Worker's environment through a lookup function so that
//! it is built and tested without the Workers runtime.
//!
//! Nothing here fails as a whole: a missing or malformed variable becomes an [`ApiError`] that
//! names it, returned only by the accessor a route needs, so `/health` always answers.

use crate::shared::error::{ApiError, ApiResult};
use serde::{Deserialize, Serialize};
use std::fmt;

pub const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";
pub const DEFAULT_MP_BASE: &str = "https://mp.weixin.qq.com";
pub const DEFAULT_OPEN_BASE: &str = "https://open.weixin.qq.com";

/// The WeChat Pay settings (wechat-pay.md §1.1), per app like the other secrets; `pay` parses
/// them, so only the pay routes fail when they are wrong.
pub const PAY_VARS: [&str; 11] = [
    "WECHATPAY_MCHID",
    "WECHATPAY_CERT_SERIAL",
    "WECHATPAY_API_BASE",
    "WECHATPAY_PRIVATE_KEY",
    "WECHATPAY_APIV3_KEY",
    "WECHATPAY_PUBLIC_KEY",
    "WECHATPAY_PUBLIC_KEY_ID",
    "WECHATPAY_TIMESTAMP_WINDOW_SECONDS",
    "WECHATPAY_NOTIFY_URL",
    "PAY_CATALOGUE",
    "PAY_RECONCILE_AFTER_SECONDS",
];
pub const DEFAULT_SESSION_TTL: u64 = 7 * 24 * 3600;
pub const DEFAULT_PUSH_WINDOW: u64 = 300;
pub const DEFAULT_OPEN_DATA_MAX_AGE: u64 = 86_400;
pub const DEFAULT_CS_GREETING: &str = "您好，有什么能帮助你?";

/// A secret string: never printed, not even by `{:?}`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A keyword auto-reply (`CS_KEYWORDS`: a JSON array of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeywordRule {
    /// Matched against a text message's content: contained in it, or equal with `exact`.
    #[serde(rename = "match")]
    pub pattern: String,
    pub reply: String,
    #[serde(default)]
    pub exact: bool,
}

/// When tokens are refreshed and how long they are handed out for (`TOKEN_*_MARGIN_SECONDS`);
/// `token::policy` applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenPolicy {
    /// Refresh this long before expiry. 300 s matches stable_token's renewal window, so a
    /// normal-mode call at that moment returns a new token rather than the same one.
    pub refresh_margin: u64,
    /// Never hand out a token with less than this left (callers need time to use it).
    pub safety_margin: u64,
}

impl Default for TokenPolicy {
    fn default() -> Self {
        TokenPolicy { refresh_margin: 300, safety_margin: 60 }
    }
}

/// The message-push mode (消息加密方式) set in the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMode {
    /// 明文模式: plaintext bodies. An encrypted push is still accepted (the console switches
    /// modes the moment it is saved, and WeChat may already send the new way).
    Plain,
    /// 兼容模式: plaintext fields and `Encrypt`; only the encrypted copy is trusted.
    Compatible,
    /// 安全模式: `Encrypt` only.
    Safe,
}

impl PushMode {
    pub fn name(self) -> &'static str {
        match self {
            PushMode::Plain => "plain",
            PushMode::Compatible => "compatible",
            PushMode::Safe => "safe",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppType {
    MiniProgram,
    OfficialAccount,
}

/// Which WeChat endpoint mints access tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenApi {
    /// `POST cgi-bin/stable_token` in normal mode (the default; isolated from other callers).
    Stable,
    /// `GET cgi-bin/token` (every call supersedes the previous token).
    Classic,
}

/// One configured app (mini program or official account) with its secrets.
#[derive(Debug, Clone)]
pub struct AppConfig {
    pub appid: String,
    pub app_type: AppType,
    /// Variable names, so errors can say exactly what to set.
    suffix: String,
    secret: Option<Secret>,
    push_token: Option<Secret>,
    aes_key: Option<Secret>,
    /// `WECHAT_PUSH_MODE` as set (parsed by [`AppConfig::push_mode`]).
    push_mode: Option<String>,
    /// The relay's URL, key and call set as set (parsed by [`AppConfig::relay`]).
    relay_url: Option<String>,
    relay_key: Option<Secret>,
    relay_calls: Option<String>,
}

/// Which WeChat calls go through an app's relay (IP白名单, wechat-oa.md §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelayCalls {
    /// The calls that carry the AppSecret: `cgi-bin/token`, `cgi-bin/stable_token`,
    /// `clear_quota`, `sns/jscode2session` (what a mini program's whitelist checks).
    Secret,
    /// Every API call (what an official account's whitelist checks, by the current docs).
    All,
}

/// A relay with a fixed IP (`deploy/relay/`): where, with which key, for which calls.
#[derive(Clone, PartialEq, Eq)]
pub struct Relay {
    pub url: String,
    pub key: Secret,
    pub calls: RelayCalls,
}

impl fmt::Debug for Relay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Relay({}, {:?})", self.url, self.calls)
    }
}

/// What a WeChat call is, for routing: one carrying the AppSecret, or one with an access_token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Secret,
    Api,
}

impl AppConfig {
    pub fn is_official_account(&self) -> bool {
        self.app_type == AppType::OfficialAccount
    }

    /// The name of this app's variable `base` (`base` itself for the default app,
    /// `base_<APPID>` for a further one).
    pub fn var(&self, base: &str) -> String {
        format!("{base}{}", self.suffix)
    }

    /// What this app's variable names end with: `""` or `_<APPID>`.
    pub fn var_suffix(&self) -> &str {
        &self.suffix
    }

    fn required<'a>(&self, value: &'a Option<Secret>, base: &str) -> ApiResult<&'a str> {
        match value {
            Some(s) if !s.expose().is_empty() => Ok(s.expose()),
            _ => Err(ApiError::config(&self.var(base), "is not set")),
        }
    }

    pub fn secret(&self) -> ApiResult<&str> {
        self.required(&self.secret, "WECHAT_APP_SECRET")
    }

    pub fn push_token(&self) -> ApiResult<&str> {
        self.required(&self.push_token, "WECHAT_PUSH_TOKEN")
    }

    /// The EncodingAESKey, when safe or compatible mode is configured.
    pub fn aes_key(&self) -> Option<&str> {
        self.aes_key.as_ref().map(Secret::expose).filter(|k| !k.is_empty())
    }

    /// The message-push mode chosen in the console (`WECHAT_PUSH_MODE`): `safe` by default when
    /// an EncodingAESKey is set, else `plain`. Safe and compatible need the key.
    pub fn push_mode(&self) -> ApiResult<PushMode> {
        let var = self.var("WECHAT_PUSH_MODE");
        let mode = match self.push_mode.as_deref().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") if self.aes_key().is_some() => PushMode::Safe,
            None | Some("") | Some("plain") => PushMode::Plain,
            Some("compatible") => PushMode::Compatible,
            Some("safe") => PushMode::Safe,
            Some(_) => return Err(ApiError::config(&var, "must be plain, compatible or safe")),
        };
        if mode != PushMode::Plain && self.aes_key().is_none() {
            return Err(ApiError::config(&self.aes_key_var(), &format!("is not set, and {var} is {}", mode.name())));
        }
        Ok(mode)
    }

    /// The app's relay: `WECHAT_RELAY_URL` for the default app or the `relay` field of its
    /// `WECHAT_APPS` entry, `WECHAT_RELAY_KEY` (or `WECHAT_RELAY_KEY_<APPID>`), and
    /// `WECHAT_RELAY_CALLS` / `relay_calls` (`secret`, the default, or `all`).
    pub fn relay(&self) -> ApiResult<Option<Relay>> {
        let Some(url) = self.relay_url.as_deref().map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(None);
        };
        let url_var = if self.suffix.is_empty() { "WECHAT_RELAY_URL".to_owned() } else { "WECHAT_APPS (relay)".to_owned() };
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ApiError::config(&url_var, "must be an http(s) URL"));
        }
        let key = match &self.relay_key {
            Some(k) if !k.expose().is_empty() => k.clone(),
            _ => return Err(ApiError::config(&self.var("WECHAT_RELAY_KEY"), "is not set (the relay refuses calls without it)")),
        };
        let calls = match self.relay_calls.as_deref().map(str::trim).map(str::to_ascii_lowercase).as_deref() {
            None | Some("") | Some("secret") => RelayCalls::Secret,
            Some("all") => RelayCalls::All,
            Some(_) => return Err(ApiError::config(&self.var("WECHAT_RELAY_CALLS"), "must be secret or all")),
        };
        Ok(Some(Relay { url: url.trim_end_matches('/').to_owned(), key, calls }))
    }

    /// Where a call of `kind` goes: the app's relay when it takes that kind, else `api_base`.
    pub fn upstream(&self, api_base: &str, kind: CallKind) -> ApiResult<(String, Option<Relay>)> {
        Ok(match self.relay()? {
            Some(relay) if kind == CallKind::Secret || relay.calls == RelayCalls::All => (relay.url.clone(), Some(relay)),
            _ => (api_base.to_owned(), None),
        })
    }

    pub fn aes_key_var(&self) -> String {
        self.var("WECHAT_ENCODING_AES_KEY")
    }
}

/// The relay fields of a `WECHAT_APPS` entry.
#[derive(Default)]
struct RelayEntry {
    url: Option<String>,
    calls: Option<String>,
}

/// An entry of `WECHAT_APPS`: either `"wx..."` or `{"appid": "wx...", "app_type": "..."}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum AppEntry {
    Id(String),
    Full {
        appid: String,
        #[serde(default)]
        app_type: Option<String>,
        /// The relay with a fixed IP this app's calls go through (`deploy/relay/`).
        #[serde(default)]
        relay: Option<String>,
        /// `secret` or `all`: which calls take the relay.
        #[serde(default)]
        relay_calls: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub api_base: String,
    pub mp_base: String,
    /// The web-authorization host (`WECHAT_OPEN_BASE`, wechat-oa.md §1.2).
    pub open_base: String,
    web_origins: ApiResult<Vec<String>>,
    web_login_ttl: ApiResult<u64>,
    /// The WeChat Pay variables as set (`WECHATPAY_*`, with an app's suffix), parsed by `pay`.
    pay_vars: std::collections::HashMap<String, String>,
    ticket_min_refresh: ApiResult<u64>,
    scan_login_ttl: ApiResult<u64>,
    token_api: ApiResult<TokenApi>,
    session_ttl: ApiResult<u64>,
    push_window: ApiResult<u64>,
    open_data_max_age: ApiResult<u64>,
    token_policy: ApiResult<TokenPolicy>,
    cs_transfer: ApiResult<bool>,
    log_every_push: ApiResult<bool>,
    rate_limits: ApiResult<bool>,
    pub cs_greeting: String,
    cs_keywords: ApiResult<Vec<KeywordRule>>,
    business_webhook: ApiResult<Option<(String, Secret)>>,
    default_app: ApiResult<AppConfig>,
    further_apps: ApiResult<Vec<AppConfig>>,
    internal_api_key: Option<Secret>,
}

fn parse_u64(lookup: &dyn Fn(&str) -> Option<String>, name: &str, default: u64) -> ApiResult<u64> {
    match lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v.parse::<u64>().map_err(|_| ApiError::config(name, "must be a whole number of seconds")),
    }
}

fn parse_bool(lookup: &dyn Fn(&str) -> Option<String>, name: &str, default: bool) -> ApiResult<bool> {
    match lookup(name).map(|v| v.trim().to_ascii_lowercase()).as_deref() {
        None | Some("") => Ok(default),
        Some("1" | "true" | "on" | "yes") => Ok(true),
        Some("0" | "false" | "off" | "no") => Ok(false),
        Some(_) => Err(ApiError::config(name, "must be true or false")),
    }
}

fn parse_app_type(value: Option<&str>, name: &str) -> ApiResult<AppType> {
    match value.map(str::trim) {
        None | Some("") | Some("miniprogram") => Ok(AppType::MiniProgram),
        Some("official_account") => Ok(AppType::OfficialAccount),
        Some(_) => Err(ApiError::config(name, "must be miniprogram or official_account")),
    }
}

/// App ids appear in variable names (`WECHAT_APP_SECRET_<APPID>`), so they must be plain.
pub fn valid_appid(appid: &str) -> bool {
    (6..=32).contains(&appid.len()) && appid.bytes().all(|b| b.is_ascii_alphanumeric())
}

fn base_url(lookup: &dyn Fn(&str) -> Option<String>, name: &str, default: &str) -> String {
    let v = lookup(name).map(|v| v.trim().trim_end_matches('/').to_owned());
    v.filter(|v| !v.is_empty()).unwrap_or_else(|| default.to_owned())
}

impl Config {
    /// Builds the configuration from `lookup(name)` (a var or a secret of the Worker).
    pub fn from_lookup(lookup: &dyn Fn(&str) -> Option<String>) -> Config {
        let secret = |name: &str| lookup(name).map(Secret);
        let app = |appid: String, app_type: ApiResult<AppType>, suffix: String, relay: RelayEntry| -> ApiResult<AppConfig> {
            let (relay_url, relay_calls) = if suffix.is_empty() {
                (lookup("WECHAT_RELAY_URL"), lookup("WECHAT_RELAY_CALLS"))
            } else {
                (relay.url, relay.calls.or_else(|| lookup(&format!("WECHAT_RELAY_CALLS{suffix}"))))
            };
            Ok(AppConfig {
                app_type: app_type?,
                secret: secret(&format!("WECHAT_APP_SECRET{suffix}")),
                push_token: secret(&format!("WECHAT_PUSH_TOKEN{suffix}")),
                aes_key: secret(&format!("WECHAT_ENCODING_AES_KEY{suffix}")),
                push_mode: lookup(&format!("WECHAT_PUSH_MODE{suffix}")),
                relay_key: secret(&format!("WECHAT_RELAY_KEY{suffix}")).or_else(|| secret("WECHAT_RELAY_KEY")),
                relay_url,
                relay_calls,
                appid,
                suffix,
            })
        };
        let default_app = match lookup("WECHAT_APPID").map(|v| v.trim().to_owned()) {
            None => Err(ApiError::config("WECHAT_APPID", "is not set")),
            Some(id) if id.is_empty() => Err(ApiError::config("WECHAT_APPID", "is not set")),
            Some(id) if !valid_appid(&id) => Err(ApiError::config("WECHAT_APPID", "is not a valid app id")),
            Some(id) => app(
                id,
                parse_app_type(lookup("WECHAT_APP_TYPE").as_deref(), "WECHAT_APP_TYPE"),
                String::new(),
                RelayEntry::default(),
            ),
        };
        let further_apps = match lookup("WECHAT_APPS").filter(|v| !v.trim().is_empty()) {
            None => Ok(Vec::new()),
            Some(raw) => match serde_json::from_str::<Vec<AppEntry>>(&raw) {
                Err(_) => {
                    Err(ApiError::config("WECHAT_APPS", r#"must be a JSON array of app ids or {"appid","app_type"} objects"#))
                }
                Ok(entries) => entries
                    .into_iter()
                    .map(|entry| {
                        let (id, ty, relay) = match entry {
                            AppEntry::Id(id) => (id, None, RelayEntry::default()),
                            AppEntry::Full { appid, app_type, relay, relay_calls } => {
                                (appid, app_type, RelayEntry { url: relay, calls: relay_calls })
                            }
                        };
                        if !valid_appid(&id) {
                            return Err(ApiError::config("WECHAT_APPS", "holds an invalid app id"));
                        }
                        let suffix = format!("_{id}");
                        app(id, parse_app_type(ty.as_deref(), "WECHAT_APPS"), suffix, relay)
                    })
                    .collect(),
            },
        };
        let token_api = match lookup("WECHAT_TOKEN_API").map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("stable") => Ok(TokenApi::Stable),
            Some("classic") => Ok(TokenApi::Classic),
            Some(_) => Err(ApiError::config("WECHAT_TOKEN_API", "must be stable or classic")),
        };
        let token_policy = (|| {
            let refresh = parse_u64(lookup, "TOKEN_REFRESH_MARGIN_SECONDS", TokenPolicy::default().refresh_margin)?;
            let safety = parse_u64(lookup, "TOKEN_SAFETY_MARGIN_SECONDS", TokenPolicy::default().safety_margin)?;
            Ok(TokenPolicy { refresh_margin: refresh, safety_margin: safety })
        })();
        let mut suffixes = vec![String::new()];
        if let Ok(apps) = &further_apps {
            suffixes.extend(apps.iter().map(|a: &AppConfig| a.suffix.clone()));
        }
        let mut pay_vars = std::collections::HashMap::new();
        for name in PAY_VARS {
            for suffix in &suffixes {
                let full = format!("{name}{suffix}");
                if let Some(v) = lookup(&full) {
                    pay_vars.insert(full, v);
                }
            }
        }
        Config {
            pay_vars,
            api_base: base_url(lookup, "WECHAT_API_BASE", DEFAULT_API_BASE),
            mp_base: base_url(lookup, "WECHAT_MP_BASE", DEFAULT_MP_BASE),
            open_base: base_url(lookup, "WECHAT_OPEN_BASE", DEFAULT_OPEN_BASE),
            web_origins: crate::shared::origins::parse(lookup("WEB_ORIGINS").as_deref()),
            ticket_min_refresh: parse_u64(lookup, "JSAPI_TICKET_MIN_REFRESH_SECONDS", 60),
            web_login_ttl: parse_u64(lookup, "WEB_LOGIN_TTL_SECONDS", 600).and_then(|v| match v {
                1..=3600 => Ok(v),
                _ => Err(ApiError::config("WEB_LOGIN_TTL_SECONDS", "must be 1-3600")),
            }),
            // WeChat's expire_seconds: at most 30 days; an attempt needs far less.
            scan_login_ttl: parse_u64(lookup, "SCAN_LOGIN_TTL_SECONDS", 300).and_then(|v| match v {
                1..=3600 => Ok(v),
                _ => Err(ApiError::config("SCAN_LOGIN_TTL_SECONDS", "must be 1-3600")),
            }),
            token_api,
            session_ttl: parse_u64(lookup, "SESSION_TTL_SECONDS", DEFAULT_SESSION_TTL).and_then(|v| {
                if v >= 60 {
                    Ok(v)
                } else {
                    Err(ApiError::config("SESSION_TTL_SECONDS", "must be at least 60"))
                }
            }),
            push_window: parse_u64(lookup, "PUSH_TIMESTAMP_WINDOW_SECONDS", DEFAULT_PUSH_WINDOW),
            open_data_max_age: parse_u64(lookup, "OPEN_DATA_MAX_AGE_SECONDS", DEFAULT_OPEN_DATA_MAX_AGE),
            token_policy,
            cs_transfer: parse_bool(lookup, "CS_TRANSFER", true),
            log_every_push: parse_bool(lookup, "LOG_EVERY_PUSH", false),
            rate_limits: parse_bool(lookup, "RATE_LIMITS", true),
            cs_greeting: lookup("CS_GREETING").unwrap_or_else(|| DEFAULT_CS_GREETING.to_owned()),
            cs_keywords: match lookup("CS_KEYWORDS").filter(|v| !v.trim().is_empty()) {
                None => Ok(Vec::new()),
                Some(raw) => serde_json::from_str(&raw).map_err(|_| {
                    ApiError::config("CS_KEYWORDS", r#"must be a JSON array of {"match","reply","exact"?} objects"#)
                }),
            },
            business_webhook: match lookup("BUSINESS_WEBHOOK_URL").map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
                None => Ok(None),
                Some(url) if !(url.starts_with("https://") || url.starts_with("http://")) => {
                    Err(ApiError::config("BUSINESS_WEBHOOK_URL", "must be an http(s) URL"))
                }
                Some(url) => match secret("BUSINESS_WEBHOOK_SECRET").filter(|s| !s.expose().is_empty()) {
                    Some(key) => Ok(Some((url, key))),
                    None => Err(ApiError::config("BUSINESS_WEBHOOK_SECRET", "is not set (it signs forwarded messages)")),
                },
            },
            default_app,
            further_apps,
            internal_api_key: secret("INTERNAL_API_KEY").filter(|s| !s.expose().is_empty()),
        }
    }

    /// The app a request is for: `appid` when given (it must be configured), else the default.
    pub fn app(&self, appid: Option<&str>) -> ApiResult<AppConfig> {
        let requested = appid.map(str::trim).filter(|id| !id.is_empty());
        let Some(id) = requested else {
            return self.default_app.clone();
        };
        if let Ok(app) = &self.default_app {
            if app.appid == id {
                return Ok(app.clone());
            }
        }
        if let Some(app) = self.further_apps.clone()?.into_iter().find(|a| a.appid == id) {
            return Ok(app);
        }
        if self.default_app.is_err() {
            // The caller named an app and nothing is configured: say what is missing.
            self.default_app.clone()?;
        }
        Err(ApiError::not_found(format!("app id {id} is not configured (WECHAT_APPID / WECHAT_APPS)")))
    }

    /// The official account a request is for: `appid` when given (it must be configured as
    /// one), else the first configured official account.
    pub fn official_account(&self, appid: Option<&str>) -> ApiResult<AppConfig> {
        let requested = appid.map(str::trim).filter(|id| !id.is_empty());
        let app = match requested {
            Some(id) => self.app(Some(id))?,
            None => {
                let first = self.default_app.iter().chain(self.further_apps.iter().flatten()).find(|a| a.is_official_account());
                first.cloned().ok_or_else(|| {
                    ApiError::config(
                        "WECHAT_APPS",
                        r#"has no official account (an entry {"appid", "app_type": "official_account"}, or WECHAT_APP_TYPE)"#,
                    )
                })?
            }
        };
        if !app.is_official_account() {
            return Err(ApiError::bad_request(
                "not_an_official_account",
                format!("app {} is a mini program; this route is for an official account", app.appid),
            ));
        }
        Ok(app)
    }

    /// A WeChat Pay variable (one of [`PAY_VARS`], with its app suffix) as set.
    pub fn pay_var(&self, name: &str) -> Option<String> {
        self.pay_vars.get(name).cloned()
    }

    /// How old a jsapi_ticket must be before a page's report that WeChat rejected it refreshes
    /// it (`JSAPI_TICKET_MIN_REFRESH_SECONDS`): reports cannot burn the ticket quota.
    pub fn ticket_min_refresh(&self) -> ApiResult<u64> {
        self.ticket_min_refresh.clone()
    }

    /// How long a web login may take from `/oauth/start` to the callback (`WEB_LOGIN_TTL_SECONDS`).
    pub fn web_login_ttl(&self) -> ApiResult<u64> {
        self.web_login_ttl.clone()
    }

    /// How long a scan-to-login QR code and its attempt live (`SCAN_LOGIN_TTL_SECONDS`).
    pub fn scan_login_ttl(&self) -> ApiResult<u64> {
        self.scan_login_ttl.clone()
    }

    /// The origins web pages may come from (`WEB_ORIGINS`).
    pub fn web_origins(&self) -> ApiResult<Vec<String>> {
        self.web_origins.clone()
    }

    /// Every configured app id, the default first (for the cron's health pass).
    pub fn app_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.default_app.iter().map(|a| a.appid.clone()).collect();
        if let Ok(apps) = &self.further_apps {
            for app in apps {
                if !ids.contains(&app.appid) {
                    ids.push(app.appid.clone());
                }
            }
        }
        ids
    }

    pub fn internal_api_key(&self) -> ApiResult<&str> {
        self.internal_api_key.as_ref().map(Secret::expose).ok_or_else(|| ApiError::config("INTERNAL_API_KEY", "is not set"))
    }

    pub fn token_api(&self) -> ApiResult<TokenApi> {
        self.token_api.clone()
    }

    pub fn token_policy(&self) -> ApiResult<TokenPolicy> {
        self.token_policy.clone()
    }

    pub fn session_ttl(&self) -> ApiResult<u64> {
        self.session_ttl.clone()
    }

    pub fn push_window(&self) -> ApiResult<u64> {
        self.push_window.clone()
    }

    /// How old decrypted open data's watermark may be (`OPEN_DATA_MAX_AGE_SECONDS`; 0: no limit).
    pub fn open_data_max_age(&self) -> ApiResult<u64> {
        self.open_data_max_age.clone()
    }

    pub fn cs_transfer(&self) -> ApiResult<bool> {
        self.cs_transfer.clone()
    }

    /// Whether every push is logged, or (the default) only those with side effects: a claim in
    /// the ledger (a greeting, a forward) or a redelivery of one.
    pub fn log_every_push(&self) -> ApiResult<bool> {
        self.log_every_push.clone()
    }

    /// Whether the rate-limit bindings are applied (`RATE_LIMITS`, default true; `false` only
    /// for load tests and benchmarks that must exceed them).
    pub fn rate_limits(&self) -> ApiResult<bool> {
        self.rate_limits.clone()
    }

    /// The keyword auto-replies (`CS_KEYWORDS`).
    pub fn cs_keywords(&self) -> ApiResult<Vec<KeywordRule>> {
        self.cs_keywords.clone()
    }

    /// The business webhook every verified message is forwarded to, with its signing key.
    pub fn business_webhook(&self) -> ApiResult<Option<(String, String)>> {
        Ok(self.business_webhook.clone()?.map(|(url, key)| (url, key.expose().to_owned())))
    }

    /// Every malformed setting, for one log line per isolate (names only, never values).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut note = |r: Result<(), ApiError>| {
            if let Err(e) = r {
                out.push(e.message);
            }
        };
        note(self.token_api.clone().map(drop));
        note(self.session_ttl.clone().map(drop));
        note(self.push_window.clone().map(drop));
        note(self.open_data_max_age.clone().map(drop));
        note(self.token_policy.clone().map(drop));
        note(self.cs_transfer.clone().map(drop));
        note(self.log_every_push.clone().map(drop));
        note(self.rate_limits.clone().map(drop));
        note(self.cs_keywords.clone().map(drop));
        note(self.business_webhook.clone().map(drop));
        note(self.web_origins.clone().map(drop));
        note(self.web_login_ttl.clone().map(drop));
        note(self.ticket_min_refresh.clone().map(drop));
        note(self.scan_login_ttl.clone().map(drop));
        note(self.default_app.clone().map(drop));
        note(self.further_apps.clone().map(drop));
        for app in self.default_app.iter().chain(self.further_apps.iter().flatten()) {
            note(app.push_mode().map(drop));
            note(app.relay().map(drop));
        }
        out
    }
}

#[cfg(test)]
mod tests;
