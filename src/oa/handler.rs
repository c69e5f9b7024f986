//! The official account's routes: web login (`/oauth/start`, `/oauth/callback`,
//! `POST /api/oa/session`), the JS-SDK signature (`/api/oa/jssdk-config`), scan-to-login
//! (`/api/oa/scan-login`), and the internal routes for messages and users.

use crate::oa::calls::{
    BeginWebLogin, CompleteWebLogin, CreateScan, PollScan, RedeemWebLogin, WebLoginOutcome, SCAN_LOGIN_BINDING, WAIT_NAME,
    WEB_LOGIN_BINDING,
};
use crate::oa::jssdk;
use crate::oa::messages::{BizsendMessage, OaTemplate, TemplateMessage};
use crate::oa::oauth::{self, check_redirect, mint_state, verify_state, Scope};
use crate::oa::scan;
use crate::outbound::subscribe::TemplateInfo;
use crate::shared::errcode::Api;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{client_ip, header, json, json_body, query, random_bytes, require_internal_key, Ctx};
use crate::shared::limits::{self, Limit};
use crate::shared::objects;
use crate::shared::stats::{self, counter};
use crate::shared::wechat::WeChatUrl;
use crate::token;
use crate::token::calls::Credential;
use crate::users::directory::{valid_id, Sighting, Source};
use crate::users::store;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use worker::{Method, Request, Response};

/// The cookie that binds a web login to the browser that started it (wechat-oa.md §1.3):
/// a callback in another browser (a login-CSRF link) is refused.
const STATE_COOKIE: &str = "wechat_edge_oauth";
const MAX_JSON: usize = 16 * 1024;

fn redirect(location: &str) -> ApiResult<Response> {
    let mut resp = Response::empty().map_err(|_| ApiError::internal("could not build a response"))?.with_status(302);
    let headers = resp.headers_mut();
    let _ = headers.set("Location", location);
    let _ = headers.set("Cache-Control", "no-store");
    let _ = headers.set("Referrer-Policy", "no-referrer");
    Ok(resp)
}

/// `url` with `name=value` added to its query (before any fragment).
fn with_param(url: &str, name: &str, value: &str) -> String {
    let (base, fragment) = match url.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (url, None),
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    let value: String = form_urlencoded::byte_serialize(value.as_bytes()).collect();
    match fragment {
        Some(f) => format!("{base}{sep}{name}={value}#{f}"),
        None => format!("{base}{sep}{name}={value}"),
    }
}

fn cookie(req: &Request, name: &str) -> Option<String> {
    let raw = header(req, "Cookie")?;
    raw.split(';').filter_map(|c| c.trim().split_once('=')).find(|(k, _)| *k == name).map(|(_, v)| v.to_owned())
}

/// Our own origin, as the request reached us: the callback lives there (its host must be the
/// account's 网页授权域名).
fn own_origin(req: &Request) -> ApiResult<String> {
    // The runtime's URL string, not `Request::url()`: the `url` crate's IDNA tables would add
    // a hundred KB to the Worker.
    crate::shared::origins::origin_of(&req.inner().url()).ok_or_else(|| ApiError::internal("the request URL has no origin"))
}

/// `GET /oauth/start?appid=&scope=&redirect=` → 302 to WeChat's authorize page.
pub async fn oauth_start(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    let app = ctx.config.official_account(query(req, "appid").as_deref())?;
    let scope = Scope::parse(query(req, "scope").as_deref())?;
    let target = check_redirect(&ctx.config.web_origins()?, query(req, "redirect").as_deref())?;
    limits::check(ctx, Limit::Web, &format!("oauth:{}", client_ip(req))).await?;
    let id = random_bytes::<16>()?;
    let ttl = ctx.config.web_login_ttl()?;
    let expires_at = ctx.now + ttl;
    let state = mint_state(&oauth::state_key(ctx.config.internal_api_key()?), id, expires_at);
    let id_hex = hex::encode(id);
    let begin = BeginWebLogin { appid: app.appid.clone(), scope, redirect: target, expires_at };
    objects::call(&ctx.env, WEB_LOGIN_BINDING, &id_hex, &begin).await?;
    let callback = format!("{}/oauth/callback", own_origin(req)?);
    let mut resp = redirect(&oauth::authorize_url(&ctx.config.open_base, &app.appid, &callback, scope, &state))?;
    let secure = if callback.starts_with("https://") { "; Secure" } else { "" };
    let _ = resp
        .headers_mut()
        .set("Set-Cookie", &format!("{STATE_COOKIE}={id_hex}; Path=/oauth; Max-Age={ttl}; HttpOnly; SameSite=Lax{secure}"));
    Ok(resp)
}

