//! The route table: every path the Worker answers, with its method, written once. The router
//! dispatches on the [`Route`] it finds, and a 405's `Allow` list is read from the same table.

/// Everything the Worker answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Health,
    OpenApi,
    Login,
    Me,
    Logout,
    UserDecrypt,
    UserVerify,
    Phone,
    ApiQrcode,
    InternalQrcode,
    InternalLink,
    OaQrcode,
    CustomMessage,
    Typing,
    SubscribeMessage,
    MediaUpload,
    Templates,
    Analytics,
    SecurityText,
    PushUrlCheck,
    Push,
    Token,
    TokenRefresh,
    TokenStatus,
    RevokeSessions,
    Users,
    ForgetUser,
    OauthStart,
    OauthCallback,
    WebSession,
    JssdkConfig,
    OaTemplateMessage,
    OaSubscribeMessage,
    OaUser,
    ScanLoginStart,
    ScanLoginWait,
    PayOrderInternal,
    PayOrderApi,
    PayOrderGet,
    PayOrderClose,
    PayNotify,
    PayReconcile,
    PayRefund,
    PayRefundGet,
    PayShipping,
    Stats,
    Admin,
    AdminLogin,
    AdminStats,
    AdminScript,
}

/// One path segment of a route: a fixed word, or a parameter the handler receives.
#[derive(Debug, Clone, Copy)]
enum Seg {
    Lit(&'static str),
    Param,
}

use Seg::{Lit, Param};

const TABLE: &[(&str, &[Seg], Route)] = &[
    ("GET", &[Lit("health")], Route::Health),
    ("GET", &[Lit("openapi.yaml")], Route::OpenApi),
    ("POST", &[Lit("api"), Lit("login")], Route::Login),
    ("GET", &[Lit("api"), Lit("me")], Route::Me),
    ("POST", &[Lit("api"), Lit("logout")], Route::Logout),
    ("POST", &[Lit("api"), Lit("user"), Lit("decrypt")], Route::UserDecrypt),
    ("POST", &[Lit("api"), Lit("user"), Lit("verify")], Route::UserVerify),
    ("POST", &[Lit("api"), Lit("phone")], Route::Phone),
    ("POST", &[Lit("api"), Lit("qrcode")], Route::ApiQrcode),
    ("POST", &[Lit("internal"), Lit("qrcode"), Param], Route::InternalQrcode),
    ("POST", &[Lit("internal"), Lit("links"), Param], Route::InternalLink),
    ("POST", &[Lit("internal"), Lit("oa"), Lit("qrcode")], Route::OaQrcode),
    ("POST", &[Lit("internal"), Lit("messages"), Lit("custom")], Route::CustomMessage),
    ("POST", &[Lit("internal"), Lit("messages"), Lit("typing")], Route::Typing),
    ("POST", &[Lit("internal"), Lit("messages"), Lit("subscribe")], Route::SubscribeMessage),
    ("POST", &[Lit("internal"), Lit("media"), Lit("upload")], Route::MediaUpload),
    ("GET", &[Lit("internal"), Lit("templates")], Route::Templates),
    ("POST", &[Lit("internal"), Lit("analytics"), Param], Route::Analytics),
    ("POST", &[Lit("internal"), Lit("security"), Lit("text")], Route::SecurityText),
    ("GET", &[Lit("wechat"), Lit("push")], Route::PushUrlCheck),
    ("GET", &[Lit("wechat"), Lit("push"), Param], Route::PushUrlCheck),
    ("POST", &[Lit("wechat"), Lit("push")], Route::Push),
    ("POST", &[Lit("wechat"), Lit("push"), Param], Route::Push),
    ("GET", &[Lit("internal"), Lit("token")], Route::Token),
    ("POST", &[Lit("internal"), Lit("token"), Lit("refresh")], Route::TokenRefresh),
    ("GET", &[Lit("internal"), Lit("token"), Lit("status")], Route::TokenStatus),
    ("DELETE", &[Lit("internal"), Lit("sessions")], Route::RevokeSessions),
    ("GET", &[Lit("internal"), Lit("users")], Route::Users),
    ("DELETE", &[Lit("internal"), Lit("users")], Route::ForgetUser),
    ("GET", &[Lit("oauth"), Lit("start")], Route::OauthStart),
    ("GET", &[Lit("oauth"), Lit("callback")], Route::OauthCallback),
    ("POST", &[Lit("api"), Lit("oa"), Lit("session")], Route::WebSession),
    ("GET", &[Lit("api"), Lit("oa"), Lit("jssdk-config")], Route::JssdkConfig),
    ("POST", &[Lit("internal"), Lit("oa"), Lit("messages"), Lit("template")], Route::OaTemplateMessage),
    ("POST", &[Lit("internal"), Lit("oa"), Lit("messages"), Lit("subscribe")], Route::OaSubscribeMessage),
    ("GET", &[Lit("internal"), Lit("oa"), Lit("users"), Param], Route::OaUser),
    ("POST", &[Lit("api"), Lit("oa"), Lit("scan-login")], Route::ScanLoginStart),
    ("GET", &[Lit("api"), Lit("oa"), Lit("scan-login"), Param], Route::ScanLoginWait),
    ("POST", &[Lit("internal"), Lit("pay"), Lit("orders")], Route::PayOrderInternal),
    ("POST", &[Lit("api"), Lit("pay"), Lit("orders")], Route::PayOrderApi),
    ("GET", &[Lit("internal"), Lit("pay"), Lit("orders"), Param], Route::PayOrderGet),
    ("POST", &[Lit("internal"), Lit("pay"), Lit("orders"), Param, Lit("close")], Route::PayOrderClose),
    ("POST", &[Lit("wechat"), Lit("pay"), Lit("notify")], Route::PayNotify),
    ("POST", &[Lit("wechat"), Lit("pay"), Lit("notify"), Param], Route::PayNotify),
    ("POST", &[Lit("internal"), Lit("pay"), Lit("reconcile")], Route::PayReconcile),
    ("POST", &[Lit("internal"), Lit("pay"), Lit("refunds")], Route::PayRefund),
    ("GET", &[Lit("internal"), Lit("pay"), Lit("refunds"), Param], Route::PayRefundGet),
    ("POST", &[Lit("internal"), Lit("pay"), Lit("shipping")], Route::PayShipping),
    ("GET", &[Lit("internal"), Lit("stats")], Route::Stats),
    ("GET", &[Lit("admin")], Route::Admin),
    ("POST", &[Lit("admin"), Lit("login")], Route::AdminLogin),
    ("GET", &[Lit("admin"), Lit("stats.json")], Route::AdminStats),
    ("GET", &[Lit("admin"), Lit("status.js")], Route::AdminScript),
];

/// What the table says of a request.
#[derive(Debug, PartialEq, Eq)]
pub enum Found<'a> {
    /// The route, with the path's parameters in order.
    Route(Route, Vec<&'a str>),
    /// The path exists with other methods: a 405 with this `Allow`.
    MethodNotAllowed(String),
    NotFound,
}

fn matches<'a>(pattern: &[Seg], segments: &[&'a str]) -> Option<Vec<&'a str>> {
    if pattern.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (seg, actual) in pattern.iter().zip(segments) {
        match seg {
            Lit(word) if word == actual => {}
            Lit(_) => return None,
            Param if actual.is_empty() => return None,
            Param => params.push(*actual),
        }
    }
    Some(params)
}

/// Looks up `method` (upper case, as sent) and `path`.
pub fn find<'a>(method: &str, path: &'a str) -> Found<'a> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut allow: Vec<&str> = Vec::new();
    for (m, pattern, route) in TABLE {
        if let Some(params) = matches(pattern, &segments) {
            if *m == method {
                return Found::Route(*route, params);
            }
            if !allow.contains(m) {
                allow.push(m);
            }
        }
    }
    if allow.is_empty() {
        Found::NotFound
    } else {
        Found::MethodNotAllowed(allow.join(", "))
    }
}

#[cfg(test)]
mod tests;
