//! Notifies to the merchant (wechat-pay.md §5, §6, §10 items 8–9): the envelope with its
//! resource sealed by the APIv3 key, signed like an answer, POSTed with a 5 s limit, and
//! redelivered on the §5 schedule (time-compressible) until a 2xx. Tests can also send a
//! notify again on purpose, all at once, or spoiled in one named way (`Tamper`).

use super::keys::{self, PlatformKey};
use super::merchant::KeyMode;
use super::orders::transaction;
use super::store::{NotifyAttempt, RefundRecord, RETRY_INTERVALS};
use crate::state::{Sim, State};
use rand::Rng;
use serde::Deserialize;
use serde_json::{json, Value};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinSet;

/// One way to spoil a notify, as `POST /_sim/pay/notify` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tamper {
    /// A valid-looking signature over something else.
    Signature,
    /// The body changed after signing.
    Body,
    /// Signed, but `Wechatpay-Serial` names a key the merchant never got.
    Serial,
    /// Signed with a timestamp ten minutes old.
    Timestamp,
    /// A correctly signed and encrypted notify whose `amount.total` is one fen more.
    Amount,
    /// A correctly signed and encrypted notify for another merchant number.
    Mchid,
    /// A `WECHATPAY/SIGNTEST/` probe (§2.3).
    Probe,
}

impl Tamper {
    pub fn name(self) -> &'static str {
        match self {
            Tamper::Signature => "signature",
            Tamper::Body => "body",
            Tamper::Serial => "serial",
            Tamper::Timestamp => "timestamp",
            Tamper::Amount => "amount",
            Tamper::Mchid => "mchid",
            Tamper::Probe => "probe",
        }
    }
}

/// A notify ready to deliver: where, which body, and which order it is about.
#[derive(Clone, Debug)]
pub struct Job {
    pub mchid: String,
    pub out_trade_no: String,
    pub out_refund_no: Option<String>,
    pub notify_id: String,
    pub event_type: String,
    pub url: String,
    pub body: String,
    pub tamper: Option<Tamper>,
}

fn alnum(rng: &mut impl Rng, len: usize) -> String {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..len).map(|_| char::from(ALNUM[rng.gen_range(0..ALNUM.len())])).collect()
}