/// `GET /oauth/callback?code=&state=` → 302 back to the page with `wechat_login=<one-time
/// code>` (exchanged by `POST /api/oa/session`) or `login_error=<code>`. A state that is
/// missing, forged, expired, used or from another browser is a 400 here: its page is unknown.
pub async fn oauth_callback(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    let key = oauth::state_key(ctx.config.internal_api_key()?);
    let id = verify_state(&key, query(req, "state").as_deref(), ctx.now).map_err(|e| e.into_error())?;
    if cookie(req, STATE_COOKIE).as_deref() != Some(id.as_str()) {
        return Err(ApiError::new(
            400,
            "state_not_bound",
            "this login was started in another browser (or cookies are off): start it again here",
        ));
    }
    let code = query(req, "code").filter(|c| !c.is_empty());
    let outcome = match code {
        Some(code) if code.len() > 512 => return Err(ApiError::invalid_field("code", "is longer than 512 characters")),
        Some(code) => objects::call(&ctx.env, WEB_LOGIN_BINDING, &id, &CompleteWebLogin { code }).await?,
        // The user refused (§1.2: the callback then has the state only): the state is spent and
        // the page gets `access_denied`.
        None => objects::call(&ctx.env, WEB_LOGIN_BINDING, &id, &CompleteWebLogin { code: String::new() }).await?,
    };
    let location = match outcome {
        WebLoginOutcome::Done { redirect, handoff } => with_param(&redirect, "wechat_login", &format!("{id}{handoff}")),
        WebLoginOutcome::Failed { redirect, error } => with_param(&redirect, "login_error", &error),
    };
    let mut resp = redirect(&location)?;
    let _ = resp.headers_mut().set("Set-Cookie", &format!("{STATE_COOKIE}=; Path=/oauth; Max-Age=0; HttpOnly; SameSite=Lax"));
    Ok(resp)
}

/// `POST /api/oa/session {"code"}` (the `wechat_login` one-time code) → the session, as
/// `/api/login` answers it, plus `appid` (send it as `X-WeChat-AppId` with the token).
pub async fn web_session(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let body = json_body(req, 1024).await?;
    let code = body.get("code").and_then(Value::as_str).unwrap_or("");
    if code.len() != 64 || !code.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return Err(ApiError::invalid_field("code", "must be the wechat_login code from the redirect (64 hex digits)"));
    }
    let (id, secret) = code.split_at(32);
    let answer = objects::call(&ctx.env, WEB_LOGIN_BINDING, id, &RedeemWebLogin { secret: secret.to_owned() }).await?;
    // The official account the login was for (not merely the first one configured).
    if let Some(appid) = &answer.appid {
        stats::count(appid, counter::WEB_LOGINS, ctx.now);
    }
    json(200, &answer.to_json(crate::shared::http::now()))
}

/// `GET /api/oa/jssdk-config?url=[&appid=]` → `{appId, timestamp, nonceStr, signature, url}`
/// for `wx.config`. A page whose config WeChat refused sends it back as `rejected=<signature>`
/// with its `timestamp` and `nonceStr`: if the current ticket made it, that ticket is
/// refreshed (once, however many pages report it) before signing again.
pub async fn jssdk_config(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    let app = ctx.config.official_account(query(req, "appid").as_deref())?;
    let url = jssdk::page_url(&ctx.config.web_origins()?, query(req, "url").as_deref())?;
    limits::check(ctx, Limit::Web, &format!("jssdk:{}", client_ip(req))).await?;
    let mut ticket = token::read::get_credential(ctx, &app.appid, Credential::JsapiTicket).await?;
    if let Some(rejected) = query(req, "rejected") {
        let ts = query(req, "timestamp").and_then(|t| t.parse::<u64>().ok());
        let nonce = query(req, "nonceStr").unwrap_or_default();
        let made_by_current = ts.is_some_and(|ts| {
            crate::shared::crypto::hex_eq(&jssdk::signature(&ticket.access_token, &nonce, ts, &url), &rejected)
        });
        if made_by_current {
            crate::log_warn!("a page reported the jsapi_ticket of app {} rejected; refreshing it", app.appid);
            ticket = token::read::refresh_credential_if_current(ctx, &app.appid, &ticket.access_token, Credential::JsapiTicket)
                .await?;
        }
    }
    let nonce = hex::encode(random_bytes::<8>()?);
    let signature = jssdk::signature(&ticket.access_token, &nonce, ctx.now, &url);
    json(200, &json!({ "appId": app.appid, "timestamp": ctx.now, "nonceStr": nonce, "signature": signature, "url": url }))
}

