//! `/internal/messages/*`, `/internal/media/upload`, `/internal/templates`,
//! `/internal/analytics/*`, `/internal/security/text`: one call for the business's servers,
//! the access token handled (a stale one is refreshed once and the call retried once).

use crate::outbound::analytics::{check_range, Report};
use crate::outbound::custom::{CustomMessage, Typing};
use crate::outbound::multipart::file_part;
use crate::outbound::security::TextCheck;
use crate::outbound::subscribe::{SubscribeMessage, TemplateInfo};
use crate::outbound::Body;
use crate::shared::date::today_from_unix;
use crate::shared::errcode::Api;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{header, json, json_body, no_content, query, random_bytes, require_internal_key, Ctx};
use crate::shared::wechat::{self, Payload};
use crate::token;
use crate::token::read::KV_BINDING;
use serde_json::{json, Value};
use worker::{FormEntry, Method, Request, Response};

const MAX_JSON: usize = 64 * 1024;
/// A temporary image for customer-service messages (WeChat allows up to 2 MB; a little slack).
const MAX_UPLOAD: usize = 4 * 1024 * 1024;
/// The template list changes rarely; it is cached this long.
const TEMPLATES_TTL: u64 = 600;

fn app_of(ctx: &Ctx, req: &Request, body: Option<&Body>) -> ApiResult<crate::shared::config::AppConfig> {
    let from_body = match body.and_then(|b| b.get("appid")) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(_) => return Err(ApiError::invalid_field("appid", "must be a string")),
    };
    ctx.config.app(query(req, "appid").or(from_body).as_deref())
}

/// A file from a multipart request, uploaded to `cgi-bin/media/upload` → its media_id.
async fn upload(ctx: &Ctx, appid: &str, name: &str, content_type: &str, bytes: &[u8]) -> ApiResult<Value> {
    if bytes.is_empty() {
        return Err(ApiError::invalid_field("media", "is empty"));
    }
    let boundary = hex::encode(random_bytes::<12>()?);
    let (body, ct) = file_part(&boundary, "media", name, content_type, bytes);
    let payload = Payload::Raw { content_type: &ct, bytes: &body };
    let params = [("type", "image")];
    match token::call::call_payload(ctx, appid, Api::Messages, Method::Post, "/cgi-bin/media/upload", &params, Some(payload))
        .await?
    {
        wechat::Reply::Json(v) if v.get("media_id").and_then(Value::as_str).is_some() => Ok(v),
        _ => Err(ApiError::upstream("WeChat's upload answer lacks a media_id")),
    }
}

/// Reads a multipart request: its text fields as a JSON body, and the file in `media`.
async fn multipart(req: &mut Request) -> ApiResult<(Body, Option<(String, String, Vec<u8>)>)> {
    // The form is read whole, so its size must be known before: no chunked uploads.
    let Some(declared) = header(req, "Content-Length").and_then(|v| v.trim().parse::<usize>().ok()) else {
        return Err(ApiError::new(411, "length_required", "a multipart upload needs a Content-Length header"));
    };
    if declared > MAX_UPLOAD {
        return Err(ApiError::payload_too_large(MAX_UPLOAD));
    }
    let form =
        req.form_data().await.map_err(|_| ApiError::bad_request("invalid_multipart", "the multipart body could not be read"))?;
    // The message: WeChat's JSON shape in a `message` field, or flat fields (`touser`,
    // `msgtype`, and a card's `title` / `pagepath`).
    let mut body = match form.get_field("message") {
        Some(text) => match serde_json::from_str::<Value>(&text) {
            Ok(Value::Object(map)) => map,
            _ => return Err(ApiError::invalid_field("message", "must be a JSON object in WeChat's custom/send shape")),
        },
        None => Body::new(),
    };
    for field in ["appid", "touser", "msgtype"] {
        if let Some(v) = form.get_field(field) {
            body.insert(field.into(), json!(v));
        }
    }
    let card: Body = ["title", "pagepath"].iter().filter_map(|f| form.get_field(f).map(|v| (f.to_string(), json!(v)))).collect();
    if !card.is_empty() && !body.contains_key("miniprogrampage") {
        body.insert("miniprogrampage".into(), Value::Object(card));
    }
    let file = match form.get("media") {
        Some(FormEntry::File(f)) => {
            let bytes =
                f.bytes().await.map_err(|_| ApiError::bad_request("invalid_multipart", "the media file could not be read"))?;
            let ct = Some(f.type_()).filter(|t| !t.is_empty()).unwrap_or_else(|| "image/jpeg".into());
            Some((f.name(), ct, bytes))
        }
        Some(FormEntry::Field(_)) => return Err(ApiError::invalid_field("media", "must be a file")),
        None => None,
    };
    Ok((body, file))
}

