//! Mini-program codes, official-account ticket QR codes and links. Requests are validated
//! before any quota is spent; images are cached in KV under their canonical parameters and
//! served with an ETag; WeChat's errors are never cached.

use crate::login::handler::session;
use crate::qrcode::codes::{
    etag, etag_matches, image_is_complete, sniff_image, ClassicCode, EnvVersion, LimitedCode, OaTicketQr, UnlimitedCode,
};
use crate::qrcode::links::{SchemeRequest, UrlLinkRequest};
use crate::shared::config::AppType;
use crate::shared::errcode::Api;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{header, json, json_body, query, require_internal_key, Ctx};
use crate::shared::limits::{self, Limit};
use crate::shared::stats::{self, counter};
use crate::shared::wechat::{self, Failure, Reply};
use crate::token;
use crate::token::read::KV_BINDING;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Method, Request, Response};

const MAX_BODY: usize = 8 * 1024;
/// Unlimited codes never expire at WeChat; a cached copy is kept 30 days.
const UNLIMITED_TTL: u64 = 30 * 24 * 3600;
/// Interfaces A and C count against a lifetime total: keep their images a year.
const QUOTA_TTL: u64 = 365 * 24 * 3600;

#[derive(Serialize, Deserialize)]
struct ImageMeta {
    content_type: String,
    etag: String,
}

/// One code to make: where, with what, cached how.
struct CodeRequest {
    path: &'static str,
    body: Value,
    cache_key: String,
    ttl: u64,
}

/// `POST /api/qrcode` (session required) → an unlimited code for the session's app.
pub async fn api_unlimited(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let s = session(ctx, req).await?;
    let code = UnlimitedCode::parse(&json_body(req, MAX_BODY).await?)?;
    // A trial or develop build, or an unchecked page, is for the team's own servers only.
    if code.env_version != EnvVersion::Release {
        return Err(ApiError::invalid_field(
            "env_version",
            "other than release is only available through /internal/qrcode/unlimited",
        ));
    }
    if !code.check_path {
        return Err(ApiError::invalid_field("check_path", "false is only available through /internal/qrcode/unlimited"));
    }
    let r = CodeRequest {
        path: "/wxa/getwxacodeunlimit",
        body: code.wechat_body(),
        cache_key: code.cache_key(&s.app.appid),
        ttl: UNLIMITED_TTL,
    };
    let budget = Budget { session: s.token.storage_key() };
    serve_code(ctx, req, &s.app.appid, r, "private", Some(budget)).await
}

/// `POST /internal/qrcode/{unlimited,limited,classic}?appid=`.
pub async fn internal_code(ctx: &Ctx, req: &mut Request, kind: &str) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let app = ctx.config.app(query(req, "appid").as_deref())?;
    let body = json_body(req, MAX_BODY).await?;
    let r = match kind {
        "unlimited" => {
            let c = UnlimitedCode::parse(&body)?;
            CodeRequest {
                path: "/wxa/getwxacodeunlimit",
                body: c.wechat_body(),
                cache_key: c.cache_key(&app.appid),
                ttl: UNLIMITED_TTL,
            }
        }
        "limited" => {
            let c = LimitedCode::parse(&body)?;
            CodeRequest { path: "/wxa/getwxacode", body: c.wechat_body(), cache_key: c.cache_key(&app.appid), ttl: QUOTA_TTL }
        }
        "classic" => {
            let c = ClassicCode::parse(&body)?;
            CodeRequest {
                path: "/cgi-bin/wxaapp/createwxaqrcode",
                body: c.wechat_body(),
                cache_key: c.cache_key(&app.appid),
                ttl: QUOTA_TTL,
            }
        }
        other => return Err(ApiError::not_found(format!("no QR code kind {other}: use unlimited, limited or classic"))),
    };
    serve_code(ctx, req, &app.appid, r, "public", None).await
}

/// Whose budget a new code (a cache miss: a WeChat call and a KV write) is counted against.
struct Budget {
    session: String,
}

async fn serve_code(
    ctx: &Ctx,
    req: &Request,
    appid: &str,
    r: CodeRequest,
    visibility: &str,
    budget: Option<Budget>,
) -> ApiResult<Response> {
    let kv = ctx.env.kv(KV_BINDING).map_err(|_| ApiError::config(KV_BINDING, "is not bound (a KV namespace)"))?;
    let if_none_match = header(req, "If-None-Match");
    // A KV failure only costs a call to WeChat.
    if let Ok((Some(bytes), Some(meta))) = kv.get(&r.cache_key).bytes_with_metadata::<ImageMeta>().await {
        stats::count(appid, counter::QR_CACHED, ctx.now);
        return image_response(bytes, &meta, if_none_match.as_deref(), visibility, "hit");
    }
    // A cached code costs nothing; a new one is counted per session and per app (issue 20,
    // item 4), so one wx.login cannot spend the app's quota and KV writes without limit.
    if let Some(budget) = budget {
        limits::check(ctx, Limit::QrPerSession, &budget.session).await?;
        limits::check(ctx, Limit::QrPerApp, appid).await?;
    }
    let bytes = match token::call::call(ctx, appid, Api::QrCode, Method::Post, r.path, &[], Some(&r.body)).await? {
        Reply::Binary { bytes, .. } => bytes,
        Reply::Json(_) => return Err(ApiError::upstream("WeChat answered JSON without an image")),
    };
    let content_type = sniff_image(&bytes).ok_or_else(|| ApiError::upstream("WeChat's answer is neither JPEG nor PNG"))?;
    if !image_is_complete(&bytes) {
        return Err(ApiError::upstream("WeChat's image arrived cut short; retry"));
    }
    let meta = ImageMeta { content_type: content_type.to_owned(), etag: etag(&bytes) };
    stats::count(appid, counter::QR_MADE, ctx.now);
    // Interfaces A and C share 100,000 codes for the app's life (wechat-api.md §13).
    if r.path != "/wxa/getwxacodeunlimit" {
        stats::count(appid, counter::QR_LIMITED_MADE, ctx.now);
    }
    match kv.put_bytes(&r.cache_key, &bytes).and_then(|p| p.metadata(&meta)) {
        Ok(put) => {
            if let Err(e) = put.expiration_ttl(r.ttl).execute().await {
                crate::log_warn!("could not cache a QR code for app {appid}: {e}");
            }
        }
        Err(e) => crate::log_warn!("could not cache a QR code for app {appid}: {e}"),
    }
    image_response(bytes, &meta, if_none_match.as_deref(), visibility, "miss")
}

