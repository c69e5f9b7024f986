//! WeChat Pay on the wire (wechat-pay.md §2, §10 items 2–4): a request to `/v3/…` read with
//! its raw target, headers and body; the merchant's `Authorization` checked exactly as WeChat
//! does; the answer signed (`Wechatpay-*` headers) with the key the merchant's mode picks; the
//! call logged in the simulator's call log like every WeChat call.

use super::keys::{self, PlatformKey};
use super::merchant::Merchant;
use super::{certificates, orders, refunds};
use crate::faults::FaultRule;
use crate::log::LoggedCall;
use crate::state::{Sim, State};
use crate::whitelist::Via;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use rand::Rng;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

const MAX_BODY: usize = 1024 * 1024;

/// A `/v3/` request, read in full.
pub struct PayRequest {
    pub method: Method,
    /// Path and query exactly as sent: what the merchant signed.
    pub target: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl PayRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// A WeChat Pay error: `{"code","message","detail"?}` with its status (§2.2).
#[derive(Debug, Clone)]
pub struct PayErr {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    pub detail: Option<Value>,
}

impl PayErr {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> PayErr {
        PayErr { status, code, message: message.into(), detail: None }
    }

    /// `400 PARAM_ERROR` with `detail.field` as a JSON pointer (`/amount/total`).
    pub fn param(field: &str, issue: impl Into<String>) -> PayErr {
        let issue = issue.into();
        PayErr {
            status: 400,
            code: "PARAM_ERROR",
            message: format!("参数错误: {field} {issue}"),
            detail: Some(json!({"field": field, "issue": issue, "location": "body"})),
        }
    }

    pub fn sign(message: impl Into<String>) -> PayErr {
        PayErr::new(401, "SIGN_ERROR", message)
    }
}

/// What a route answers: a status and maybe a JSON body, and the merchant whose mode signs it.
pub struct PayReply {
    pub status: u16,
    pub body: Option<Vec<u8>>,
    pub merchant: Option<Merchant>,
    /// Work to start once the answer is out (a refund that completes later).
    pub after: Option<super::refunds::Completion>,
}

impl PayReply {
    pub fn json(value: &Value, merchant: &Merchant) -> PayReply {
        PayReply { status: 200, body: Some(value.to_string().into_bytes()), merchant: Some(merchant.clone()), after: None }
    }

    pub fn no_content(merchant: &Merchant) -> PayReply {
        PayReply { status: 204, body: None, merchant: Some(merchant.clone()), after: None }
    }

