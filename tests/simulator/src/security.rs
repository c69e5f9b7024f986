//! Content security (wechat-api.md §12.1): `POST /wxa/msg_sec_check`. Version 2 checks the
//! body (44002 a required field empty, 40129 a bad scene, 47001 a bad shape, 40003 an openid
//! that is not the app's) and judges the text by a list of risky words (default `违禁词`,
//! changed with `POST /_sim/risky_words`): a hit is `risky` / label 20001, else `pass` / 100,
//! both errcode 0 with a `trace_id`. A body without `version: 2` gets version 1's answer
//! (87014 `risky content` or ok).

use crate::control::{parse, query, resolve_appid, Ctl, CtlError};
use crate::ids;
use crate::state::Sim;
use crate::subscribe::wx_error;
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use axum::body::Bytes;
use axum::extract::{RawQuery, State as Shared};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub const DEFAULT_RISKY_WORDS: [&str; 1] = ["违禁词"];
pub const CONTENT_MAX_CHARS: usize = 2500;
/// The label a risky word is given (20001: politics, as WeChat's own example shows).
pub const RISKY_LABEL: i64 = 20001;

pub fn default_risky_words() -> Vec<String> {
    DEFAULT_RISKY_WORDS.iter().map(|w| w.to_string()).collect()
}

/// `POST /wxa/msg_sec_check?access_token=` with `{"content","version":2,"scene","openid",
/// "title"?,"nickname"?,"signature"?}`.
pub fn msg_sec_check(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    let app = guard.apps.get(&appid).ok_or(WxErr(40013))?;
    let version = match body.get("version") {
        None | Some(Value::Null) => 1,
        Some(v) => match v.as_i64() {
            Some(n @ (1 | 2)) => n,
            _ => return Err(WxErr(47001)),
        },
    };
    let texts = texts_of(&body, version)?;
    if version == 2 {
        let openid = match body.get("openid") {
            None | Some(Value::Null) => return Err(WxErr(44002)),
            Some(Value::String(s)) if s.is_empty() => return Err(WxErr(44002)),
            Some(Value::String(s)) => s,
            Some(_) => return Err(WxErr(47001)),
        };
        if !app.users.contains_key(openid) {
            return Err(WxErr(40003));
        }
    }
    let hit = app.risky_words.iter().find(|w| !w.is_empty() && texts.iter().any(|t| t.contains(w.as_str()))).cloned();
    if version != 2 {
        return Ok(match hit {
            Some(_) => wx_error(&mut guard, 87014, "risky content"),
            None => Reply::ok_with(json!({})),
        });
    }
    let trace_id = ids::rid(&mut guard.rng);
    let (suggest, label) = match hit {
        Some(_) => ("risky", RISKY_LABEL),
        None => ("pass", 100),
    };
    let mut keyword = json!({"strategy": "keyword", "errcode": 0, "suggest": suggest, "label": label});
    if let Some(word) = &hit {
        keyword["level"] = json!(20);
        keyword["keyword"] = json!(word);
    }
    let detail = json!([
        {"strategy": "content_model", "errcode": 0, "suggest": suggest, "label": label, "prob": 90},
        keyword,
    ]);
    Ok(Reply::ok_with(json!({
        "trace_id": trace_id,
        "result": {"suggest": suggest, "label": label},
        "detail": detail,
    }))
    .with_note(format!("{suggest} {label}")))
}

/// The texts to judge, after the body checks: content (44002 when empty, 47001 past 2500
/// characters), and for version 2 a scene 1–4 (40129) and the optional title, nickname and
/// signature (signature only for scene 1).
fn texts_of(body: &Map<String, Value>, version: i64) -> Result<Vec<&str>, WxErr> {
    let content = match body.get("content") {
        None | Some(Value::Null) => return Err(WxErr(44002)),
        Some(Value::String(s)) if s.is_empty() => return Err(WxErr(44002)),
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(WxErr(47001)),
    };
    if content.chars().count() > CONTENT_MAX_CHARS {
        return Err(WxErr(47001));
    }
    let mut texts = vec![content];
    if version != 2 {
        return Ok(texts);
    }
    let scene = body.get("scene").and_then(Value::as_i64).filter(|s| (1..=4).contains(s)).ok_or(WxErr(40129))?;
    for field in ["title", "nickname", "signature"] {
        match body.get(field) {
            None | Some(Value::Null) => {}
            Some(Value::String(_)) if field == "signature" && scene != 1 => return Err(WxErr(47001)),
            Some(Value::String(s)) => texts.push(s),
            Some(_) => return Err(WxErr(47001)),
        }
    }
    Ok(texts)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskyWordsRequest {
    appid: Option<String>,
    risky_words: Vec<String>,
}

/// `POST /_sim/risky_words {"appid"?, "risky_words": [..]}` replaces the list (empty: nothing
/// is risky) → `{"appid","risky_words"}`.
pub async fn set_risky_words(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: RiskyWordsRequest = parse(&body)?;
    if req.risky_words.iter().any(String::is_empty) {
        return Err(CtlError::bad("risky words must not be empty strings"));
    }
    let mut state = sim.lock();
    let appid = resolve_appid(&state, req.appid.as_deref())?;
    let app = state.apps.get_mut(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    app.risky_words = req.risky_words;
    Ok(Json(json!({"appid": appid, "risky_words": app.risky_words})))
}

/// `GET /_sim/risky_words?appid=` → `{"appid","risky_words"}`.
pub async fn risky_words(Shared(sim): Shared<Arc<Sim>>, RawQuery(raw): RawQuery) -> Ctl {
    let q = query(raw);
    let state = sim.lock();
    let appid = resolve_appid(&state, q.get("appid").map(String::as_str))?;
    let app = state.apps.get(&appid).ok_or_else(|| CtlError::bad("unknown appid"))?;
    Ok(Json(json!({"appid": appid, "risky_words": app.risky_words})))
}