fn is_multipart(req: &Request) -> bool {
    header(req, "Content-Type").is_some_and(|ct| ct.to_ascii_lowercase().starts_with("multipart/form-data"))
}

/// `POST /internal/messages/custom`: JSON in WeChat's shape, or multipart with `touser` and
/// an image file in `media` (uploaded first).
pub async fn custom(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let (body, message) = if is_multipart(req) {
        let (mut body, file) = multipart(req).await?;
        body.entry("msgtype").or_insert(json!("image"));
        // Validate everything but the media id before the upload spends anything.
        CustomMessage::parse_with_media(&body, Some("pending".into()))?;
        let app = app_of(ctx, req, Some(&body))?;
        let (name, ct, bytes) = file.ok_or_else(|| ApiError::invalid_field("media", "is required (an image file)"))?;
        let uploaded = upload(ctx, &app.appid, &name, &ct, &bytes).await?;
        let media_id = uploaded["media_id"].as_str().map(str::to_owned);
        let message = CustomMessage::parse_with_media(&body, media_id)?;
        (body, message)
    } else {
        let body = json_body(req, MAX_JSON).await?;
        let message = CustomMessage::parse(&body)?;
        (body, message)
    };
    let app = app_of(ctx, req, Some(&body))?;
    let path = "/cgi-bin/message/custom/send";
    token::call::call_json(ctx, &app.appid, Api::Messages, Method::Post, path, &[], Some(&message.wechat_body())).await?;
    json(200, &json!({ "sent": true, "msgtype": message.msgtype() }))
}

/// `POST /internal/messages/typing` `{touser, command: Typing | CancelTyping}`.
pub async fn typing(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let body = json_body(req, MAX_JSON).await?;
    let typing = Typing::parse(&body)?;
    let app = app_of(ctx, req, Some(&body))?;
    let path = "/cgi-bin/message/custom/typing";
    token::call::call_json(ctx, &app.appid, Api::Messages, Method::Post, path, &[], Some(&typing.wechat_body())).await?;
    no_content()
}

/// `POST /internal/media/upload` (multipart, file in `media`) → `{type, media_id, created_at}`.
pub async fn media_upload(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    if !is_multipart(req) {
        return Err(ApiError::bad_request("invalid_multipart", "send multipart/form-data with the image in the `media` field"));
    }
    let (body, file) = multipart(req).await?;
    let app = app_of(ctx, req, Some(&body))?;
    let (name, ct, bytes) = file.ok_or_else(|| ApiError::invalid_field("media", "is required (an image file)"))?;
    let uploaded = upload(ctx, &app.appid, &name, &ct, &bytes).await?;
    json(200, &json!({ "type": uploaded["type"], "media_id": uploaded["media_id"], "created_at": uploaded["created_at"] }))
}

