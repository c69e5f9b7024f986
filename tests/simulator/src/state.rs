//! The simulator's memory: per-app token slots, users, pending codes, quotas, the call log and
//! the fault queue, all behind one mutex. Handlers hold the lock only while they compute a
//! reply (never across an await), so every call sees and leaves a consistent state.

use crate::clock::Clock;
use crate::config::{AppConfig, Config, Limits};
use crate::faults::Faults;
use crate::log::CallLog;
use rand::rngs::StdRng;
use rand::SeedableRng;
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard};

/// Shared by every request.
pub struct Sim {
    pub config: Config,
    pub clock: Clock,
    /// The relay port's address, when there is one (`/_sim/health` tells it).
    pub relay_addr: Option<SocketAddr>,
    state: Mutex<State>,
}

impl Sim {
    pub fn new(config: Config, relay_addr: Option<SocketAddr>) -> Self {
        let state = State::new(&config);
        Sim { clock: Clock::new(config.freeze_clock), config, relay_addr, state: Mutex::new(state) }
    }

    /// A panic in one handler must not take the simulator down for the rest of a test run.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Forgets everything that happened (users, tokens, codes, log, faults, clock offset) and
    /// keeps the apps and the start-up limits.
    pub fn reset(&self) {
        *self.lock() = State::new(&self.config);
        self.clock.reset();
    }
}

pub struct State {
    pub rng: StdRng,
    pub limits: Limits,
    pub apps: BTreeMap<String, App>,
    pub default_appid: String,
    /// Every token ever issued, by its text.
    pub tokens: HashMap<String, TokenRecord>,
    pub login_codes: HashMap<String, PendingCode>,
    pub phone_codes: HashMap<String, PendingCode>,
    pub log: CallLog,
    pub faults: Faults,
    /// Push deliveries to webhooks and what users saw (`/_sim/push/log`).
    pub push_log: crate::push::PushLog,
    /// Uploaded temporary media (`media/upload`).
    pub media: crate::media::MediaStore,
    /// Official-account QR tickets by their text (`qrcode/create`, `showqrcode`).
    pub oa_tickets: HashMap<String, crate::qrcode::OaTicket>,
    /// WeChat Pay: merchants, orders, refunds, notifies (`pay`).
    pub pay: crate::pay::PayState,
    /// Official accounts: OAuth codes, user tokens, JS-SDK tickets (`oa`).
    pub oa: crate::oa::OaState,
}

impl State {
    fn new(config: &Config) -> Self {
        let rng = match config.seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_entropy(),
        };
        State {
            rng,
            limits: config.limits.clone(),
            apps: config
                .apps
                .iter()
                .map(|a| {
                    let mut app = App::new(a);
                    app.ip_whitelist = config.ip_whitelist.get(&a.appid).copied();
                    (a.appid.clone(), app)
                })
                .collect(),
            default_appid: config.apps.first().map(|a| a.appid.clone()).unwrap_or_default(),
            tokens: HashMap::new(),
            login_codes: HashMap::new(),
            phone_codes: HashMap::new(),
            log: CallLog::default(),
            faults: Faults::default(),
            push_log: crate::push::PushLog::default(),
            media: crate::media::MediaStore::default(),
            oa_tickets: HashMap::new(),
            pay: crate::pay::PayState::new(&config.pay),
            oa: crate::oa::OaState::new(config),
        }
    }
}

pub struct App {
    pub appid: String,
    pub secret: String,
    pub unionid_bound: bool,
    /// A mini-program or an official account (`--oa`).
    pub kind: crate::config::AppKind,
    pub users: HashMap<String, User>,
    /// The latest `cgi-bin/token` token (older ones live on in `State::tokens`).
    pub classic: Option<String>,
    pub classic_today: WindowCounter,
    pub stable: Option<String>,
    pub stable_last_force: Option<i64>,
    pub stable_force_today: WindowCounter,
    pub stable_this_minute: WindowCounter,
    pub stable_today: WindowCounter,
    /// WeChat-API calls per path today, for `/_sim/counters`.
    pub calls_day: i64,
    pub calls_today: BTreeMap<String, u64>,
    /// Released pages and the code/link quotas (`qrcode`, `links`).
    pub codes: crate::qrcode::AppCodes,
    /// Subscribe-message templates and the users' grants (`templates`, `subscribe`).
    pub templates: crate::templates::Templates,
    /// Words `msg_sec_check` calls risky (`security`).
    pub risky_words: Vec<String>,
    /// The IP whitelist: off, or which calls must come through the relay port (`whitelist`).
    pub ip_whitelist: Option<crate::whitelist::Scope>,
    /// An official account's followers, private templates, messages and tickets (`oa`).
    pub oa: crate::oa::OaApp,
}

impl App {
    fn new(config: &AppConfig) -> Self {
        App {
            appid: config.appid.clone(),
            secret: config.secret.clone(),
            unionid_bound: config.unionid,
            kind: config.kind,
            users: HashMap::new(),
            classic: None,
            classic_today: WindowCounter::default(),
            stable: None,
            stable_last_force: None,
            stable_force_today: WindowCounter::default(),
            stable_this_minute: WindowCounter::default(),
            stable_today: WindowCounter::default(),
            calls_day: 0,
            calls_today: BTreeMap::new(),
            codes: crate::qrcode::AppCodes::default(),
            templates: crate::templates::Templates::default(),
            risky_words: crate::security::default_risky_words(),
            ip_whitelist: None,
            oa: crate::oa::OaApp::default(),
        }
    }

