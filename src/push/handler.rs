//! `/wechat/push` and `/wechat/push/<appid>`: WeChat's message push (the customer-service
//! webhook). GET is the URL check; POST is verified, decrypted and parsed by the pure
//! pipeline, claimed once in the push ledger, and answered at once with the passive reply.

use crate::push::ledger::{self, shard_name, Claim, GetOutbox, OutboxCounts};
use crate::push::msg_crypt::MsgCrypt;
use crate::push::rules::{plan, render_with, ReplyCrypto, Rules};
use crate::push::webcrypto::{WebCrypto, THRESHOLDS};
use crate::push::{open_push_with, parse_query, verify_echo, PushError, PushQuery, PushSecrets};
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{body_bytes, random_bytes, Ctx};
use crate::shared::objects;
use crate::shared::stats::{self, counter};
use std::cell::RefCell;
use std::rc::Rc;
use worker::{Request, Response};

/// WeChat's pushes are small; anything larger is refused before it is read.
pub const MAX_BODY: usize = 64 * 1024;

fn push_error(e: PushError, aes_var: &str) -> ApiError {
    match e {
        PushError::NotConfigured => ApiError::config(aes_var, "is not set, but the push is encrypted (compatible or safe mode)"),
        // Nothing useful to an attacker: no hint which check failed.
        e if e.status() == 401 => ApiError::unauthorized(e.code(), "the push signature or timestamp is not valid"),
        e => ApiError::new(e.status(), e.code(), e.to_string()),
    }
}

/// One app's push keys as the isolate keeps them: the cipher (AES key expanded) and its
/// WebCrypto engine (key imported), built on the app's first push.
struct Keys {
    appid: String,
    aes_key: Option<String>,
    crypt: Option<Rc<MsgCrypt>>,
    engine: Rc<WebCrypto>,
}

thread_local! {
    /// By app id and EncodingAESKey, reused until the isolate goes (or the key changes).
    static KEYS: RefCell<Vec<Rc<Keys>>> = const { RefCell::new(Vec::new()) };
}

/// The keys of `appid` with `aes_key`, from the isolate's cache (at most 16 apps are kept).
async fn cached_keys(appid: &str, aes_key: Option<&str>, aes_var: &str) -> ApiResult<Rc<Keys>> {
    let found = KEYS.with(|cache| cache.borrow().iter().find(|k| k.appid == appid && k.aes_key.as_deref() == aes_key).cloned());
    if let Some(keys) = found {
        return Ok(keys);
    }
    let crypt = match aes_key {
        None => None,
        Some(key) => Some(Rc::new(
            MsgCrypt::new(key, appid)
                .map_err(|_| ApiError::config(aes_var, "is not a valid EncodingAESKey (43 letters and digits)"))?,
        )),
    };
    let engine = WebCrypto::new(crypt.as_deref(), THRESHOLDS).await.map_err(|e| ApiError::internal(e.to_string()))?;
    let keys = Rc::new(Keys { appid: appid.to_owned(), aes_key: aes_key.map(str::to_owned), crypt, engine: Rc::new(engine) });
    KEYS.with(|cache| {
        let mut cache = cache.borrow_mut();
        if cache.len() >= 16 {
            cache.remove(0);
        }
        cache.push(keys.clone());
    });
    Ok(keys)
}

fn query_pairs(req: &Request) -> Vec<(String, String)> {
    parse_query(crate::shared::urls::raw_query(&req.inner().url()))
}

/// GET: the URL check. Answers exactly `echostr` when the signature is right.
pub async fn verify_url(ctx: &Ctx, req: &Request, appid: Option<&str>) -> ApiResult<Response> {
    let app = ctx.config.app(appid)?;
    let token = app.push_token()?;
    let pairs = query_pairs(req);
    let query = PushQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let window = ctx.config.push_window()?;
    let echostr = verify_echo(token, &query, ctx.now, window).map_err(|e| push_error(e, &app.aes_key_var()))?;
    let mut resp = Response::ok(echostr).map_err(|_| ApiError::internal("could not build a response"))?;
    let _ = resp.headers_mut().set("Content-Type", "text/plain; charset=utf-8");
    Ok(resp)
}

