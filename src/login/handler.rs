//! `/api/*` for the mini program: login (`wx.login` code → `jscode2session` → our session
//! token), the session extractor every other route uses, open-data decryption and
//! verification, phone numbers, logout.

use crate::login::open_data::{open_user_data, OpenDataError};
use crate::login::replay::{self, Exchange, LoginAnswer};
use crate::login::session::{SessionRecord, SessionToken, WxCode, NONCE_LEN};
use crate::login::sessions::{self, Check, DecryptFailed, Register, Revoke, RevokeAll, SessionState};
use crate::login::signature::{raw_data_signature, session_signature};
use crate::shared::config::{AppConfig, CallKind};
use crate::shared::crypto::hex_eq;
use crate::shared::errcode::Api;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::fields::bounded_str;
use crate::shared::http::{client_ip, header, json, json_body, no_content, query, random_bytes, require_internal_key, Ctx};
use crate::shared::limits::{self, Limit};
use crate::shared::objects;
use crate::shared::stats::{self, counter};
use crate::shared::wechat;
use crate::token;
use crate::token::read::KV_BINDING;
use crate::users;
use crate::users::directory::{Lookup, Sighting, Source};
use serde_json::{json, Value};
use worker::{kv::KvStore, Method, Request, Response};

pub const APPID_HEADER: &str = "X-WeChat-AppId";
/// The login objects' Durable Object binding (one object per code).
pub const LOGIN_BINDING: &str = "LOGIN_DO";

/// A logged-in session, as every `/api` route sees it.
pub struct Session {
    pub token: SessionToken,
    pub record: SessionRecord,
    pub app: AppConfig,
    /// From the user's sessions object: live, and its failed decryptions.
    pub state: SessionState,
}

impl Session {
    /// The user's session_key. A record that does not open (tampered with, or sealed in the
    /// old pre-AEAD format) is an ended session: the user logs in again.
    pub fn session_key(&self) -> ApiResult<String> {
        if self.record.sealed_session_key.is_empty() {
            return Err(ApiError::bad_request(
                "no_session_key",
                "this is a web session (an official account's login): it has no session_key for open data",
            ));
        }
        let aad = SessionRecord::seal_aad(&self.record.appid, &self.record.openid);
        self.token.open(&self.record.sealed_session_key, &aad).ok_or_else(session_ended)
    }
}

fn session_ended() -> ApiError {
    ApiError::unauthorized("session_expired", "the session has expired or was ended: log in again")
}

fn kv(ctx: &Ctx) -> ApiResult<KvStore> {
    ctx.env.kv(KV_BINDING).map_err(|_| ApiError::config(KV_BINDING, "is not bound (a KV namespace)"))
}

fn request_app(ctx: &Ctx, req: &Request) -> ApiResult<AppConfig> {
    ctx.config.app(header(req, APPID_HEADER).as_deref())
}

/// The session extractor: missing, malformed, unknown or expired token → 401 with a code the
/// client can act on; a session of another app → 401 `wrong_app`.
pub async fn session(ctx: &Ctx, req: &Request) -> ApiResult<Session> {
    let token = SessionToken::from_authorization(header(req, "Authorization").as_deref())?;
    let app = request_app(ctx, req)?;
    let stored = kv(ctx)?
        .get(&token.storage_key())
        .json::<SessionRecord>()
        .await
        .map_err(|_| ApiError::unavailable("the session store is unavailable; retry shortly"))?;
    let record = stored.ok_or_else(session_ended)?;
    if record.expires_at <= ctx.now {
        return Err(session_ended());
    }
    if record.appid != app.appid {
        return Err(ApiError::unauthorized("wrong_app", "this session belongs to another app: log in to this one"));
    }
    // KV may still hold a record another location deleted; the user's sessions object says
    // whether the session is live, at once and everywhere.
    let check = Check { session: token.storage_key() };
    let state = objects::call(&ctx.env, sessions::BINDING, &sessions::object_name(&record.appid, &record.openid), &check).await?;
    if !state.live {
        return Err(session_ended());
    }
    Ok(Session { token, record, app, state })
}

