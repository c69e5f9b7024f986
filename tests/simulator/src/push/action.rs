//! What the user did (the `action` of `/_sim/push`) and how a push may be spoiled on purpose
//! (`tamper`), as the request names them.

use crate::oa::scan::OaAction;
use serde::Deserialize;

/// What the user did, as the request names it.
#[derive(Deserialize, Clone, Debug)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    Text {
        openid: Option<String>,
        content: String,
    },
    /// A picture: WeChat fills in a fake `PicUrl` and `MediaId`.
    Image {
        openid: Option<String>,
    },
    #[serde(rename = "miniprogrampage")]
    MiniProgramPage {
        openid: Option<String>,
        title: Option<String>,
        pagepath: Option<String>,
    },
    /// `user_enter_tempsession`: the user opened the customer-service session.
    EnterSession {
        openid: Option<String>,
        session_from: Option<String>,
    },
    Event {
        openid: Option<String>,
        event: String,
        event_key: Option<String>,
    },
    /// An exact body, sent as-is.
    Raw {
        body: String,
    },
    /// Official accounts (`oa::scan`): the user scans a `qrcode/create` code (`SCAN`, or
    /// `subscribe` with `qrscene_` for a new follower)...
    Scan {
        ticket: String,
        openid: Option<String>,
        unionid: Option<String>,
    },
    /// ...follows the account (`subscribe`)...
    Follow {
        openid: Option<String>,
        unionid: Option<String>,
    },
    /// ...or stops following it (`unsubscribe`).
    Unfollow {
        openid: Option<String>,
        unionid: Option<String>,
    },
}

impl Action {
    pub fn openid(&self) -> Option<&str> {
        match self {
            Action::Text { openid, .. }
            | Action::Image { openid }
            | Action::MiniProgramPage { openid, .. }
            | Action::EnterSession { openid, .. }
            | Action::Event { openid, .. }
            | Action::Scan { openid, .. }
            | Action::Follow { openid, .. }
            | Action::Unfollow { openid, .. } => openid.as_deref(),
            Action::Raw { .. } => None,
        }
    }

    /// An official-account action, with the person's unionid.
    pub fn oa(&self) -> Option<(OaAction<'_>, Option<&str>)> {
        match self {
            Action::Scan { ticket, unionid, .. } => Some((OaAction::Scan(ticket), unionid.as_deref())),
            Action::Follow { unionid, .. } => Some((OaAction::Follow, unionid.as_deref())),
            Action::Unfollow { unionid, .. } => Some((OaAction::Unfollow, unionid.as_deref())),
            _ => None,
        }
    }

    /// User messages carry a `MsgId`; events do not.
    pub fn is_message(&self) -> bool {
        matches!(self, Action::Text { .. } | Action::Image { .. } | Action::MiniProgramPage { .. })
    }
}

/// A way to spoil an otherwise correct push, to test the worker's rejection paths.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// A wrong `signature` in the query.
    Signature,
    /// A wrong `msg_signature` in the query.
    MsgSignature,
    /// `Encrypt` made for another app id (signed correctly).
    AppidTrailer,
    /// `Encrypt` one AES block short (signed correctly).
    TruncateCiphertext,
}