/// `POST /api/oa/scan-login {"appid"?}` → a new attempt: `{id, ticket, url, qrcode_url,
/// expires_in}`. Show `url` as a QR code (or the image at `qrcode_url`), then wait on
/// `GET /api/oa/scan-login/{id}`.
pub async fn scan_login_start(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let body = json_body(req, 1024).await.unwrap_or_default();
    let app = ctx.config.official_account(body.get("appid").and_then(Value::as_str))?;
    limits::check(ctx, Limit::Web, &format!("scan:{}", client_ip(req))).await?;
    let (scene, id) = scan::new_attempt(random_bytes::<12>()?, random_bytes::<16>()?);
    let (_, secret) = scan::parse_id(&id)?;
    let ttl = ctx.config.scan_login_ttl()?;
    let expires_at = ctx.now + ttl;
    let create = CreateScan { appid: app.appid.clone(), secret_hash: hex::encode(Sha256::digest(secret.as_bytes())), expires_at };
    objects::call(&ctx.env, SCAN_LOGIN_BINDING, &scene, &create).await?;
    let qr = json!({
        "expire_seconds": ttl,
        "action_name": "QR_STR_SCENE",
        "action_info": { "scene": { "scene_str": scene } },
    });
    let answer =
        token::call::call_json(ctx, &app.appid, Api::QrCode, Method::Post, "/cgi-bin/qrcode/create", &[], Some(&qr)).await?;
    let ticket =
        answer.get("ticket").and_then(Value::as_str).ok_or_else(|| ApiError::upstream("WeChat's answer lacks a ticket"))?;
    let image = WeChatUrl::build(&ctx.config.mp_base, "WECHAT_MP_BASE", "/cgi-bin/showqrcode", &[("ticket", ticket)])?;
    json(
        200,
        &json!({
            "id": id,
            "ticket": ticket,
            "url": answer.get("url").cloned().unwrap_or(Value::Null),
            "qrcode_url": image.as_str(),
            "expires_in": ttl,
        }),
    )
}

/// `GET /api/oa/scan-login/{id}`: with `Accept: text/event-stream`, Server-Sent Events until
/// the scan (`event: done`, the session) or the expiry; otherwise one poll as JSON.
pub async fn scan_login_wait(ctx: &Ctx, req: &Request, id: Option<&str>) -> ApiResult<Response> {
    let (scene, secret) = scan::parse_id(id.unwrap_or_default())?;
    let call = PollScan { secret };
    let wants_events = header(req, "Accept").is_some_and(|a| a.contains("text/event-stream"));
    if wants_events {
        return objects::call_raw(&ctx.env, SCAN_LOGIN_BINDING, &scene, WAIT_NAME, &call).await;
    }
    let status = objects::call(&ctx.env, SCAN_LOGIN_BINDING, &scene, &call).await?;
    let mut out = json!({ "status": status.status, "expires_in": status.expires_at.saturating_sub(ctx.now) });
    if let Some(s) = status.session {
        out["session"] = s.to_json(crate::shared::http::now());
    }
    json(200, &out)
}

