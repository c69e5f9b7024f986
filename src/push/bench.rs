//! `POST /_bench/push`, compiled only with the `bench` feature (`scripts/bench.sh` builds a
//! separate Worker with it; the deployed Worker has no such route): runs the push pipeline `n`
//! times inside workerd on one push case, so its cost can be measured where it really runs.
//!
//! Body: `{"case": <a target/bench-inputs push case>, "n": 1000, "engine": "webcrypto"}`;
//! engines: `software` (RustCrypto in wasm), `software-await` (the same plus one await of a
//! resolved promise per primitive: the cost of the await alone), `webcrypto` (the Worker's
//! choice, `push::webcrypto::THRESHOLDS`), `webcrypto-all`, `webcrypto-aes`, `webcrypto-sha1`
//! (every AES and/or SHA-1 in WebCrypto). `POST /_bench/primitive` times one primitive alone. The answer says whether the reply
//! equals `expected_reply`; the client times requests with `n` and with 0 and divides, so the
//! runtime's own per-request cost cancels out.

use crate::push::engine::{Engine, Software};
use crate::push::msg_crypt::MsgCrypt;
use crate::push::rules::{plan, render_with, ReplyCrypto, Rules};
use crate::push::webcrypto::{Thresholds, WebCrypto, THRESHOLDS};
use crate::push::{open_push_with, parse_query, PushQuery, PushSecrets};
use crate::shared::config::{AppType, PushMode};
use crate::shared::error::{ApiError, ApiResult};
use serde::Deserialize;
use serde_json::json;
use worker::{Request, Response};

/// Software crypto plus one await of an already resolved promise per primitive: what the
/// await alone costs, without WebCrypto.
struct SoftwareAwait;

async fn resolved() {
    let _ = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&wasm_bindgen::JsValue::NULL)).await;
}

impl Engine for SoftwareAwait {
    async fn sha1(&self, parts: &[&[u8]]) -> Result<[u8; 20], crate::shared::crypto::CryptoError> {
        resolved().await;
        Software.sha1(parts).await
    }
    async fn cbc_decrypt(&self, crypt: &MsgCrypt, ct: Vec<u8>) -> Result<Vec<u8>, crate::shared::crypto::CryptoError> {
        resolved().await;
        Software.cbc_decrypt(crypt, ct).await
    }
    async fn cbc_encrypt(&self, crypt: &MsgCrypt, pt: Vec<u8>) -> Result<Vec<u8>, crate::shared::crypto::CryptoError> {
        resolved().await;
        Software.cbc_encrypt(crypt, pt).await
    }
}

#[derive(Deserialize)]
struct Case {
    token: String,
    encoding_aes_key: String,
    appid: String,
    query: String,
    body: String,
    now: u64,
    reply_nonce: String,
    reply_random16: String,
    expected_reply: String,
}

#[derive(Deserialize)]
struct Job {
    case: Case,
    n: u32,
    engine: String,
}

/// One push as the `/wechat/push` handler runs it, minus storage; the reply body.
async fn run_once(
    engine: &impl Engine,
    case: &Case,
    crypt: &MsgCrypt,
    rules: &Rules,
    random16: [u8; 16],
) -> Result<String, String> {
    let pairs = parse_query(&case.query);
    let query = PushQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let secrets = PushSecrets { token: &case.token, crypt: Some(crypt), mode: PushMode::Plain };
    let incoming =
        open_push_with(engine, &secrets, &query, case.body.as_bytes(), case.now, 300).await.map_err(|e| e.to_string())?;
    let plan = plan(rules, &incoming.message);
    let crypto = ReplyCrypto { crypt, token: &case.token, nonce: &case.reply_nonce, random16 };
    let (reply, _) =
        render_with(engine, &plan.passive, incoming.format, incoming.mode, &incoming.message, case.now, Some(crypto))
            .await
            .map_err(|e| e.to_string())?;
    Ok(reply)
}

