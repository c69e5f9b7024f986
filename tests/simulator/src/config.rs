//! How a simulator instance is set up: its apps, its seed, and every limit WeChat documents
//! (kept configurable, because WeChat changes them and tests want short ones).

use crate::whitelist::Scope;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// One app the simulator knows: its AppID, AppSecret, whether it is bound to an Open Platform
/// account (then every new user gets a `unionid`), and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppConfig {
    pub appid: String,
    pub secret: String,
    pub unionid: bool,
    pub kind: AppKind,
}

/// A mini-program (`--app`) or an official account (`--oa`, a service account: web
/// authorization, JS-SDK tickets, template messages, followers). Each kind's own endpoints
/// answer the other's credentials with 48001.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppKind {
    #[default]
    MiniProgram,
    OfficialAccount,
}

impl AppKind {
    pub fn name(self) -> &'static str {
        match self {
            AppKind::MiniProgram => "mini_program",
            AppKind::OfficialAccount => "official_account",
        }
    }
}

impl AppConfig {
    /// A mini-program.
    pub fn new(appid: &str, secret: &str) -> Self {
        AppConfig { appid: appid.to_string(), secret: secret.to_string(), unionid: false, kind: AppKind::MiniProgram }
    }

    /// An official account.
    pub fn official_account(appid: &str, secret: &str) -> Self {
        AppConfig { kind: AppKind::OfficialAccount, ..AppConfig::new(appid, secret) }
    }

    /// Parses the CLI form `APPID:SECRET` (of `--app`).
    pub fn parse(spec: &str) -> Result<Self, String> {
        Self::parse_as(spec, AppKind::MiniProgram)
    }

    /// Parses `APPID:SECRET` of `--app` or `--oa`.
    pub fn parse_as(spec: &str, kind: AppKind) -> Result<Self, String> {
        let flag = if kind == AppKind::OfficialAccount { "--oa" } else { "--app" };
        match spec.split_once(':') {
            Some((appid, secret)) if !appid.is_empty() && !secret.is_empty() => {
                Ok(AppConfig { kind, ..AppConfig::new(appid, secret) })
            }
            _ => Err(format!("{flag} expects APPID:SECRET, got {spec:?}")),
        }
    }
}

/// Everything `serve` needs.
#[derive(Clone, Debug)]
pub struct Config {
    pub host: IpAddr,
    /// 0 picks a free port.
    pub port: u16,
    /// A second port on `host` standing for the relay's fixed address: calls arriving there pass
    /// every IP whitelist (0 picks a free port; None: no such port).
    pub relay_port: Option<u16>,
    /// Apps whose IP whitelist is on from the start (and again after `/_sim/reset`), and which
    /// calls it covers. Changeable at run time with `POST /_sim/whitelist`.
    pub ip_whitelist: BTreeMap<String, Scope>,
    /// The first app is the default wherever a control request leaves `appid` out.
    pub apps: Vec<AppConfig>,
    /// Seeds every random value (tokens, codes, session keys, rids) for reproducible runs.
    pub seed: Option<u64>,
    pub limits: Limits,
    /// Start with simulated time standing still (it then moves only by `/_sim/clock/advance`).
    pub freeze_clock: bool,
    /// Print the "listening" line and one human line per request to stdout.
    pub print_log: bool,
    /// WeChat Pay: the merchants known from the start, the notify time scale (`pay`).
    pub pay: crate::pay::PaySetup,
}

pub const DEFAULT_APPID: &str = "wx0000000000000001";
pub const DEFAULT_SECRET: &str = "sim-secret-0001";

impl Default for Config {
    fn default() -> Self {
        Config {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            relay_port: None,
            ip_whitelist: BTreeMap::new(),
            apps: vec![AppConfig::new(DEFAULT_APPID, DEFAULT_SECRET)],
            seed: None,
            limits: Limits::default(),
            freeze_clock: false,
            print_log: false,
            pay: crate::pay::PaySetup::default(),
        }
    }
}