/// `POST /internal/oa/messages/template[?appid=]`: checked against the account's templates
/// (`template/get_all_private_template`) first → `{"msgid"}` (a string: it exceeds 2^53).
pub async fn template_message(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let body = json_body(req, MAX_JSON).await?;
    let app = ctx.config.official_account(query(req, "appid").as_deref().or(body.get("appid").and_then(Value::as_str)))?;
    let message = TemplateMessage::parse(&body)?;
    let path = "/cgi-bin/template/get_all_private_template";
    match token::call::call_json(ctx, &app.appid, Api::Template, Method::Get, path, &[], None).await {
        Ok(list) => {
            let templates = OaTemplate::from_list(&list);
            let template = templates.iter().find(|t| t.template_id == message.template_id).ok_or_else(|| {
                ApiError::bad_request("invalid_template_id", "template_id is not one of this official account's templates")
            })?;
            message.check_against(template)?;
        }
        Err(e) => crate::log_warn!("templates of app {} unavailable, sending unchecked: {e}", app.appid),
    }
    let path = "/cgi-bin/message/template/send";
    let answer =
        token::call::call_json(ctx, &app.appid, Api::Template, Method::Post, path, &[], Some(&message.wechat_body())).await?;
    // Read as text from the number: msgid exceeds 2^53 (wechat-oa.md §3.1).
    let msgid = answer.get("msgid").map(|m| m.to_string().trim_matches('"').to_owned());
    json(200, &json!({ "sent": true, "msgid": msgid }))
}

/// `POST /internal/oa/messages/subscribe[?appid=]` (订阅通知, `bizsend`), checked against the
/// account's subscribe templates (`wxaapi/newtmpl/gettemplate`).
pub async fn subscribe_message(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let body = json_body(req, MAX_JSON).await?;
    let app = ctx.config.official_account(query(req, "appid").as_deref().or(body.get("appid").and_then(Value::as_str)))?;
    let message = BizsendMessage::parse(&body)?;
    let path = "/wxaapi/newtmpl/gettemplate";
    match token::call::call_json(ctx, &app.appid, Api::Messages, Method::Get, path, &[], None).await {
        Ok(list) => {
            let known = TemplateInfo::from_gettemplate(&list);
            let template = known.iter().find(|t| t.pri_tmpl_id == message.template_id).ok_or_else(|| {
                ApiError::bad_request("invalid_template_id", "template_id is not one of this account's subscribe templates")
            })?;
            message.check_against(template)?;
        }
        Err(e) => crate::log_warn!("subscribe templates of app {} unavailable, sending unchecked: {e}", app.appid),
    }
    let path = "/cgi-bin/message/subscribe/bizsend";
    token::call::call_json(ctx, &app.appid, Api::Messages, Method::Post, path, &[], Some(&message.wechat_body())).await?;
    json(200, &json!({ "sent": true }))
}

/// `user/info` for one openid; a follower's unionid is recorded in the directory.
pub async fn user_info(ctx: &Ctx, appid: &str, openid: &str) -> ApiResult<Value> {
    let params = [("openid", openid), ("lang", "zh_CN")];
    let info = token::call::call_json(ctx, appid, Api::Template, Method::Get, "/cgi-bin/user/info", &params, None).await?;
    Ok(info)
}

/// `GET /internal/oa/users/{openid}[?appid=]` → WeChat's `user/info`; the account is recorded.
pub async fn user(ctx: &Ctx, req: &Request, openid: Option<&str>) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let app = ctx.config.official_account(query(req, "appid").as_deref())?;
    let openid = openid.filter(|o| valid_id(o)).ok_or_else(|| ApiError::invalid_field("openid", "must be an openid"))?;
    let info = user_info(ctx, &app.appid, openid).await?;
    // A follower is one of ours: recorded (with the unionid WeChat gives followers only).
    if info.get("subscribe").and_then(Value::as_i64) == Some(1) {
        let unionid = info.get("unionid").and_then(Value::as_str).map(str::trim).filter(|u| !u.is_empty());
        let sighting = Sighting {
            appid: app.appid.clone(),
            openid: openid.to_owned(),
            unionid: unionid.map(str::to_owned),
            app_type: app.app_type,
            source: Source::OaFollow,
            at: ctx.now,
            following: Some(true),
        };
        if let Err(e) = store::record(&ctx.env, &sighting).await {
            crate::log_warn!("directory: could not record a user/info on app {}: {e}", app.appid);
        }
    }
    json(200, &info)
}