    fn error(err: PayErr, merchant: Option<Merchant>) -> PayReply {
        let mut body = json!({"code": err.code, "message": err.message});
        if let Some(detail) = err.detail {
            body["detail"] = detail;
        }
        PayReply { status: err.status, body: Some(body.to_string().into_bytes()), merchant, after: None }
    }
}

/// The entry for every `/v3/` path (called by the WeChat router before its own reading).
pub async fn handle(sim: Arc<Sim>, request: Request) -> Response {
    let via = request.extensions().get::<Via>().copied().unwrap_or_default();
    let req = read(request).await;
    let at = sim.clock.now();
    let fault = sim.lock().faults.take(&req.path);
    if let Some(ms) = fault.as_ref().and_then(|f| f.delay_ms) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let mut reply = match &fault {
        Some(rule) if rule.replaces_answer() => faulted(rule),
        _ => answer(&sim, &req, at),
    };
    if let Some(completion) = reply.after.take() {
        super::refunds::complete_later(sim.clone(), completion);
    }
    let response = respond(&sim, &req, &reply, at);
    record(&sim, &req, &reply, at, via, fault.is_some());
    response
}

async fn read(request: Request) -> PayRequest {
    let (parts, body) = request.into_parts();
    let target = parts.uri.path_and_query().map(|pq| pq.as_str().to_string()).unwrap_or_else(|| parts.uri.path().to_string());
    let query = parts.uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    let body = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();
    PayRequest { method: parts.method, target, path: parts.uri.path().to_string(), query, headers: parts.headers, body }
}

fn faulted(rule: &FaultRule) -> PayReply {
    let status = rule.status.unwrap_or(500);
    PayReply::error(PayErr::new(status, "SYSTEM_ERROR", "系统错误 (injected fault)"), None)
}

fn answer(sim: &Sim, req: &PayRequest, now: i64) -> PayReply {
    let mut guard = sim.lock();
    let state = &mut *guard;
    state.pay.expire(now);
    let merchant = match authorize(state, req, now) {
        Ok(m) => m,
        Err(e) => return PayReply::error(e, None),
    };
    let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    let result = match (&req.method, segments.as_slice()) {
        (&Method::POST, ["v3", "pay", "transactions", "jsapi"]) => orders::jsapi(state, req, &merchant, now),
        (&Method::GET, ["v3", "pay", "transactions", "out-trade-no", no]) => {
            orders::query(state, req, &merchant, &decode(no), None)
        }
        (&Method::GET, ["v3", "pay", "transactions", "id", id]) => orders::query(state, req, &merchant, "", Some(&decode(id))),
        (&Method::POST, ["v3", "pay", "transactions", "out-trade-no", no, "close"]) => {
            orders::close(state, req, &merchant, &decode(no))
        }
        (&Method::POST, ["v3", "refund", "domestic", "refunds"]) => refunds::create(state, req, &merchant, now),
        (&Method::GET, ["v3", "refund", "domestic", "refunds", no]) => refunds::query(state, &merchant, &decode(no)),
        (&Method::GET, ["v3", "certificates"]) => certificates::list(state, &merchant),
        _ => Err(PayErr::new(404, "NOT_FOUND", "请求的资源不存在 (no such WeChat Pay API in the simulator)")),
    };
    result.unwrap_or_else(|e| PayReply::error(e, Some(merchant)))
}

/// Percent-decoding of one path segment (`%7C` → `|`).
fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `Authorization` check of §2.1 / §10 item 2. Every failure is `401 SIGN_ERROR` except a
/// missing `User-Agent`/`Accept` (400) and an unknown merchant.
fn authorize(state: &State, req: &PayRequest, now: i64) -> Result<Merchant, PayErr> {
    let settings = &state.pay.settings;
    if settings.require_user_agent && (req.header("user-agent").is_none() || req.header("accept").is_none()) {
        return Err(PayErr::new(400, "INVALID_REQUEST", "Http头缺少Accept或User-Agent"));
    }
    let header = req.header("authorization").ok_or_else(|| PayErr::sign("Http头Authorization值为空"))?;
    let params = parse_authorization(header).ok_or_else(|| PayErr::sign("Http头Authorization值格式错误"))?;
    let get = |name: &str| params.get(name).map(String::as_str).ok_or_else(|| PayErr::sign(format!("Authorization中缺少{name}")));
    let (mchid, nonce, timestamp, serial_no, signature) =
        (get("mchid")?, get("nonce_str")?, get("timestamp")?, get("serial_no")?, get("signature")?);
    let merchant = state.pay.merchants.get(mchid).ok_or_else(|| PayErr::new(400, "MCH_NOT_EXISTS", "商户号不存在"))?;
    if !serial_no.eq_ignore_ascii_case(&merchant.config.serial) {
        return Err(PayErr::sign("商户证书序列号有误。请使用签名私钥匹配的证书序列号"));
    }
    let ts: i64 = timestamp
        .parse()
        .ok()
        .filter(|_| timestamp.bytes().all(|b| b.is_ascii_digit()) && timestamp.len() <= 10)
        .ok_or_else(|| PayErr::sign("Authorization中的timestamp不是Unix秒"))?;
    if (now - ts).abs() > settings.timestamp_window {
        return Err(PayErr::sign("请求的时间戳已过期，请检查系统时间"));
    }
    let body = std::str::from_utf8(&req.body).map_err(|_| PayErr::new(400, "PARAM_ERROR", "请求体不是UTF-8"))?;
    let message = format!("{}\n{}\n{timestamp}\n{nonce}\n{body}\n", req.method.as_str(), req.target);
    if !keys::verify(&merchant.public_key, message.as_bytes(), signature) {
        return Err(PayErr::sign("签名错误，请检查后再试"));
    }
    // The body's mchid, and the query's, must be the Authorization's (排障手册 "mchid不匹配").
    let body_mchid =
        serde_json::from_slice::<Value>(&req.body).ok().and_then(|v| v.get("mchid").and_then(Value::as_str).map(str::to_string));
    for named in [body_mchid.as_deref(), req.param("mchid")].into_iter().flatten() {
        if named != mchid {
            return Err(PayErr::new(400, "INVALID_REQUEST", "Authorization中的mchid与请求中的mchid不匹配"));
        }
    }
    Ok(merchant.clone())
}

/// `WECHATPAY2-SHA256-RSA2048 k="v",k="v",…`: five pairs in any order, each value quoted.
pub fn parse_authorization(header: &str) -> Option<BTreeMap<String, String>> {
    let params = header.strip_prefix("WECHATPAY2-SHA256-RSA2048 ")?;
    let mut map = BTreeMap::new();
    let mut rest = params.trim();
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"")?;
        let (value, after) = after.split_once('"')?;
        if key.is_empty() || key.contains([',', ' ']) {
            return None;
        }
        map.insert(key.to_string(), value.to_string());
        rest = after.strip_prefix(',').unwrap_or(after).trim_start();
        if !after.is_empty() && !after.starts_with(',') {
            return None;
        }
    }
    Some(map)
}