async fn run_n(engine: &impl Engine, job: &Job, crypt: &MsgCrypt, random16: [u8; 16]) -> Result<bool, String> {
    let rules = Rules {
        app_type: AppType::MiniProgram,
        greeting: "您好，有什么能帮助你?".into(),
        transfer: true,
        keywords: Vec::new(),
        forward: false,
    };
    let mut same = true;
    for _ in 0..job.n {
        same &= run_once(engine, &job.case, crypt, &rules, random16).await? == job.case.expected_reply;
    }
    Ok(same)
}

enum Chosen {
    Software,
    SoftwareAwait,
    Web(WebCrypto),
}

const ALL: Thresholds = Thresholds { decrypt: 0, encrypt: 0, sha1: 0 };
const WASM: Thresholds = Thresholds { decrypt: usize::MAX, encrypt: usize::MAX, sha1: usize::MAX };

async fn engine_named(name: &str, crypt: &MsgCrypt) -> ApiResult<Chosen> {
    let from = match name {
        "software" => return Ok(Chosen::Software),
        "software-await" => return Ok(Chosen::SoftwareAwait),
        "webcrypto" => THRESHOLDS,
        "webcrypto-all" => ALL,
        "webcrypto-aes" => Thresholds { sha1: usize::MAX, ..ALL },
        "webcrypto-sha1" => Thresholds { sha1: 0, ..WASM },
        other => return Err(ApiError::bad_request("bad_engine", format!("unknown engine `{other}`"))),
    };
    Ok(Chosen::Web(WebCrypto::new(Some(crypt), from).await.map_err(|e| ApiError::internal(e.to_string()))?))
}

#[derive(Deserialize)]
struct PrimitiveJob {
    op: String,
    engine: String,
    len: usize,
    n: u32,
}

/// `POST /_bench/primitive`: one primitive `n` times on `len` bytes (a multiple of 16), to
/// find from which length WebCrypto beats wasm.
pub async fn primitive(req: &mut Request) -> ApiResult<Response> {
    let job: PrimitiveJob = req.json().await.map_err(|e| ApiError::bad_request("bad_bench_job", e.to_string()))?;
    let crypt = MsgCrypt::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx2c2769f8efd9abc2")
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let engine = match engine_named(&job.engine, &crypt).await? {
        Chosen::Web(web) => web,
        _ => WebCrypto::new(Some(&crypt), WASM).await.map_err(|e| ApiError::internal(e.to_string()))?,
    };
    let data = vec![0x5a_u8; job.len];
    let mut check = 0usize;
    for _ in 0..job.n {
        let out = match job.op.as_str() {
            "sha1" => engine.sha1(&[&data]).await.map(|d| d.to_vec()),
            "cbc_decrypt" => engine.cbc_decrypt(&crypt, data.clone()).await,
            "cbc_encrypt" => engine.cbc_encrypt(&crypt, data.clone()).await,
            other => return Err(ApiError::bad_request("bad_op", format!("unknown op `{other}`"))),
        };
        check = check.wrapping_add(out.map_err(|e| ApiError::internal(e.to_string()))?.len());
    }
    Response::from_json(&json!({ "n": job.n, "bytes_out": check })).map_err(|_| ApiError::internal("could not build a response"))
}

pub async fn run(req: &mut Request) -> ApiResult<Response> {
    let job: Job = req.json().await.map_err(|e| ApiError::bad_request("bad_bench_job", e.to_string()))?;
    let crypt = MsgCrypt::new(&job.case.encoding_aes_key, &job.case.appid)
        .map_err(|e| ApiError::bad_request("bad_key", e.to_string()))?;
    let random16: [u8; 16] = hex::decode(&job.case.reply_random16)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::bad_request("bad_random", "reply_random16 is not 16 hex bytes"))?;
    let same = match engine_named(&job.engine, &crypt).await? {
        Chosen::Software => run_n(&Software, &job, &crypt, random16).await,
        Chosen::SoftwareAwait => run_n(&SoftwareAwait, &job, &crypt, random16).await,
        Chosen::Web(web) => run_n(&web, &job, &crypt, random16).await,
    }
    .map_err(|e| ApiError::bad_request("push_refused", e))?;
    Response::from_json(&json!({ "n": job.n, "reply_matches": same }))
        .map_err(|_| ApiError::internal("could not build a response"))
}