/// The app's subscribe-message templates, from KV when cached.
async fn templates(ctx: &Ctx, appid: &str) -> ApiResult<Value> {
    let kv = ctx.env.kv(KV_BINDING).ok();
    let key = format!("templates:{appid}");
    if let Some(kv) = &kv {
        if let Ok(Some(cached)) = kv.get(&key).json::<Value>().await {
            return Ok(cached);
        }
    }
    let answer = token::call::call_json(ctx, appid, Api::Messages, Method::Get, "/wxaapi/newtmpl/gettemplate", &[], None).await?;
    let data = answer.get("data").cloned().unwrap_or_else(|| json!([]));
    if let Some(kv) = &kv {
        // As text: a serde_json object would become a JS Map, which JSON.stringify writes as {}.
        if let Ok(put) = kv.put(&key, data.to_string()) {
            if let Err(e) = put.expiration_ttl(TEMPLATES_TTL).execute().await {
                crate::log_warn!("could not cache the templates of app {appid}: {e}");
            }
        }
    }
    Ok(data)
}

/// `GET /internal/templates?appid=` → `{"templates": [...]}` (WeChat's `data`, cached).
pub async fn list_templates(ctx: &Ctx, req: &Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let app = app_of(ctx, req, None)?;
    json(200, &json!({ "templates": templates(ctx, &app.appid).await? }))
}

/// `POST /internal/messages/subscribe`: the data is checked against the template's keywords
/// and value rules before WeChat sees it (no 47003 round trip).
pub async fn subscribe(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let body = json_body(req, MAX_JSON).await?;
    let message = SubscribeMessage::parse(&body)?;
    let app = app_of(ctx, req, Some(&body))?;
    match templates(ctx, &app.appid).await {
        Ok(list) => {
            let known = TemplateInfo::from_gettemplate(&json!({ "data": list }));
            let template = known.iter().find(|t| t.pri_tmpl_id == message.template_id()).ok_or_else(|| {
                ApiError::bad_request(
                    "invalid_template_id",
                    "template_id is not one of this app's templates (GET /internal/templates)",
                )
            })?;
            message.check_against(template)?;
        }
        // Without the list the rules of the keyword types still applied in parse; WeChat checks the rest.
        Err(e) => crate::log_warn!("templates of app {} unavailable, sending unchecked: {e}", app.appid),
    }
    let path = "/cgi-bin/message/subscribe/send";
    token::call::call_json(ctx, &app.appid, Api::Messages, Method::Post, path, &[], Some(&message.wechat_body())).await?;
    json(200, &json!({ "sent": true }))
}

/// `POST /internal/analytics/<report>` `{begin_date, end_date}` (yyyymmdd): ranges WeChat
/// would refuse with 61501 are refused here first.
pub async fn analytics(ctx: &Ctx, req: &mut Request, name: &str) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let report = Report::from_name(name).ok_or_else(|| ApiError::not_found(format!("no analytics report {name}")))?;
    let body = json_body(req, MAX_JSON).await?;
    let field = |f: &str| body.get(f).and_then(Value::as_str).ok_or_else(|| ApiError::invalid_field(f, "is required (yyyymmdd)"));
    let (begin, end) = (field("begin_date")?, field("end_date")?);
    check_range(report, begin, end, today_from_unix(ctx.now))?;
    let app = app_of(ctx, req, Some(&body))?;
    let path = format!("/datacube/{}", report.name());
    let call_body = json!({ "begin_date": begin, "end_date": end });
    json(200, &token::call::call_json(ctx, &app.appid, Api::Generic, Method::Post, &path, &[], Some(&call_body)).await?)
}

/// `POST /internal/security/text` → WeChat's verdict (`msg_sec_check` version 2).
pub async fn security_text(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let body = json_body(req, MAX_JSON).await?;
    let check = TextCheck::parse(&body)?;
    let app = app_of(ctx, req, Some(&body))?;
    let answer = token::call::call_json(
        ctx,
        &app.appid,
        Api::Messages,
        Method::Post,
        "/wxa/msg_sec_check",
        &[],
        Some(&check.wechat_body()),
    )
    .await?;
    json(200, &json!({ "result": answer["result"], "detail": answer["detail"], "trace_id": answer["trace_id"] }))
}