    pub fn count_call(&mut self, day: i64, path: &str) {
        if self.calls_day != day {
            self.calls_day = day;
            self.calls_today.clear();
        }
        *self.calls_today.entry(path.to_string()).or_default() += 1;
    }
}

pub struct User {
    pub openid: String,
    pub unionid: Option<String>,
    /// The one valid session_key; a new login retires the previous one.
    pub session_key: Option<String>,
    pub blocked: bool,
    pub logins_this_minute: WindowCounter,
    /// When the user last did something that lets the app write to them (message, entering
    /// the customer-service session), and what the app may still send.
    pub last_action_at: Option<i64>,
    pub cs_window: Option<CsWindow>,
    /// Until when "typing..." shows.
    pub typing_until: Option<i64>,
}

impl User {
    pub fn new(openid: String, unionid: Option<String>) -> Self {
        User {
            openid,
            unionid,
            session_key: None,
            blocked: false,
            logins_this_minute: WindowCounter::default(),
            last_action_at: None,
            cs_window: None,
            typing_until: None,
        }
    }
}

/// What a user did that opens the customer-service window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAction {
    Message,
    EnterSession,
}

impl UserAction {
    pub fn name(self) -> &'static str {
        match self {
            UserAction::Message => "message",
            UserAction::EnterSession => "enter_session",
        }
    }
}

/// The sends the latest user action allows. Quotas do not add up: each action starts over.
#[derive(Clone, Copy, Debug)]
pub struct CsWindow {
    pub opened_by: UserAction,
    pub closes_at: i64,
    pub remaining: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Classic,
    Stable,
}

impl TokenKind {
    pub fn name(self) -> &'static str {
        match self {
            TokenKind::Classic => "classic",
            TokenKind::Stable => "stable",
        }
    }
}

pub struct TokenRecord {
    pub appid: String,
    pub kind: TokenKind,
    pub issued_at: i64,
    pub expires_at: i64,
    /// Set when the token is superseded or invalidated: from then on it answers 40001.
    pub invalid_from: Option<i64>,
}

impl TokenRecord {
    /// The errcode a call made with this token gets at `now`, if any. A superseded token whose
    /// overlap outlasts its own life simply expires (42001).
    pub fn problem_at(&self, now: i64) -> Option<i64> {
        match self.invalid_from {
            Some(from) if now >= from && from < self.expires_at => Some(40001),
            _ if now >= self.expires_at => Some(42001),
            _ => None,
        }
    }

    pub fn is_valid_at(&self, now: i64) -> bool {
        self.problem_at(now).is_none()
    }

    /// Stops the token working at `from` unless something already stopped it sooner.
    pub fn invalidate_from(&mut self, from: i64) {
        self.invalid_from = Some(self.invalid_from.map_or(from, |f| f.min(from)));
    }
}

/// A login or phone code waiting to be exchanged.
pub struct PendingCode {
    pub appid: String,
    pub openid: String,
    pub issued_at: i64,
    pub used: bool,
    /// Phone codes only.
    pub phone: Option<Phone>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Phone {
    pub country_code: String,
    pub pure: String,
}

impl Phone {
    /// As WeChat shows it: mainland numbers bare, others with `+` and the area code.
    pub fn phone_number(&self) -> String {
        if self.country_code == "86" {
            self.pure.clone()
        } else {
            format!("+{}{}", self.country_code, self.pure)
        }
    }
}

/// A count that starts again whenever its window (a minute, a day) changes.
#[derive(Clone, Copy, Debug, Default)]
pub struct WindowCounter {
    window: i64,
    count: u64,
}

impl WindowCounter {
    pub fn get(&self, window: i64) -> u64 {
        if self.window == window {
            self.count
        } else {
            0
        }
    }

    /// Counts one more event in `window` and returns the new count.
    pub fn hit(&mut self, window: i64) -> u64 {
        if self.window != window {
            self.window = window;
            self.count = 0;
        }
        self.count += 1;
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(expires_at: i64, invalid_from: Option<i64>) -> TokenRecord {
        TokenRecord { appid: "wx".into(), kind: TokenKind::Classic, issued_at: 0, expires_at, invalid_from }
    }

    #[test]
    fn a_superseded_token_works_until_its_overlap_ends_then_is_40001() {
        let t = token(7200, Some(400));
        assert_eq!(t.problem_at(399), None);
        assert_eq!(t.problem_at(400), Some(40001));
    }

    #[test]
    fn an_overlap_past_the_tokens_own_life_ends_in_expiry() {
        let t = token(7200, Some(7300));
        assert_eq!(t.problem_at(7199), None);
        assert_eq!(t.problem_at(7200), Some(42001));
    }

    #[test]
    fn a_window_counter_starts_over_in_a_new_window() {
        let mut c = WindowCounter::default();
        assert_eq!(c.hit(5), 1);
        assert_eq!(c.hit(5), 2);
        assert_eq!(c.get(6), 0);
        assert_eq!(c.hit(6), 1);
    }

    #[test]
    fn foreign_numbers_keep_their_area_code() {
        let cn = Phone { country_code: "86".into(), pure: "13800138000".into() };
        let us = Phone { country_code: "1".into(), pure: "2025550123".into() };
        assert_eq!(cn.phone_number(), "13800138000");
        assert_eq!(us.phone_number(), "+12025550123");
    }
}