/// The answer on the wire: `Request-ID` always, the `Wechatpay-*` signature on 2xx answers
/// (and on errors with `sign_errors`), over `ts\nnonce\nbody\n`.
fn respond(sim: &Sim, req: &PayRequest, reply: &PayReply, now: i64) -> Response {
    let (sign_errors, request_id, nonce) = {
        let mut state = sim.lock();
        let rng = &mut state.rng;
        let request_id = format!("{:016X}{:016X}", rng.gen::<u64>(), rng.gen::<u64>());
        let nonce = hex::encode(rng.gen::<[u8; 16]>());
        (state.pay.settings.sign_errors, request_id, nonce)
    };
    let body = reply.body.clone().unwrap_or_default();
    let mut response = Response::new(Body::from(body.clone()));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    let mut put = |name: &'static str, value: &str| {
        if let Ok(v) = HeaderValue::from_str(value) {
            headers.insert(name, v);
        }
    };
    put("request-id", &request_id);
    if reply.body.is_some() {
        put("content-type", "application/json; charset=utf-8");
    }
    let signs = (200..300).contains(&reply.status) || sign_errors;
    if let (true, Some(merchant)) = (signs, &reply.merchant) {
        let key: PlatformKey = merchant.config.mode.answer_key(req.header("wechatpay-serial"));
        let timestamp = now.to_string();
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(&body);
        message.push(b'\n');
        put("wechatpay-timestamp", &timestamp);
        put("wechatpay-nonce", &nonce);
        put("wechatpay-serial", key.serial());
        put("wechatpay-signature", &key.sign(&message));
        put("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048");
    }
    response
}

fn record(sim: &Sim, req: &PayRequest, reply: &PayReply, at: i64, via: Via, fault: bool) {
    let body = match serde_json::from_slice::<Value>(&req.body) {
        Ok(v) => v,
        Err(_) if req.body.is_empty() => Value::Null,
        Err(_) => Value::String(String::from_utf8_lossy(&req.body).into_owned()),
    };
    let query: Map<String, Value> = req.query.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
    let appid = body.get("appid").and_then(Value::as_str).map(str::to_string);
    let code = reply.body.as_ref().and_then(|b| serde_json::from_slice::<Value>(b).ok()).and_then(|v| v.get("code").cloned());
    let mut state = sim.lock();
    let seq = state.log.next_seq();
    state.log.push(LoggedCall {
        seq,
        at,
        method: req.method.to_string(),
        path: req.path.clone(),
        query,
        body,
        appid: appid.clone(),
        errcode: None,
        status: reply.status,
        fault,
        via: via.name(),
    });
    drop(state);
    if sim.config.print_log {
        let code = code.and_then(|c| c.as_str().map(str::to_string)).map(|c| format!(" {c}")).unwrap_or_default();
        println!("#{seq} {} {} appid={} -> HTTP {}{code}", req.method, req.path, appid.as_deref().unwrap_or("-"), reply.status);
        let _ = std::io::stdout().flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_pairs_come_in_any_order() {
        let a = parse_authorization(
            r#"WECHATPAY2-SHA256-RSA2048 mchid="1",serial_no="S",timestamp="2",nonce_str="n",signature="a/b=""#,
        )
        .unwrap();
        assert_eq!(a.len(), 5);
        assert_eq!(a["signature"], "a/b=");
        assert!(parse_authorization(r#"WECHATPAY2-SHA256-RSA2048 mchid=1"#).is_none());
        assert!(parse_authorization(r#"Bearer mchid="1""#).is_none());
        assert!(parse_authorization(r#"WECHATPAY2-SHA256-RSA2048 mchid="1"x,a="b""#).is_none());
    }

    #[test]
    fn path_segments_are_percent_decoded() {
        assert_eq!(decode("order_1%7Ca*"), "order_1|a*");
        assert_eq!(decode("100%"), "100%");
    }
}
