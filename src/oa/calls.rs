//! The calls of the official account's two kinds of Durable Object, typed on both sides
//! (`shared::objects`):
//!
//! - the web-login object, one per OAuth `state` id: the state's single use, the one code
//!   exchange, and the one-time hand-off that gives the page its session;
//! - the scan-login object, one per QR scene: the attempt, its one scan, its one session.

use crate::login::replay::LoginAnswer;
use crate::oa::oauth::Scope;
use crate::shared::objects::ObjectCall;
use serde::{Deserialize, Serialize};

pub const WEB_LOGIN_BINDING: &str = "WEB_LOGIN_DO";
pub const SCAN_LOGIN_BINDING: &str = "SCAN_LOGIN_DO";

/// How long the page has to exchange the hand-off code for its session.
pub const HANDOFF_TTL_SECS: u64 = 120;

/// `/oauth/start`: remembers where the login is for and where it returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BeginWebLogin {
    pub appid: String,
    pub scope: Scope,
    pub redirect: String,
    pub expires_at: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Begun {}

impl ObjectCall for BeginWebLogin {
    type Answer = Begun;
    const NAME: &'static str = "begin";
}

/// `/oauth/callback` with WeChat's code: claims the state, exchanges the code once. WeChat
/// sometimes calls back twice with one code (wechat-oa.md §1.4): the same code gets the same
/// answer; another code on a used state is refused.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CompleteWebLogin {
    pub code: String,
}

/// Where the browser goes next: back to the page with a one-time hand-off code, or with an
/// error code it can show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum WebLoginOutcome {
    Done { redirect: String, handoff: String },
    Failed { redirect: String, error: String },
}

impl ObjectCall for CompleteWebLogin {
    type Answer = WebLoginOutcome;
    const NAME: &'static str = "complete";
}

/// `POST /api/oa/session`: the hand-off code's secret, once, for a new session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedeemWebLogin {
    pub secret: String,
}

impl ObjectCall for RedeemWebLogin {
    type Answer = LoginAnswer;
    const NAME: &'static str = "redeem";
}

/// `POST /api/oa/scan-login`: a new attempt, known by a hash of its secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CreateScan {
    pub appid: String,
    pub secret_hash: String,
    pub expires_at: u64,
}

impl ObjectCall for CreateScan {
    type Answer = Begun;
    const NAME: &'static str = "create";
}

/// From the push webhook's outbox: the attempt's QR code was scanned by this user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ScanSeen {
    pub openid: String,
    pub unionid: Option<String>,
    pub new_follower: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanAccepted {
    /// False for a second scan, a late one, or an unknown scene: one scan completes one attempt.
    pub accepted: bool,
}

impl ObjectCall for ScanSeen {
    type Answer = ScanAccepted;
    const NAME: &'static str = "scanned";
}

/// The page's poll; `wait` (the same body) answers as Server-Sent Events instead.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PollScan {
    pub secret: String,
}

/// What the page learns: `pending`, `done` (with the session, given once), `collected`
/// (given already) or `expired`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanStatus {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<LoginAnswer>,
    pub expires_at: u64,
}

impl ObjectCall for PollScan {
    type Answer = ScanStatus;
    const NAME: &'static str = "poll";
}

/// The SSE form of [`PollScan`]: the object answers with a stream, not JSON.
pub const WAIT_NAME: &str = "wait";
