//! The WeChat side of the router: one table from path to endpoint, and the one wrapper every
//! WeChat-API call goes through — injected faults, the errcode envelope, the call log, the
//! per-app counters and the console line.

use crate::clock::day_of;
use crate::faults::{garble, FaultRule};
use crate::log::{redacted_body, redacted_query, LoggedCall};
use crate::state::Sim;
use crate::whitelist::{self, Via};
use crate::wx::{Call, Reply, WxErr, JSON_CONTENT_TYPE};
use crate::{custom_message, ids, links, login, media, phone, qrcode, server_ip, tokens};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::Duration;

type Handler = fn(&Sim, &Call) -> Result<Reply, WxErr>;

#[derive(Clone, Copy)]
enum Verb {
    Get,
    Post,
    Either,
}

/// Every WeChat path the simulator answers. Anything else is a 404, logged like the rest.
const ROUTES: &[(&str, Verb, Handler)] = &[
    ("/cgi-bin/token", Verb::Get, tokens::classic_token),
    ("/cgi-bin/stable_token", Verb::Post, tokens::stable_token),
    ("/sns/jscode2session", Verb::Get, login::jscode2session),
    ("/wxa/checksession", Verb::Get, login::check_session),
    // GET per the doc's example; the newer doc lists the parameters as a "payload".
    ("/wxa/resetusersessionkey", Verb::Either, login::reset_session_key),
    ("/wxa/business/getuserphonenumber", Verb::Post, phone::get_user_phone_number),
    ("/cgi-bin/get_api_domain_ip", Verb::Get, server_ip::api_domain_ip),
    ("/cgi-bin/getcallbackip", Verb::Get, server_ip::callback_ip),
    // Official accounts (`oa`). The authorize page is on open.weixin.qq.com, a browser's GET.
    ("/connect/oauth2/authorize", Verb::Get, crate::oa::oauth::authorize),
    ("/sns/oauth2/access_token", Verb::Get, crate::oa::oauth::access_token),
    ("/sns/oauth2/refresh_token", Verb::Get, crate::oa::oauth::refresh_token),
    ("/sns/userinfo", Verb::Get, crate::oa::oauth::userinfo),
    ("/sns/auth", Verb::Get, crate::oa::oauth::auth),
    ("/cgi-bin/ticket/getticket", Verb::Get, crate::oa::ticket::getticket),
    ("/cgi-bin/template/get_all_private_template", Verb::Get, crate::oa::template::get_all_private_template),
    ("/cgi-bin/message/template/send", Verb::Post, crate::oa::template::send),
    ("/cgi-bin/message/subscribe/bizsend", Verb::Post, crate::oa::template::bizsend),
    ("/cgi-bin/user/info", Verb::Get, crate::oa::users::user_info),
    ("/wxa/getwxacodeunlimit", Verb::Post, qrcode::unlimited),
    ("/wxa/getwxacode", Verb::Post, qrcode::limited),
    ("/cgi-bin/wxaapp/createwxaqrcode", Verb::Post, qrcode::classic),
    ("/cgi-bin/qrcode/create", Verb::Post, qrcode::create_ticket),
    // On mp.weixin.qq.com, without a token.
    ("/cgi-bin/showqrcode", Verb::Get, qrcode::show_qrcode),
    ("/wxa/generatescheme", Verb::Post, links::generate_scheme),
    ("/wxa/generate_urllink", Verb::Post, links::generate_urllink),
    ("/cgi-bin/message/custom/send", Verb::Post, custom_message::send),
    ("/cgi-bin/message/custom/typing", Verb::Post, custom_message::typing),
    ("/cgi-bin/media/upload", Verb::Post, media::upload),
    ("/cgi-bin/message/subscribe/send", Verb::Post, crate::subscribe::send),
    ("/wxaapi/newtmpl/gettemplate", Verb::Get, crate::templates::gettemplate),
    ("/wxa/msg_sec_check", Verb::Post, crate::security::msg_sec_check),
    // WeChat Pay's shipping management (发货信息管理), a mini-program API.
    ("/wxa/sec/order/upload_shipping_info", Verb::Post, crate::pay::shipping::upload_shipping_info),
    // The ten analytics reports (§11), one handler.
    ("/datacube/getweanalysisappiddailysummarytrend", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappiddailyvisittrend", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappidweeklyvisittrend", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappidmonthlyvisittrend", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappiddailyretaininfo", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappidweeklyretaininfo", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappidmonthlyretaininfo", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappidvisitdistribution", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappidvisitpage", Verb::Post, crate::datacube::report),
    ("/datacube/getweanalysisappiduserportrait", Verb::Post, crate::datacube::report),
];

