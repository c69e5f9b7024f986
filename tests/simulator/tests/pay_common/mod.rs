//! Shared by the WeChat Pay tests: a simulator with the test merchant, requests signed the way
//! a merchant signs them (its own RSA here, not the simulator's), and a notify URL that checks
//! each notify as a merchant must (signature by `Wechatpay-Serial`, timestamp, AES-GCM) and
//! answers as scripted.
#![allow(dead_code)]

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};
use sha2::Sha256;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wechat_sim::pay::keys::{self, TEST_APIV3_KEY, TEST_MCHID, TEST_MERCHANT_KEY_PEM, TEST_MERCHANT_SERIAL};
use wechat_sim::{MerchantConfig, PaySetup};

use crate::common::{spawn_sim_with, test_config, TestSim, APPID};

pub async fn spawn_pay_sim() -> TestSim {
    let mut config = test_config();
    config.pay = PaySetup { merchants: vec![MerchantConfig::test_merchant()], time_scale: Some(0.001) };
    spawn_sim_with(config).await
}

/// An answer of the WeChat Pay API, headers included.
pub struct PayAnswer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl PayAnswer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Checks the answer's signature as a merchant would: the key its serial names.
    pub fn verified(&self) -> bool {
        let (Some(ts), Some(nonce), Some(sig), Some(serial)) = (
            self.header("wechatpay-timestamp"),
            self.header("wechatpay-nonce"),
            self.header("wechatpay-signature"),
            self.header("wechatpay-serial"),
        ) else {
            return false;
        };
        platform_verify(serial, format!("{ts}\n{nonce}\n{}\n", self.body).as_bytes(), sig)
    }
}

/// The platform key a serial names (public key id or certificate serial), verifying.
pub fn platform_verify(serial: &str, message: &[u8], signature_b64: &str) -> bool {
    let spki = if serial == keys::PUBLIC_KEY_ID {
        pem_body(keys::PUBLIC_KEY_PEM)
    } else if serial == keys::CERTIFICATE_SERIAL {
        certificate_spki()
    } else {
        return false;
    };
    let key = RsaPublicKey::from_public_key_der(&spki).unwrap();
    let Ok(bytes) = STANDARD.decode(signature_b64) else { return false };
    let Ok(signature) = Signature::try_from(bytes.as_slice()) else { return false };
    VerifyingKey::<Sha256>::new(key).verify(message, &signature).is_ok()
}