/// The documented limits (wechat-api.md §2–§5), changeable at start-up and at run time
/// (`POST /_sim/limits`). Durations are simulated seconds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Life of every access_token, classic and stable (`expires_in` of a fresh token).
    pub token_lifetime: i64,
    /// How long a superseded classic token keeps working (capped by its own expiry).
    pub classic_overlap: i64,
    /// `cgi-bin/token` calls per day before 45009.
    pub classic_daily: u64,
    /// A normal-mode stable_token call mints a new token once this little life is left; it is
    /// also the least `expires_in` ever returned.
    pub stable_renew_window: i64,
    /// How long a stable token replaced by `force_refresh` keeps working (undocumented; 0).
    pub stable_force_grace: i64,
    /// Forced refreshes per day; beyond it 45009 (undocumented errcode, assumed).
    pub stable_force_daily: u64,
    /// A forced refresh sooner than this after the last one does nothing.
    pub stable_force_cooldown: i64,
    /// stable_token calls per minute before 45011 (code assumed by the docs).
    pub stable_per_minute: u64,
    /// stable_token calls per day before 45009.
    pub stable_daily: u64,
    /// Life of a `wx.login` code.
    pub login_code_lifetime: i64,
    /// jscode2session calls per minute per user before 45011.
    pub login_per_minute_per_user: u64,
    /// Life of a getPhoneNumber code.
    pub phone_code_lifetime: i64,
    /// Customer-service sends a user message allows, and for how long (5 within 48 h).
    pub cs_message_quota: u32,
    pub cs_message_window: i64,
    /// Customer-service sends entering the session allows, and for how long (2 within 1 min).
    pub cs_session_quota: u32,
    pub cs_session_window: i64,
    /// Longest text message, in bytes (community-measured, 45002 beyond).
    pub cs_text_max_bytes: usize,
    /// "Typing" needs a user action this recently (45080 otherwise)...
    pub typing_interaction_window: i64,
    /// ...and lasts this long (45081 when set again before).
    pub typing_duration: i64,
    /// Official accounts (wechat-oa.md §1–§3): life of a JS-SDK ticket (`jsapi`, `wx_card`), on
    /// its own clock, not the token's (`--ticket-lifetime`)...
    pub ticket_lifetime: i64,
    /// ...and how long one superseded by a newer ticket keeps working.
    pub ticket_overlap: i64,
    /// Life of a web-authorization code (single use).
    pub oauth_code_lifetime: i64,
    /// Life of a user access_token from `sns/oauth2/*`, and of its refresh_token (30 days).
    pub oauth_token_lifetime: i64,
    pub oauth_refresh_lifetime: i64,
    /// `sns/oauth2/access_token` also gives the unionid for `snsapi_base` (captures show it; the
    /// doc says `snsapi_userinfo` only; `--unionid-on-base`).
    pub oauth_unionid_on_base: bool,
    /// A template message repeating a `client_msg_id` this soon answers the first one's msgid.
    pub client_msg_id_window: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            token_lifetime: 7200,
            classic_overlap: 300,
            classic_daily: 2000,
            stable_renew_window: 300,
            stable_force_grace: 0,
            stable_force_daily: 20,
            stable_force_cooldown: 30,
            stable_per_minute: 10_000,
            stable_daily: 500_000,
            login_code_lifetime: 300,
            login_per_minute_per_user: 100,
            phone_code_lifetime: 300,
            cs_message_quota: 5,
            cs_message_window: 48 * 3600,
            cs_session_quota: 2,
            cs_session_window: 60,
            cs_text_max_bytes: 2048,
            typing_interaction_window: 30,
            typing_duration: 15,
            ticket_lifetime: 7200,
            ticket_overlap: 300,
            oauth_code_lifetime: 300,
            oauth_token_lifetime: 7200,
            oauth_refresh_lifetime: 30 * 86_400,
            oauth_unionid_on_base: false,
            client_msg_id_window: 600,
        }
    }
}

impl Limits {
    /// The one rule that keeps the stable-token promise (`expires_in >= 300`) possible.
    pub fn validate(&self) -> Result<(), String> {
        if self.token_lifetime <= self.stable_renew_window {
            return Err(format!(
                "token_lifetime ({}) must be longer than stable_renew_window ({})",
                self.token_lifetime, self.stable_renew_window
            ));
        }
        let non_negative = [
            ("classic_overlap", self.classic_overlap),
            ("stable_renew_window", self.stable_renew_window),
            ("stable_force_grace", self.stable_force_grace),
            ("stable_force_cooldown", self.stable_force_cooldown),
            ("login_code_lifetime", self.login_code_lifetime),
            ("phone_code_lifetime", self.phone_code_lifetime),
            ("cs_message_window", self.cs_message_window),
            ("cs_session_window", self.cs_session_window),
            ("typing_interaction_window", self.typing_interaction_window),
            ("typing_duration", self.typing_duration),
            ("ticket_lifetime", self.ticket_lifetime),
            ("ticket_overlap", self.ticket_overlap),
            ("oauth_code_lifetime", self.oauth_code_lifetime),
            ("oauth_token_lifetime", self.oauth_token_lifetime),
            ("oauth_refresh_lifetime", self.oauth_refresh_lifetime),
            ("client_msg_id_window", self.client_msg_id_window),
        ];
        match non_negative.iter().find(|(_, v)| *v < 0) {
            Some((name, v)) => Err(format!("{name} must not be negative, got {v}")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_spec_needs_both_halves() {
        assert_eq!(AppConfig::parse("wx1:s").map(|a| a.secret), Ok("s".to_string()));
        assert_eq!(AppConfig::parse_as("wx1:s", AppKind::OfficialAccount).map(|a| a.kind), Ok(AppKind::OfficialAccount));
        assert!(AppConfig::parse_as("wx1", AppKind::OfficialAccount).is_err_and(|e| e.starts_with("--oa")));
        assert!(AppConfig::parse("wx1").is_err());
        assert!(AppConfig::parse(":s").is_err());
        assert!(AppConfig::parse("wx1:").is_err());
    }

    #[test]
    fn a_token_life_inside_the_renewal_window_is_refused() {
        let limits = Limits { token_lifetime: 300, ..Limits::default() };
        assert!(limits.validate().is_err());
        assert!(Limits { token_lifetime: 400, ..Limits::default() }.validate().is_ok());
    }
}
