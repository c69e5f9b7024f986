//! Rate limits through the Workers rate-limiting bindings (`[[ratelimits]]` in wrangler.toml):
//! login attempts per client IP, QR codes made per session and per app. A missing binding or
//! a failing limiter lets the request through (and says so in the log): a limiter outage must
//! not lock every user out.

use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::Ctx;
use std::cell::Cell;

/// What is limited, and by which binding. The windows are the bindings' `period` (60 s).
#[derive(Debug, Clone, Copy)]
pub enum Limit {
    /// `POST /api/login` per client IP: random codes cost WeChat calls.
    Login,
    /// New QR codes (cache misses) per session.
    QrPerSession,
    /// New QR codes (cache misses) per app, whoever asks.
    QrPerApp,
    /// Web logins started (`/oauth/start`, scan-to-login) and JS-SDK signatures, per client IP:
    /// each can cost a WeChat call or a QR code.
    Web,
}

impl Limit {
    fn binding(self) -> &'static str {
        match self {
            Limit::Login => "LOGIN_LIMITER",
            Limit::QrPerSession => "QR_SESSION_LIMITER",
            Limit::QrPerApp => "QR_APP_LIMITER",
            Limit::Web => "WEB_LIMITER",
        }
    }

    fn refusal(self) -> &'static str {
        match self {
            Limit::Login => "too many login attempts from this client; wait a minute",
            Limit::QrPerSession => "this session made too many new QR codes; wait a minute",
            Limit::QrPerApp => "this app made too many new QR codes; wait a minute",
            Limit::Web => "too many web logins or JS-SDK signatures from this client; wait a minute",
        }
    }
}

/// The bindings' window: `simple.period` in wrangler.toml.
const PERIOD_SECS: u32 = 60;

thread_local! {
    static WARNED: Cell<bool> = const { Cell::new(false) };
}

/// Counts one use of `limit` for `key`; a 429 with `Retry-After` once the limit is reached.
pub async fn check(ctx: &Ctx, limit: Limit, key: &str) -> ApiResult<()> {
    if !ctx.config.rate_limits()? {
        return Ok(());
    }
    let outcome = match ctx.env.rate_limiter(limit.binding()) {
        Ok(limiter) => limiter.limit(key.to_owned()).await.map(|o| o.success),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(true) => Ok(()),
        Ok(false) => Err(ApiError::rate_limited(limit.refusal(), PERIOD_SECS)),
        Err(e) => {
            if !WARNED.with(|w| w.replace(true)) {
                crate::log_warn!("rate limit {} not applied ({e}): is the binding configured?", limit.binding());
            }
            Ok(())
        }
    }
}