/// The certificate's public key (SPKI DER), cut out of the certificate: the only sequence
/// starting `30 82 01 22 30 0d 06 09 2a 86 48 86 f7 0d 01 01 01` in it.
pub fn certificate_spki() -> Vec<u8> {
    let der = pem_body(keys::CERTIFICATE_PEM);
    let marker = [0x30, 0x82, 0x01, 0x22, 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let at = der.windows(marker.len()).position(|w| w == marker).expect("an RSA-2048 SPKI in the certificate");
    der[at..at + 4 + 0x122].to_vec()
}

pub fn pem_body(pem: &str) -> Vec<u8> {
    STANDARD.decode(pem.lines().filter(|l| !l.starts_with("-----")).collect::<String>()).unwrap()
}

/// base64 RSASSA-PKCS1-v1_5/SHA-256 with the test merchant's key.
pub fn merchant_sign(message: &str) -> String {
    let key = RsaPrivateKey::from_pkcs8_pem(TEST_MERCHANT_KEY_PEM).unwrap();
    STANDARD.encode(SigningKey::<Sha256>::new(key).sign(message.as_bytes()).to_bytes())
}

/// How a merchant request is made (defaults: correct).
#[derive(Clone)]
pub struct Signing {
    pub mchid: String,
    pub serial: String,
    pub timestamp: Option<i64>,
    pub nonce: String,
    /// Sign this instead of the real body.
    pub signed_body: Option<String>,
    pub user_agent: bool,
    pub wechatpay_serial: Option<String>,
}

impl Default for Signing {
    fn default() -> Self {
        Signing {
            mchid: TEST_MCHID.into(),
            serial: TEST_MERCHANT_SERIAL.into(),
            timestamp: None,
            nonce: "593BEC0C930BF1AFEB40B4A08C8FB242".into(),
            signed_body: None,
            user_agent: true,
            wechatpay_serial: None,
        }
    }
}

impl TestSim {
    /// A WeChat Pay call signed as the test merchant (or as `signing` says).
    pub async fn pay_call(&self, method: &str, target: &str, body: Option<&Value>, signing: &Signing) -> PayAnswer {
        let now = match signing.timestamp {
            Some(ts) => ts,
            None => self.now().await,
        };
        let body_text = body.map(Value::to_string).unwrap_or_default();
        let signed_body = signing.signed_body.clone().unwrap_or_else(|| body_text.clone());
        let message = format!("{method}\n{target}\n{now}\n{}\n{signed_body}\n", signing.nonce);
        let authorization = format!(
            r#"WECHATPAY2-SHA256-RSA2048 mchid="{}",nonce_str="{}",signature="{}",timestamp="{now}",serial_no="{}""#,
            signing.mchid,
            signing.nonce,
            merchant_sign(&message),
            signing.serial
        );
        let url = format!("{}{target}", self.base);
        let mut request = match method {
            "GET" => self.http.get(url),
            _ => self.http.post(url).header("content-type", "application/json").body(body_text),
        };
        request = request.header("authorization", authorization).header("accept", "application/json");
        if signing.user_agent {
            request = request.header("user-agent", "wechat-edge-test/1.0");
        }
        if let Some(serial) = &signing.wechatpay_serial {
            request = request.header("wechatpay-serial", serial);
        }
        let response = request.send().await.expect("reaches the simulator");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap();
        PayAnswer { status, headers, body }
    }

    pub async fn pay_post(&self, target: &str, body: &Value) -> PayAnswer {
        self.pay_call("POST", target, Some(body), &Signing::default()).await
    }

    pub async fn pay_get(&self, target: &str) -> PayAnswer {
        self.pay_call("GET", target, None, &Signing::default()).await
    }

    /// Places an order for `total` fen to `notify_url`: the prepay_id.
    pub async fn order(&self, out_trade_no: &str, total: u64, openid: &str, notify_url: &str) -> String {
        let answer = self.pay_post("/v3/pay/transactions/jsapi", &order_body(out_trade_no, total, openid, notify_url)).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        answer.json()["prepay_id"].as_str().unwrap().to_string()
    }

    /// The user pays (no paySign check): the control answer.
    pub async fn pay(&self, out_trade_no: &str) -> Value {
        self.control("/_sim/pay/pay", json!({"out_trade_no": out_trade_no})).await
    }

    pub async fn notifies(&self, out_trade_no: &str) -> Vec<Value> {
        let log = self.control_get("/_sim/pay/notifies", &[("out_trade_no", out_trade_no)]).await;
        log["notifies"].as_array().cloned().unwrap_or_default()
    }
}

pub fn order_body(out_trade_no: &str, total: u64, openid: &str, notify_url: &str) -> Value {
    json!({
        "appid": APPID,
        "mchid": TEST_MCHID,
        "description": "会员月卡",
        "out_trade_no": out_trade_no,
        "notify_url": notify_url,
        "amount": {"total": total, "currency": "CNY"},
        "payer": {"openid": openid},
    })
}

/// One notify as the merchant's endpoint saw it.
#[derive(Clone, Debug)]
pub struct Received {
    pub serial: String,
    pub timestamp: i64,
    pub body: String,
    /// Signature valid under the key the serial names.
    pub signature_ok: bool,
    /// The decrypted resource, when it decrypts.
    pub resource: Option<Value>,
    pub envelope: Option<Value>,
}

struct Inner {
    script: Mutex<VecDeque<u16>>,
    default: u16,
    seen: Mutex<Vec<Received>>,
}

/// A merchant notify URL: answers 204 (or a scripted status) and records what came.
pub struct NotifyUrl {
    pub url: String,
    inner: Arc<Inner>,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for NotifyUrl {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl NotifyUrl {
    pub async fn start(statuses: &[u16], default: u16) -> NotifyUrl {
        let inner =
            Arc::new(Inner { script: Mutex::new(statuses.iter().copied().collect()), default, seen: Mutex::new(Vec::new()) });
        let app = Router::new().route("/wechat/pay/notify", post(receive)).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/wechat/pay/notify", listener.local_addr().unwrap());
        let handle = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        NotifyUrl { url, inner, handle }
    }

    pub fn seen(&self) -> Vec<Received> {
        self.inner.seen.lock().unwrap().clone()
    }

    /// Waits (real time) until `n` notifies arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..400 {
            if self.seen().len() >= n {
                return self.seen();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("expected {n} notifies, got {}", self.seen().len());
    }
}

async fn receive(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let body = String::from_utf8_lossy(&body).into_owned();
    let (ts, nonce, serial) = (get("wechatpay-timestamp"), get("wechatpay-nonce"), get("wechatpay-serial"));
    let signature_ok = platform_verify(&serial, format!("{ts}\n{nonce}\n{body}\n").as_bytes(), &get("wechatpay-signature"));
    let envelope: Option<Value> = serde_json::from_str(&body).ok();
    let resource = envelope.as_ref().and_then(|e| {
        let r = &e["resource"];
        let plain =
            keys::open(TEST_APIV3_KEY, r["nonce"].as_str()?, r["associated_data"].as_str()?, r["ciphertext"].as_str()?).ok()?;
        serde_json::from_slice(&plain).ok()
    });
    inner.seen.lock().unwrap().push(Received {
        serial,
        timestamp: ts.parse().unwrap_or(0),
        body,
        signature_ok,
        resource,
        envelope,
    });
    let status = inner.script.lock().unwrap().pop_front().unwrap_or(inner.default);
    StatusCode::from_u16(status).unwrap()
}