fn uuid(rng: &mut impl Rng) -> String {
    let h = hex::encode(rng.gen::<[u8; 16]>());
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// The §5 envelope around `plaintext`, sealed with the merchant's APIv3 key.
fn envelope(
    state: &mut State,
    apiv3_key: &str,
    event_type: &str,
    summary: &str,
    kind: &str,
    plaintext: &Value,
    now: i64,
) -> Result<(String, String), String> {
    let nonce = alnum(&mut state.rng, 12);
    let id = uuid(&mut state.rng);
    let ciphertext = keys::seal(apiv3_key, &nonce, kind, plaintext.to_string().as_bytes())?;
    // Compact JSON in WeChat's key order (serde_json keeps insertion order only with a feature;
    // the envelope is written by hand so its bytes are stable).
    let body = format!(
        r#"{{"id":"{id}","create_time":"{}","resource_type":"encrypt-resource","event_type":"{event_type}","summary":"{summary}","resource":{{"original_type":"{kind}","algorithm":"AEAD_AES_256_GCM","ciphertext":"{ciphertext}","associated_data":"{kind}","nonce":"{nonce}"}}}}"#,
        super::fields::beijing(now)
    );
    Ok((id, body))
}

/// The `TRANSACTION.SUCCESS` notify of a paid order; `tamper` Amount/Mchid change the plaintext.
pub fn payment_job(state: &mut State, mchid: &str, out_trade_no: &str, tamper: Option<Tamper>, now: i64) -> Result<Job, String> {
    let key = (mchid.to_string(), out_trade_no.to_string());
    let order = state.pay.orders.get(&key).ok_or("no such order")?;
    if !order.state.paid() {
        return Err("the order is not paid: nothing to notify".into());
    }
    let apiv3_key = state.pay.merchants.get(mchid).map(|m| m.config.apiv3_key.clone()).ok_or("no such merchant")?;
    let url = order.notify_url.clone();
    let stored = order.notify_body.clone();
    let mut plain = transaction(order);
    if plain["trade_state"] == "REFUND" {
        // The notify is about the payment: it said SUCCESS when it was sent.
        plain["trade_state"] = json!("SUCCESS");
        plain["trade_state_desc"] = json!("支付成功");
    }
    let (id, body) = match (tamper, stored) {
        (Some(Tamper::Amount), _) => {
            plain["amount"]["total"] = json!(plain["amount"]["total"].as_u64().unwrap_or(0) + 1);
            plain["amount"]["payer_total"] = plain["amount"]["total"].clone();
            envelope(state, &apiv3_key, "TRANSACTION.SUCCESS", "支付成功", "transaction", &plain, now)?
        }
        (Some(Tamper::Mchid), _) => {
            plain["mchid"] = json!(other_mchid(mchid));
            envelope(state, &apiv3_key, "TRANSACTION.SUCCESS", "支付成功", "transaction", &plain, now)?
        }
        (_, Some(body)) => (notify_id_of(&body), body),
        (_, None) => {
            let (id, body) = envelope(state, &apiv3_key, "TRANSACTION.SUCCESS", "支付成功", "transaction", &plain, now)?;
            if let Some(order) = state.pay.orders.get_mut(&key) {
                order.notify_body = Some(body.clone());
            }
            (id, body)
        }
    };
    Ok(Job {
        mchid: mchid.to_string(),
        out_trade_no: out_trade_no.to_string(),
        out_refund_no: None,
        notify_id: id,
        event_type: "TRANSACTION.SUCCESS".into(),
        url,
        body,
        tamper,
    })
}

/// The `REFUND.*` notify of a refund in its current status.
pub fn refund_job(state: &mut State, refund: &RefundRecord, url: &str, tamper: Option<Tamper>, now: i64) -> Result<Job, String> {
    let apiv3_key = state.pay.merchants.get(&refund.mchid).map(|m| m.config.apiv3_key.clone()).ok_or("no such merchant")?;
    let (event, summary) = match refund.status {
        "SUCCESS" => ("REFUND.SUCCESS", "退款成功"),
        "ABNORMAL" => ("REFUND.ABNORMAL", "退款异常"),
        "CLOSED" => ("REFUND.CLOSED", "退款关闭"),
        _ => return Err("the refund is still processing: nothing to notify".into()),
    };
    let mut plain = json!({
        "mchid": refund.mchid,
        "transaction_id": refund.transaction_id,
        "out_trade_no": refund.out_trade_no,
        "refund_id": refund.refund_id,
        "out_refund_no": refund.out_refund_no,
        "refund_status": refund.status,
        "user_received_account": "支付用户零钱",
        "amount": {"total": refund.total, "refund": refund.refund, "payer_total": refund.total, "payer_refund": refund.refund},
    });
    if let Some(at) = refund.success_time {
        plain["success_time"] = json!(super::fields::beijing(at));
    }
    match tamper {
        Some(Tamper::Amount) => plain["amount"]["refund"] = json!(refund.refund + 1),
        Some(Tamper::Mchid) => plain["mchid"] = json!(other_mchid(&refund.mchid)),
        _ => {}
    }
    // The refund notify's AAD is "refund" (unconfirmed, wechat-pay.md §10 item 10).
    let (id, body) = envelope(state, &apiv3_key, event, summary, "refund", &plain, now)?;
    Ok(Job {
        mchid: refund.mchid.clone(),
        out_trade_no: refund.out_trade_no.clone(),
        out_refund_no: Some(refund.out_refund_no.clone()),
        notify_id: id,
        event_type: event.into(),
        url: url.to_string(),
        body,
        tamper,
    })
}

fn other_mchid(mchid: &str) -> String {
    if mchid == "1900000109" { "1900000110" } else { "1900000109" }.to_string()
}

fn notify_id_of(body: &str) -> String {
    serde_json::from_str::<Value>(body).ok().and_then(|v| v["id"].as_str().map(str::to_string)).unwrap_or_default()
}

/// The headers and body of one delivery, signed now.
struct Signed {
    headers: Vec<(&'static str, String)>,
    body: String,
    serial: String,
}

fn sign(sim: &Sim, job: &Job) -> Signed {
    let now = sim.clock.now();
    let mut state = sim.lock();
    let mode = state.pay.merchants.get(&job.mchid).map_or(KeyMode::PublicKey, |m| m.config.mode);
    let ratio = state.pay.settings.migration_notify_ratio;
    let key = match mode {
        KeyMode::PublicKey => PlatformKey::PublicKey,
        KeyMode::Certificate => PlatformKey::Certificate,
        KeyMode::Migration if state.rng.gen_bool(ratio) => PlatformKey::PublicKey,
        KeyMode::Migration => PlatformKey::Certificate,
    };
    let nonce = hex::encode(state.rng.gen::<[u8; 16]>());
    let request_id = format!("{:016X}", state.rng.gen::<u64>());
    drop(state);
    let timestamp = if job.tamper == Some(Tamper::Timestamp) { now - 600 } else { now }.to_string();
    let message = format!("{timestamp}\n{nonce}\n{}\n", job.body);
    let mut signature = key.sign(message.as_bytes());
    let mut serial = key.serial().to_string();
    let mut body = job.body.clone();
    match job.tamper {
        Some(Tamper::Signature) => signature = key.sign(format!("{message}x").as_bytes()),
        Some(Tamper::Probe) => signature = format!("WECHATPAY/SIGNTEST/{}", &signature[..40]),
        Some(Tamper::Serial) => {
            serial = match key {
                PlatformKey::PublicKey => "PUB_KEY_ID_0000000000000000000000000000000000".into(),
                PlatformKey::Certificate => "0".repeat(40),
            }
        }
        Some(Tamper::Body) => body = body.replacen("\"id\":\"", "\"id\":\"x", 1),
        _ => {}
    }
    let headers = vec![
        ("wechatpay-timestamp", timestamp),
        ("wechatpay-nonce", nonce),
        ("wechatpay-signature", signature),
        ("wechatpay-serial", serial.clone()),
        ("wechatpay-signature-type", "WECHATPAY2-SHA256-RSA2048".into()),
        ("request-id", request_id),
        ("user-agent", "Mozilla/4.0".into()),
        ("content-type", "application/json".into()),
    ];
    Signed { headers, body, serial }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// One delivery, logged.
async fn deliver_once(sim: &Sim, job: &Job, attempt: u32) -> NotifyAttempt {
    let at = sim.clock.now();
    let timeout = Duration::from_millis(sim.lock().pay.settings.notify_timeout_ms);
    let signed = sign(sim, job);
    let mut request = client().post(&job.url).timeout(timeout).body(signed.body.clone());
    for (name, value) in &signed.headers {
        request = request.header(*name, value);
    }
    let started = Instant::now();
    let result = match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            response.text().await.map(|text| (status, text))
        }
        Err(e) => Err(e),
    };
    let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let (outcome, status, answer) = match result {
        Ok((status, text)) => {
            let outcome = if (200..300).contains(&status) { "answered".to_string() } else { format!("http_{status}") };
            (outcome, Some(status), Some(text.chars().take(1000).collect::<String>()))
        }
        Err(e) if e.is_timeout() => ("timeout".into(), None, None),
        Err(_) => ("connection_error".into(), None, None),
    };
    let accepted = status.is_some_and(|s| (200..300).contains(&s));
    let entry = NotifyAttempt {
        seq: 0,
        notify_id: job.notify_id.clone(),
        event_type: job.event_type.clone(),
        mchid: job.mchid.clone(),
        out_trade_no: job.out_trade_no.clone(),
        out_refund_no: job.out_refund_no.clone(),
        attempt,
        url: job.url.clone(),
        at,
        outcome,
        status,
        answer,
        elapsed_ms,
        serial: signed.serial,
        tamper: job.tamper.map(|t| t.name().to_string()),
        accepted,
    };
    let entry = sim.lock().pay.log_notify(entry);
    if sim.config.print_log {
        println!("pay notify {} {} attempt {attempt} -> {}", job.event_type, job.out_trade_no, entry.outcome);
        let _ = std::io::stdout().flush();
    }
    entry
}

/// Delivers once now; if that is not a 2xx, redelivers in the background on the §5 schedule
/// (scaled by `time_scale`) up to `max_notify_deliveries`. Answers the first delivery.
pub async fn deliver(sim: Arc<Sim>, job: Job) -> NotifyAttempt {
    let first = deliver_once(&sim, &job, 1).await;
    if !first.accepted {
        tokio::spawn(async move {
            let mut attempt = 1;
            loop {
                let (max, wait) = {
                    let state = sim.lock();
                    let interval = RETRY_INTERVALS.get(attempt as usize - 1).copied().unwrap_or(21_600);
                    (state.pay.settings.max_notify_deliveries, state.pay.settings.scaled_ms(interval))
                };
                if attempt >= max {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(wait)).await;
                attempt += 1;
                if deliver_once(&sim, &job, attempt).await.accepted {
                    break;
                }
            }
        });
    }
    first
}

/// Delivers `times` copies, one after another or all at once, with no retries: WeChat's
/// duplicates (a lost answer, a redelivery racing the first).
pub async fn deliver_copies(sim: Arc<Sim>, job: Job, times: u32, concurrent: bool) -> Vec<NotifyAttempt> {
    if !concurrent {
        let mut done = Vec::new();
        for attempt in 1..=times {
            done.push(deliver_once(&sim, &job, attempt).await);
        }
        return done;
    }
    let mut tasks = JoinSet::new();
    for attempt in 1..=times {
        let (sim, job) = (sim.clone(), job.clone());
        tasks.spawn(async move { deliver_once(&sim, &job, attempt).await });
    }
    let mut done = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        if let Ok(entry) = joined {
            done.push(entry);
        }
    }
    done.sort_by_key(|e| e.attempt);
    done
}
