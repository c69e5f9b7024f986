//! One call to WeChat's token endpoint (`cgi-bin/stable_token` in normal mode, or the classic
//! `cgi-bin/token`), classified for the token object's retry policy. Only the token object
//! calls this: it is the single writer of the app's access token. Also `getticket`, for the
//! jsapi_ticket the same object keeps.

use crate::shared::config::{AppConfig, CallKind, TokenApi};
use crate::shared::errcode::{self, Api};
use crate::shared::error::ApiError;
use crate::shared::wechat::{app_url, send, Failure, Reply};
use crate::token::policy::is_transient;
use serde_json::{json, Value};
use worker::Method;

pub enum Attempt {
    Token {
        access_token: String,
        expires_in: u64,
    },
    /// `getticket` refused the access token it was given (40001 / 42001 / 40014): refresh the
    /// token (compare-and-refresh) and ask again.
    StaleToken,
    /// `transient`: worth another attempt now (-1, 5xx, timeout, unreadable body).
    Failed {
        error: ApiError,
        transient: bool,
    },
}

pub async fn fetch_token(api_base: &str, app: &AppConfig, api: TokenApi) -> Attempt {
    let secret = match app.secret() {
        Ok(s) => s,
        Err(error) => return Attempt::Failed { error, transient: false },
    };
    let reply = match api {
        TokenApi::Stable => {
            let body = json!({ "grant_type": "client_credential", "appid": app.appid, "secret": secret, "force_refresh": false });
            match app_url(api_base, app, CallKind::Secret, "/cgi-bin/stable_token", &[]) {
                Ok(u) => send(Method::Post, &u, Some(&body)).await,
                Err(error) => return Attempt::Failed { error, transient: false },
            }
        }
        TokenApi::Classic => {
            let params = [("grant_type", "client_credential"), ("appid", app.appid.as_str()), ("secret", secret)];
            match app_url(api_base, app, CallKind::Secret, "/cgi-bin/token", &params) {
                Ok(u) => send(Method::Get, &u, None).await,
                Err(error) => return Attempt::Failed { error, transient: false },
            }
        }
    };
    classify_reply(reply, "access_token")
}

/// One `cgi-bin/ticket/getticket?type=jsapi` call (wechat-oa.md §2.1) with a valid access token.
pub async fn fetch_ticket(api_base: &str, app: &AppConfig, access_token: &str) -> Attempt {
    let params = [("access_token", access_token), ("type", "jsapi")];
    let reply = match app_url(api_base, app, CallKind::Api, "/cgi-bin/ticket/getticket", &params) {
        Ok(u) => send(Method::Get, &u, None).await,
        Err(error) => return Attempt::Failed { error, transient: false },
    };
    if let Ok(Reply::Json(body)) = &reply {
        if errcode::is_stale_token(errcode::errcode_of(body)) {
            return Attempt::StaleToken;
        }
    }
    classify_reply(reply, "ticket")
}

fn classify_reply(reply: Result<Reply, Failure>, field: &str) -> Attempt {
    match reply {
        Ok(Reply::Json(body)) => classify(body, field),
        Ok(Reply::Binary { .. }) => Attempt::Failed { error: Failure::Malformed.into_error(), transient: true },
        Err(f) => {
            let transient = f.is_transient();
            Attempt::Failed { error: f.into_error(), transient }
        }
    }
}

fn classify(body: Value, field: &str) -> Attempt {
    let code = errcode::errcode_of(&body);
    if code != 0 {
        let mut error = errcode::map(Api::Token, code, &errcode::errmsg_of(&body));
        if code == -1 {
            error.status = 503;
        }
        return Attempt::Failed { error, transient: is_transient(code) };
    }
    let token = body.get(field).and_then(Value::as_str).filter(|t| !t.is_empty());
    let expires_in = body.get("expires_in").and_then(Value::as_u64);
    match (token, expires_in) {
        (Some(t), Some(e)) => Attempt::Token { access_token: t.to_owned(), expires_in: e },
        _ => {
            Attempt::Failed { error: ApiError::upstream(format!("WeChat's answer lacks {field} or expires_in")), transient: true }
        }
    }
}