/// POST: one message. The passive reply is computed here; slow work is left to the ledger.
pub async fn receive(ctx: &Ctx, req: &mut Request, appid: Option<&str>) -> ApiResult<Response> {
    let app = ctx.config.app(appid)?;
    let token = app.push_token()?;
    let keys = cached_keys(&app.appid, app.aes_key(), &app.aes_key_var()).await?;
    let (crypt, engine) = (&keys.crypt, keys.engine.as_ref());
    let window = ctx.config.push_window()?;
    let rules = Rules::for_app(&ctx.config, &app)?;
    let body = body_bytes(req, MAX_BODY).await?;
    let pairs = query_pairs(req);
    let query = PushQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let secrets = PushSecrets { token, crypt: crypt.as_deref(), mode: app.push_mode()? };
    let incoming = match open_push_with(engine, &secrets, &query, &body, ctx.now, window).await {
        Ok(incoming) => incoming,
        Err(e) => {
            stats::count(&app.appid, counter::PUSHES_REFUSED, ctx.now);
            return Err(push_error(e, &app.aes_key_var()));
        }
    };
    let msg = &incoming.message;
    stats::count(&app.appid, counter::PUSHES_RECEIVED, ctx.now);
    let kind = msg.event.as_deref().filter(|_| msg.msg_type == "event").unwrap_or(&msg.msg_type);
    stats::count(&app.appid, &format!("pushes.kind.{}", kind.chars().take(40).collect::<String>()), ctx.now);
    let plan = plan(&rules, msg);
    let key = msg.dedupe_key();

    // Claimed before any side effect; the ledger runs the actions only for the first claim.
    // A plan without side effects needs no claim: its passive reply is the same every time.
    let first = if plan.actions.is_empty() {
        None
    } else {
        let claim = Claim { appid: app.appid.clone(), key: key.clone(), actions: plan.actions.clone() };
        let answer = objects::call(&ctx.env, ledger::BINDING, &shard_name(&app.appid, &key), &claim).await?;
        if !answer.first {
            stats::count(&app.appid, counter::PUSHES_REDELIVERIES, ctx.now);
        }
        Some(answer.first)
    };

    let nonce = random_bytes::<4>().map(|b| u32::from_be_bytes(b).to_string())?;
    let crypto = match &crypt {
        Some(c) => Some(ReplyCrypto { crypt: c, token, nonce: &nonce, random16: random_bytes::<16>()? }),
        None => None,
    };
    let (reply, content_type) = render_with(engine, &plan.passive, incoming.format, incoming.mode, msg, ctx.now, crypto)
        .await
        .map_err(|e| push_error(PushError::Crypto(e), &app.aes_key_var()))?;
    // A push without side effects is fully described by its answer; logging each one costs
    // more than the rest of the answer under `wrangler dev` (LOG_EVERY_PUSH=true turns it on).
    if first.is_some() || ctx.config.log_every_push().unwrap_or(true) {
        crate::log_info!(
            "push app={} type={} event={} key={} first={} reply={:?} actions={}",
            app.appid,
            msg.msg_type,
            msg.event.as_deref().unwrap_or("-"),
            msg.log_key(),
            first.map_or("-", |f| if f { "yes" } else { "no (redelivery)" }),
            plan.passive,
            if first == Some(true) { plan.actions.len() } else { 0 }
        );
    }
    let mut resp = Response::ok(reply).map_err(|_| ApiError::internal("could not build a response"))?;
    let _ = resp.headers_mut().set("Content-Type", content_type);
    Ok(resp)
}

/// Claims `key` in the push ledger with one forward of `payload` to the business webhook: the
/// first claim sends it after the answer, through the durable outbox; later ones add nothing.
/// (WeChat Pay's paid orders use it: exactly one forward however many notifies.)
pub async fn claim_forward(ctx: &Ctx, appid: String, key: String, payload: String) -> ApiResult<()> {
    let shard = shard_name(&appid, &key);
    let claim = Claim { appid, key, actions: vec![crate::push::rules::Action::Forward { payload }] };
    objects::call(&ctx.env, ledger::BINDING, &shard, &claim).await.map(drop)
}

/// The push outbox of `appid`, summed over its ledger shards, for `/internal/token/status`.
pub async fn outbox_counts(ctx: &Ctx, appid: &str) -> ApiResult<OutboxCounts> {
    let mut total = OutboxCounts::default();
    for shard in ledger::shard_names(appid) {
        total.add(objects::call(&ctx.env, ledger::BINDING, &shard, &GetOutbox {}).await?);
    }
    Ok(total)
}