/// `POST /api/login` `{"code"}` → `{"token", "openid", "unionid"?, "expires_in"}`. The code is
/// exchanged by its login object, once: a retried or concurrent request with the same code
/// gets the same session (for `replay::REPLAY_SECS`) instead of WeChat's 40163.
pub async fn login(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let body = json_body(req, 4096).await?;
    let code = WxCode::parse(body.get("code"))?;
    let app = request_app(ctx, req)?;
    // Every attempt costs a WeChat call, so attempts are limited per client (issue 20, item 9).
    limits::check(ctx, Limit::Login, &format!("{}:{}", app.appid, client_ip(req))).await?;
    let call = Exchange { appid: app.appid.clone(), code: code.as_str().to_owned() };
    let answer = objects::call(&ctx.env, LOGIN_BINDING, &replay::object_name(&call.appid, &call.code), &call).await?;
    stats::count(&app.appid, counter::LOGINS, ctx.now);
    let mut out = answer.to_json(crate::shared::http::now());
    // The mini program knows its app: the answer stays as it was.
    if let Some(o) = out.as_object_mut() {
        o.remove("appid");
    }
    json(200, &out)
}

/// The one exchange of a code (called by the login object): `jscode2session`, then a new
/// session stored in KV under a hash of its token.
pub async fn exchange_code(ctx: &Ctx, app: &AppConfig, code: &str) -> ApiResult<LoginAnswer> {
    // Checked before the code is spent: a misconfigured session store fails without using it.
    ctx.config.session_ttl()?;
    kv(ctx)?;
    let params =
        [("appid", app.appid.as_str()), ("secret", app.secret()?), ("js_code", code), ("grant_type", "authorization_code")];
    let url = wechat::app_url(&ctx.config.api_base, app, CallKind::Secret, "/sns/jscode2session", &params)?;
    let answer = wechat::call_without_token(Api::Login, Method::Get, &url).await?;
    let text = |name: &str| answer.get(name).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_owned);
    let (Some(openid), Some(session_key)) = (text("openid"), text("session_key")) else {
        return Err(ApiError::upstream("WeChat's jscode2session answer lacks openid or session_key"));
    };
    let unionid = text("unionid");
    let answer = create_session(ctx, app, &openid, unionid.as_deref(), Some(&session_key), Source::Login).await?;
    // No openid in the log: it identifies a person (issue 20, item 8).
    crate::log_info!("login app={}", app.appid);
    Ok(answer)
}

/// A new session for a user of `app`: stored in KV under a hash of its token, registered with
/// the user's sessions object, and the account recorded in the directory. A mini-program
/// login brings its session_key (sealed with the token); a web login has none.
pub async fn create_session(
    ctx: &Ctx,
    app: &AppConfig,
    openid: &str,
    unionid: Option<&str>,
    session_key: Option<&str>,
    source: Source,
) -> ApiResult<LoginAnswer> {
    let ttl = ctx.config.session_ttl()?;
    let store = kv(ctx)?;
    let token = SessionToken::from_random(random_bytes::<32>()?);
    let sealed_session_key = match session_key {
        Some(key) => token.seal(key, &SessionRecord::seal_aad(&app.appid, openid), random_bytes::<NONCE_LEN>()?)?,
        None => String::new(),
    };
    let record = SessionRecord {
        appid: app.appid.clone(),
        openid: openid.to_owned(),
        unionid: unionid.map(str::to_owned),
        sealed_session_key,
        created_at: ctx.now,
        expires_at: ctx.now + ttl,
        source,
    };
    store
        .put(&token.storage_key(), &record)
        .map_err(|_| ApiError::internal("could not encode the session"))?
        .expiration_ttl(ttl)
        .execute()
        .await
        .map_err(|_| ApiError::unavailable("the session store is unavailable; retry shortly"))?;
    let register = Register { session: token.storage_key(), expires_at: record.expires_at };
    objects::call(&ctx.env, sessions::BINDING, &sessions::object_name(&app.appid, openid), &register).await?;
    record_sighting(ctx, app, openid, unionid, source).await;
    Ok(LoginAnswer {
        token: token.reveal().to_owned(),
        openid: openid.to_owned(),
        unionid: unionid.map(str::to_owned),
        expires_at: record.expires_at,
        appid: Some(app.appid.clone()),
    })
}