fn image_response(
    bytes: Vec<u8>,
    meta: &ImageMeta,
    if_none_match: Option<&str>,
    visibility: &str,
    cache: &str,
) -> ApiResult<Response> {
    let fail = |_| ApiError::internal("could not build a response");
    let mut resp = if if_none_match.is_some_and(|inm| etag_matches(inm, &meta.etag)) {
        Response::empty().map_err(fail)?.with_status(304)
    } else {
        Response::from_bytes(bytes).map_err(fail)?
    };
    let headers = resp.headers_mut();
    let _ = headers.set("Content-Type", &meta.content_type);
    let _ = headers.set("ETag", &meta.etag);
    let _ = headers.set("Cache-Control", &format!("{visibility}, max-age=86400"));
    let _ = headers.set("X-Cache", cache);
    Ok(resp)
}

/// `POST /internal/links/{scheme,urllink}?appid=` → `{"openlink"}` / `{"url_link"}`.
pub async fn link(ctx: &Ctx, req: &mut Request, kind: &str) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let app = ctx.config.app(query(req, "appid").as_deref())?;
    let body = json_body(req, MAX_BODY).await?;
    let (path, wechat_body, field) = match kind {
        "scheme" => ("/wxa/generatescheme", SchemeRequest::parse_at(&body, ctx.now as i64)?.wechat_body(), "openlink"),
        "urllink" => ("/wxa/generate_urllink", UrlLinkRequest::parse_at(&body, ctx.now as i64)?.wechat_body(), "url_link"),
        other => return Err(ApiError::not_found(format!("no link kind {other}: use scheme or urllink"))),
    };
    let answer = token::call::call_json(ctx, &app.appid, Api::QrCode, Method::Post, path, &[], Some(&wechat_body)).await?;
    let link =
        answer.get(field).and_then(Value::as_str).ok_or_else(|| ApiError::upstream(format!("WeChat's answer lacks {field}")))?;
    json(200, &json!({ field: link }))
}

/// `POST /internal/oa/qrcode?appid=` → `{"ticket", "url", "expire_seconds"?}`, or with
/// `&image=1` the image from `showqrcode`.
pub async fn oa_qrcode(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let app = ctx.config.app(query(req, "appid").as_deref())?;
    if app.app_type != AppType::OfficialAccount {
        return Err(ApiError::bad_request(
            "not_an_official_account",
            format!(
                "app {} is a mini program: ticket QR codes are for official accounts (WECHAT_APP_TYPE / WECHAT_APPS app_type)",
                app.appid
            ),
        ));
    }
    let qr = OaTicketQr::parse(&json_body(req, MAX_BODY).await?)?;
    let answer = token::call::call_json(
        ctx,
        &app.appid,
        Api::QrCode,
        Method::Post,
        "/cgi-bin/qrcode/create",
        &[],
        Some(&qr.wechat_body()),
    )
    .await?;
    let ticket =
        answer.get("ticket").and_then(Value::as_str).ok_or_else(|| ApiError::upstream("WeChat's answer lacks a ticket"))?;
    if !matches!(query(req, "image").as_deref(), Some("1" | "true")) {
        let mut out = json!({ "ticket": ticket, "url": answer.get("url").cloned().unwrap_or(Value::Null) });
        if let Some(e) = answer.get("expire_seconds") {
            out["expire_seconds"] = e.clone();
        }
        return json(200, &out);
    }
    let url = wechat::WeChatUrl::build(&ctx.config.mp_base, "WECHAT_MP_BASE", "/cgi-bin/showqrcode", &[("ticket", ticket)])?;
    match wechat::send(Method::Get, &url, None).await {
        Ok(Reply::Binary { bytes, .. }) if !image_is_complete(&bytes) => {
            Err(ApiError::upstream("showqrcode's image arrived cut short; retry"))
        }
        Ok(Reply::Binary { bytes, .. }) => {
            let content_type = sniff_image(&bytes).unwrap_or("image/jpeg");
            let meta = ImageMeta { content_type: content_type.to_owned(), etag: etag(&bytes) };
            image_response(bytes, &meta, header(req, "If-None-Match").as_deref(), "private", "miss")
        }
        Err(Failure::Status(404)) => {
            Err(ApiError::upstream("WeChat says the ticket is invalid or expired (showqrcode answered 404)")
                .with_code("invalid_ticket"))
        }
        Ok(Reply::Json(_)) => Err(ApiError::upstream("showqrcode answered JSON instead of an image")),
        Err(f) => Err(f.into_error()),
    }
}
