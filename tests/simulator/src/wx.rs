//! WeChat's wire conventions (wechat-api.md §1): the request as a handler sees it, the reply
//! it builds, and the errcode envelope — HTTP 200, `application/json; encoding=utf-8`, an
//! errmsg ending in ` rid: xxxxxxxx-xxxxxxxx-xxxxxxxx`.

use axum::body::Bytes;
use axum::http::{HeaderMap, Method};
use serde_json::{json, Map, Value};

pub const JSON_CONTENT_TYPE: &str = "application/json; encoding=utf-8";

/// One WeChat-API request, read in full.
pub struct Call {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Bytes,
    /// The request headers (the official account's authorize page reads `X-Sim-*` from them).
    pub headers: HeaderMap,
}

impl Call {
    /// The first value of a query parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// A query parameter that must be present and non-empty, or `missing` is the errcode.
    pub fn required(&self, name: &str, missing: i64) -> Result<&str, WxErr> {
        self.param(name).filter(|v| !v.is_empty()).ok_or(WxErr(missing))
    }

    /// The body as a JSON object: empty → 44002, anything else that is not an object → 47001.
    pub fn json_object(&self) -> Result<Map<String, Value>, WxErr> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Err(WxErr(44002));
        }
        match serde_json::from_slice(&self.body) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(WxErr(47001)),
        }
    }
}

/// A string field of a JSON body: absent or empty → `missing`, not a string → 47001.
pub fn json_str<'a>(body: &'a Map<String, Value>, name: &str, missing: i64) -> Result<&'a str, WxErr> {
    match body.get(name) {
        None | Some(Value::Null) => Err(WxErr(missing)),
        Some(Value::String(s)) if s.is_empty() => Err(WxErr(missing)),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(WxErr(47001)),
    }
}

/// A WeChat business error: the handler's way of saying "answer with this errcode".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WxErr(pub i64);

/// What goes back on the wire, plus what the call log and the console line want to know.
pub struct Reply {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// 0 on success, the errcode on a WeChat error, None when the body is no WeChat JSON.
    pub errcode: Option<i64>,
    /// A short, secret-free remark for the console line (e.g. a token prefix).
    pub note: Option<String>,
    /// Further response headers (e.g. `location` of a redirect); lower-case names.
    pub headers: Vec<(&'static str, String)>,
}

impl Reply {
    /// A JSON success (or an errcode body a handler built itself).
    pub fn json(value: Value) -> Reply {
        let errcode = Some(value.get("errcode").and_then(Value::as_i64).unwrap_or(0));
        Reply {
            status: 200,
            content_type: JSON_CONTENT_TYPE.to_string(),
            body: value.to_string().into_bytes(),
            errcode,
            note: None,
            headers: Vec::new(),
        }
    }

    /// `{"errcode":0,"errmsg":"ok"}` plus further fields.
    pub fn ok_with(fields: Value) -> Reply {
        let mut value = json!({"errcode": 0, "errmsg": "ok"});
        if let (Some(target), Value::Object(extra)) = (value.as_object_mut(), fields) {
            target.extend(extra);
        }
        Reply::json(value)
    }

    pub fn error(code: i64, rid: &str) -> Reply {
        Reply::json(json!({"errcode": code, "errmsg": format!("{} rid: {rid}", errmsg(code))}))
    }

    /// A non-WeChat answer, e.g. the HTML page a load balancer sends with a 5xx.
    pub fn page(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            content_type: content_type.to_string(),
            body: body.into(),
            errcode: None,
            note: None,
            headers: Vec::new(),
        }
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Reply {
        self.note = Some(note.into());
        self
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

/// The usual English errmsg for each errcode the simulator answers with.
pub fn errmsg(code: i64) -> &'static str {
    match code {
        -1 => "system error",
        0 => "ok",
        40001 => "invalid credential, access_token is invalid or not latest",
        40002 => "invalid grant_type",
        40003 => "invalid openid",
        40004 => "invalid media type",
        40007 => "invalid media_id",
        40008 => "invalid message type",
        40009 => "invalid image size",
        40013 => "invalid appid",
        40014 => "invalid access_token",
        40029 => "invalid code",
        40097 => "invalid args",
        40125 => "invalid appsecret",
        40163 => "code been used",
        40164 => "invalid ip, not in whitelist",
        40226 => "code blocked",
        41001 => "access_token missing",
        41002 => "appid missing",
        41004 => "appsecret missing",
        41005 => "media data missing",
        41008 => "missing code",
        41009 => "missing openid",
        42001 => "access_token expired",
        43001 => "require GET method",
        43002 => "require POST method",
        44002 => "empty post data",
        45002 => "content size out of limit",
        45009 => "reach max api daily quota limit",
        45011 => "api minute-quota reach limit  mustslower  retry next minute",
        45015 => "response out of time limit or subscription is canceled",
        45047 => "out of response count limit",
        45072 => "command field invalid",
        45080 => "need to interact with the user in the last 30 seconds before setting typing",
        45081 => "already typing",
        47001 => "data format error",
        87009 => "invalid signature",
        _ => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_reply_is_a_200_json_errcode_with_a_rid() {
        let reply = Reply::error(40029, "0a1b2c3d-0a1b2c3d-0a1b2c3d");
        assert_eq!(reply.status, 200);
        assert_eq!(reply.content_type, "application/json; encoding=utf-8");
        assert_eq!(reply.errcode, Some(40029));
        let body: Value = serde_json::from_slice(&reply.body).unwrap();
        assert_eq!(body["errmsg"], "invalid code rid: 0a1b2c3d-0a1b2c3d-0a1b2c3d");
    }

    #[test]
    fn a_success_without_errcode_is_logged_as_zero() {
        assert_eq!(Reply::json(json!({"access_token": "x"})).errcode, Some(0));
        assert_eq!(Reply::ok_with(json!({"openid": "o"})).errcode, Some(0));
    }

    #[test]
    fn json_bodies_are_told_apart_from_empty_and_form_bodies() {
        let call = |body: &'static str| Call {
            method: Method::POST,
            path: "/x".into(),
            query: vec![],
            body: Bytes::from_static(body.as_bytes()),
            headers: HeaderMap::new(),
        };
        assert_eq!(call("").json_object().err(), Some(WxErr(44002)));
        assert_eq!(call("appid=wx1").json_object().err(), Some(WxErr(47001)));
        assert_eq!(call("[1]").json_object().err(), Some(WxErr(47001)));
        assert!(call(r#"{"a":1}"#).json_object().is_ok());
    }
}