/// Records a login in the user directory. A directory that is down does not fail the login
/// (the code is spent by now); `/api/me` records the account when it finds it missing.
pub async fn record_sighting(ctx: &Ctx, app: &AppConfig, openid: &str, unionid: Option<&str>, source: Source) {
    let sighting = Sighting {
        appid: app.appid.clone(),
        openid: openid.to_owned(),
        unionid: unionid.map(str::to_owned),
        app_type: app.app_type,
        source,
        at: ctx.now,
        following: None,
    };
    if let Err(e) = users::store::record(&ctx.env, &sighting).await {
        crate::log_warn!("directory: could not record a {} on app {}: {e}", source.as_str(), app.appid);
    }
}

/// `GET /api/me` → `{"openid", "unionid"?, "expires_at", "apps"?}` (`apps`: the person's
/// other accounts the directory links by unionid); with `?check=1` also asks WeChat
/// (`wxa/checksession`) whether it still accepts the session's key.
pub async fn me(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    let s = session(ctx, req).await?;
    let mut out = json!({ "openid": s.record.openid, "expires_at": s.record.expires_at });
    let lookup = Lookup::Account { appid: s.record.appid.clone(), openid: s.record.openid.clone() };
    let person = match users::store::person(&ctx.env, &lookup).await {
        Ok(Some(person)) => Some(person),
        Ok(None) => {
            // Missed at login (the directory was down): recorded now.
            record_sighting(ctx, &s.app, &s.record.openid, s.record.unionid.as_deref(), s.record.source()).await;
            None
        }
        // The session is what /api/me is about; the links are extra.
        Err(e) => {
            crate::log_warn!("directory lookup for /api/me failed: {e}");
            None
        }
    };
    let unionid = person.as_ref().and_then(|p| p.unionid.clone()).or_else(|| s.record.unionid.clone());
    if let Some(u) = unionid {
        out["unionid"] = json!(u);
    }
    if let Some(person) = person.filter(|p| p.unionid.is_some()) {
        let apps: Vec<Value> = person
            .accounts
            .iter()
            .filter(|a| !(a.appid == s.record.appid && a.openid == s.record.openid))
            .map(|a| json!({ "appid": a.appid, "app_type": a.app_type, "openid": a.openid }))
            .collect();
        out["apps"] = json!(apps);
    }
    if matches!(query(req, "check").as_deref(), Some("1" | "true")) {
        let signature = session_signature(&s.session_key()?, "");
        let params = [("openid", s.record.openid.as_str()), ("signature", signature.as_str()), ("sig_method", "hmac_sha256")];
        let valid =
            match token::call::call_json(ctx, &s.app.appid, Api::CheckSession, Method::Get, "/wxa/checksession", &params, None)
                .await
            {
                Ok(_) => true,
                Err(e) if e.wechat_errcode == Some(87009) => false,
                Err(e) => return Err(e),
            };
        out["session_key_valid"] = json!(valid);
    }
    json(200, &out)
}

/// `POST /api/logout` → 204; the token stops working at once.
pub async fn logout(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    let s = session(ctx, req).await?;
    // Revoked first: from this moment every location refuses the token, whatever KV says.
    let revoke = Revoke { session: s.token.storage_key() };
    objects::call(&ctx.env, sessions::BINDING, &sessions::object_name(&s.record.appid, &s.record.openid), &revoke).await?;
    kv(ctx)?
        .delete(&s.token.storage_key())
        .await
        .map_err(|_| ApiError::unavailable("the session store is unavailable; retry shortly"))?;
    no_content()
}

/// `DELETE /internal/sessions?appid=&openid=`: ends every session of a user at once →
/// `{"revoked": n}`.
pub async fn revoke_user(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let app = ctx.config.app(query(req, "appid").as_deref())?;
    let openid =
        query(req, "openid").filter(|o| !o.is_empty()).ok_or_else(|| ApiError::invalid_field("openid", "is required"))?;
    if openid.len() > 64 || !openid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(ApiError::invalid_field("openid", "must be an openid (1-64 of A-Z a-z 0-9 _ -)"));
    }
    let revoked = objects::call(&ctx.env, sessions::BINDING, &sessions::object_name(&app.appid, &openid), &RevokeAll {}).await?;
    json(200, &revoked)
}