/// Bodies larger than this are cut off (WeChat's own limits are far lower).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Axum fallback: every path outside `/_sim/`.
pub async fn handle(State(sim): State<Arc<Sim>>, request: Request) -> Response {
    // WeChat Pay (api.mch.weixin.qq.com) signs and answers differently: its own wire (`pay`).
    if request.uri().path().starts_with("/v3/") {
        return crate::pay::handle(sim, request).await;
    }
    let origin = Origin {
        via: request.extensions().get::<Via>().copied().unwrap_or_default(),
        peer: request.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0),
    };
    let call = read_call(request).await;
    let at = sim.clock.now();
    let fault = sim.lock().faults.take(&call.path);
    if let Some(ms) = fault.as_ref().and_then(|f| f.delay_ms) {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    let reply = answer(&sim, &call, origin, fault.as_ref());
    record(&sim, &call, origin, at, fault.as_ref(), &reply);
    into_response(reply)
}

/// Where a call came from: which port (the relay's stands for a whitelisted address), and the
/// caller's address.
#[derive(Clone, Copy)]
struct Origin {
    via: Via,
    peer: Option<SocketAddr>,
}

async fn read_call(request: Request) -> Call {
    let (parts, body) = request.into_parts();
    let query = parts.uri.query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default();
    // A body that cannot be read in full is treated as absent; the endpoint then says so.
    let body = axum::body::to_bytes(body, MAX_BODY).await.unwrap_or_default();
    Call { method: parts.method, path: parts.uri.path().to_string(), query, body, headers: parts.headers }
}

fn answer(sim: &Sim, call: &Call, origin: Origin, fault: Option<&FaultRule>) -> Reply {
    let mut reply = match fault {
        Some(rule) if rule.replaces_answer() => match rule.errcode {
            Some(code) => error_reply(sim, code),
            None => error_page(rule.status.unwrap_or(500)),
        },
        _ => run(sim, call, origin),
    };
    if let Some(rule) = fault {
        if rule.malformed {
            reply.body = garble(&reply.body);
        }
        if let Some(status) = rule.status {
            reply.status = status;
        }
        if let Some(content_type) = &rule.content_type {
            reply.content_type = content_type.clone();
        }
    }
    reply
}

fn run(sim: &Sim, call: &Call, origin: Origin) -> Reply {
    let Some((_, verb, handler)) = ROUTES.iter().find(|(path, _, _)| *path == call.path) else {
        return Reply::page(404, "text/plain; charset=utf-8", "wechat-sim: no such WeChat API\n");
    };
    let refused_by = whitelist::refusing_app(&sim.lock(), call, origin.via);
    if let Some(appid) = refused_by {
        let rid = ids::rid(&mut sim.lock().rng);
        return whitelist::refusal(origin.peer, &rid, &appid);
    }
    let result = match (verb, &call.method) {
        (Verb::Get, m) if m != Method::GET => Err(WxErr(43001)),
        (Verb::Post, m) if m != Method::POST => Err(WxErr(43002)),
        _ => catch_unwind(AssertUnwindSafe(|| handler(sim, call)))
            .unwrap_or_else(|_| Ok(Reply::page(500, "text/plain; charset=utf-8", "wechat-sim: handler panicked\n"))),
    };
    result.unwrap_or_else(|WxErr(code)| error_reply(sim, code))
}