/// `DELETE /internal/users?unionid=` or `?appid=&openid=`: forgets a person everywhere: every
/// account's sessions end at once, then its directory rows go → `{"accounts", "sessions_revoked"}`.
pub async fn forget(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let lookup = users::handler::lookup(ctx, req)?;
    let person = users::store::person(&ctx.env, &lookup).await?.ok_or_else(users::handler::not_found)?;
    // Sessions first: a failure here leaves the rows, so the request can simply be repeated.
    let mut revoked = 0;
    for a in &person.accounts {
        let object = sessions::object_name(&a.appid, &a.openid);
        revoked += objects::call(&ctx.env, sessions::BINDING, &object, &RevokeAll {}).await?.revoked;
    }
    let deleted = users::store::forget(&ctx.env, &person).await?;
    crate::log_info!("directory: forgot a person with {} account(s)", person.accounts.len());
    json(200, &json!({ "accounts": deleted, "sessions_revoked": revoked }))
}

/// `POST /api/user/decrypt` `{"encryptedData", "iv"}` → the decrypted JSON, watermark checked.
pub async fn decrypt(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let s = session(ctx, req).await?;
    let body = json_body(req, 64 * 1024).await?;
    let data = bounded_str(&body, "encryptedData", 60 * 1024)?;
    let iv = bounded_str(&body, "iv", 64)?;
    if !s.state.may_decrypt() {
        return Err(too_many_failures());
    }
    let max_age = ctx.config.open_data_max_age()?;
    match open_user_data(&s.session_key()?, iv, data, &s.app.appid, ctx.now, max_age) {
        Ok(value) => json(200, &value),
        Err(OpenDataError::Field(field, problem)) => Err(ApiError::invalid_field(field, problem)),
        Err(OpenDataError::Failed) => {
            // Counted where it is strongly consistent, so a burst cannot outrun the limit.
            let failed = DecryptFailed { session: s.token.storage_key() };
            let state =
                objects::call(&ctx.env, sessions::BINDING, &sessions::object_name(&s.record.appid, &s.record.openid), &failed)
                    .await?;
            if !state.may_decrypt() {
                return Err(too_many_failures());
            }
            Err(ApiError::bad_request(
                "decrypt_failed",
                "the data could not be decrypted or is not this app's current data: call wx.login, log in again and retry",
            ))
        }
    }
}

fn too_many_failures() -> ApiError {
    ApiError::new(429, "too_many_decrypt_failures", "this session failed to decrypt too often: log in again")
}

/// `POST /api/user/verify` `{"rawData", "signature"}`: sha1(rawData + session_key) → 204 or 401.
pub async fn verify(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let s = session(ctx, req).await?;
    let body = json_body(req, 64 * 1024).await?;
    let raw = bounded_str(&body, "rawData", 60 * 1024)?;
    let signature = bounded_str(&body, "signature", 64)?;
    if !hex_eq(&raw_data_signature(raw, &s.session_key()?), signature) {
        return Err(ApiError::unauthorized("signature_mismatch", "rawData does not match its signature for this session"));
    }
    no_content()
}

/// `POST /api/phone` `{"code"}` (from a getPhoneNumber button) →
/// `{"phoneNumber", "purePhoneNumber", "countryCode"}`.
pub async fn phone(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let s = session(ctx, req).await?;
    let body = json_body(req, 4096).await?;
    let code = WxCode::parse(body.get("code"))?;
    // Each attempt costs a WeChat call: limited per session, with the login attempts' binding.
    limits::check(ctx, Limit::Login, &format!("phone:{}:{}", s.app.appid, s.token.storage_key())).await?;
    let call_body = json!({ "code": code.as_str() });
    let answer = token::call::call_json(
        ctx,
        &s.app.appid,
        Api::Phone,
        Method::Post,
        "/wxa/business/getuserphonenumber",
        &[],
        Some(&call_body),
    )
    .await?;
    let info = answer
        .get("phone_info")
        .filter(|v| v.is_object())
        .ok_or_else(|| ApiError::upstream("WeChat's answer lacks phone_info"))?;
    if info.pointer("/watermark/appid").and_then(Value::as_str) != Some(s.app.appid.as_str()) {
        return Err(ApiError::upstream("the phone number's watermark names another app id"));
    }
    let text = |name: &str| match info.get(name) {
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()), // countryCode is documented as a string, shown as a number
        _ => None,
    };
    let (Some(phone), Some(pure), Some(country)) = (text("phoneNumber"), text("purePhoneNumber"), text("countryCode")) else {
        return Err(ApiError::upstream("WeChat's phone_info lacks a field"));
    };
    json(200, &json!({ "phoneNumber": phone, "purePhoneNumber": pure, "countryCode": country }))
}