fn error_reply(sim: &Sim, code: i64) -> Reply {
    let rid = ids::rid(&mut sim.lock().rng);
    Reply::error(code, &rid)
}

/// What a load balancer in front of WeChat sends with a 5xx.
fn error_page(status: u16) -> Reply {
    let reason = StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()).unwrap_or("Error");
    let html = format!(
        "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1></center></body></html>"
    );
    Reply::page(status, "text/html", html)
}

fn record(sim: &Sim, call: &Call, origin: Origin, at: i64, fault: Option<&FaultRule>, reply: &Reply) {
    let mut state = sim.lock();
    let appid = call
        .param("appid")
        .map(str::to_string)
        .or_else(|| body_appid(call))
        .or_else(|| call.param("access_token").and_then(|t| state.tokens.get(t)).map(|r| r.appid.clone()))
        .or_else(|| call.param("access_token").and_then(|t| state.oa.user_token_appid(t)));
    if let Some(app) = appid.as_ref().and_then(|a| state.apps.get_mut(a)) {
        app.count_call(day_of(at), &call.path);
    }
    let seq = state.log.next_seq();
    state.log.push(LoggedCall {
        seq,
        at,
        method: call.method.to_string(),
        path: call.path.clone(),
        query: redacted_query(call),
        body: redacted_body(call),
        appid: appid.clone(),
        errcode: reply.errcode,
        status: reply.status,
        fault: fault.is_some(),
        via: origin.via.name(),
    });
    drop(state);
    if sim.config.print_log {
        println!("{}", console_line(seq, call, origin.via, appid.as_deref(), fault, reply));
        let _ = std::io::stdout().flush();
    }
}

fn body_appid(call: &Call) -> Option<String> {
    let body: Value = serde_json::from_slice(&call.body).ok()?;
    body.get("appid")?.as_str().map(str::to_string)
}

/// `#3 POST /cgi-bin/stable_token appid=wx0000000000000001 -> ok (token 92_Ab3x…)` — no secret,
/// token or session_key ever appears in full.
fn console_line(seq: u64, call: &Call, via: Via, appid: Option<&str>, fault: Option<&FaultRule>, reply: &Reply) -> String {
    let outcome = match reply.errcode {
        Some(0) if reply.status == 200 => "ok".to_string(),
        Some(code) if reply.status == 200 => format!("errcode {code}"),
        Some(code) => format!("HTTP {} errcode {code}", reply.status),
        None => format!("HTTP {}", reply.status),
    };
    let mut line = format!("#{seq} {} {} appid={} -> {outcome}", call.method, call.path, appid.unwrap_or("-"));
    if let Some(note) = &reply.note {
        line.push_str(&format!(" ({note})"));
    }
    if let Some(rule) = fault {
        let mut effects = Vec::new();
        if let Some(ms) = rule.delay_ms {
            effects.push(format!("delay {ms}ms"));
        }
        if rule.malformed {
            effects.push("malformed".to_string());
        }
        if let Some(ct) = &rule.content_type {
            effects.push(format!("content-type {ct}"));
        }
        line.push_str(&format!(" [fault{}{}]", if effects.is_empty() { "" } else { ": " }, effects.join(", ")));
    }
    if via == Via::Relay {
        line.push_str(" via relay");
    }
    line
}

fn into_response(reply: Reply) -> Response {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type = HeaderValue::from_str(&reply.content_type).unwrap_or_else(|_| HeaderValue::from_static(JSON_CONTENT_TYPE));
    let mut response = Response::new(Body::from(reply.body));
    *response.status_mut() = status;
    response.headers_mut().insert(header::CONTENT_TYPE, content_type);
    for (name, value) in &reply.headers {
        if let (Ok(name), Ok(value)) = (header::HeaderName::from_bytes(name.as_bytes()), HeaderValue::from_str(value)) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}
