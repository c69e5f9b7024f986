//! The Worker's side of WeChat Pay's wire (wechat-pay.md §2): the app's merchant (its
//! configuration parsed once per isolate, its keys imported into WebCrypto once), signed
//! requests, and answers believed only once their signature verifies with a key
//! `Wechatpay-Serial` names: the public key (public-key mode) or a platform certificate
//! fetched from `/v3/certificates`, decrypted and kept (certificate mode), both at once during
//! a migration.

use crate::pay::certs::{certificate_from_plaintext, parse_answer};
use crate::pay::config::PayConfig;
use crate::pay::model::PayErrorBody;
use crate::pay::sign::{nonce_from, request_message, Authorization};
use crate::pay::verify::{KeyKind, KeyRing, SignedHeaders, VerifyError};
use crate::pay::webcrypto::{self, CryptoFailure};
use crate::shared::config::{AppConfig, Config};
use crate::shared::error::{ApiError, ApiResult, Retry};
use crate::shared::http::{random_bytes, Ctx};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures_util::future::{select, Either};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;
use web_sys::CryptoKey;
use worker::{Delay, Fetch, Headers, Method, Request, RequestInit};

/// A WeChat Pay call gets this long (its documented timeouts are seconds, not minutes).
const TIMEOUT_MS: u64 = 10_000;
const USER_AGENT: &str = concat!("wechat-edge/", env!("CARGO_PKG_VERSION"));

/// One app's merchant, ready to sign and verify.
pub struct Merchant {
    pub appid: String,
    pub config: PayConfig,
    signing_key: CryptoKey,
    aes_key: CryptoKey,
    keys: RefCell<KeyRing>,
    verifying: RefCell<HashMap<String, CryptoKey>>,
}

/// Merchants by app id, with the configuration object they were made from.
type Merchants = HashMap<String, (Rc<Config>, Rc<Merchant>)>;

thread_local! {
    static MERCHANTS: RefCell<Merchants> = RefCell::new(HashMap::new());
}

fn crypto_failed(e: CryptoFailure) -> ApiError {
    ApiError::internal(e.to_string())
}

/// The merchant of `app`; a missing or malformed `WECHATPAY_*` is a 500 naming it.
pub async fn merchant(ctx: &Ctx, app: &AppConfig) -> ApiResult<Rc<Merchant>> {
    let cached = MERCHANTS.with(|m| {
        m.borrow().get(&app.appid).filter(|(cfg, _)| Rc::ptr_eq(cfg, &ctx.config)).map(|(_, merchant)| merchant.clone())
    });
    if let Some(m) = cached {
        return Ok(m);
    }
    let config = PayConfig::from_lookup(&|name| ctx.config.pay_var(name), app.var_suffix())?;
    let signing_key = webcrypto::import_signing_key(config.private_key.expose()).await.map_err(|_| {
        ApiError::config(&app.var("WECHATPAY_PRIVATE_KEY"), "does not import into WebCrypto as an RSA PKCS#8 key")
    })?;
    let aes_key = webcrypto::import_aes_key(&config.aes_key()).await.map_err(crypto_failed)?;
    let merchant = Rc::new(Merchant {
        appid: app.appid.clone(),
        keys: RefCell::new(KeyRing::from_config(&config)),
        config,
        signing_key,
        aes_key,
        verifying: RefCell::new(HashMap::new()),
    });
    MERCHANTS.with(|m| m.borrow_mut().insert(app.appid.clone(), (ctx.config.clone(), merchant.clone())));
    Ok(merchant)
}

impl Merchant {
    /// RSA-SHA256 with the merchant key, base64: `Authorization` and `paySign`.
    pub async fn sign(&self, message: &str) -> ApiResult<String> {
        let signature = webcrypto::sign(&self.signing_key, message.as_bytes()).await.map_err(crypto_failed)?;
        Ok(STANDARD.encode(signature))
    }

    /// AES-256-GCM with the APIv3 key (notify resources, certificates).
    pub async fn open(&self, nonce: &[u8], aad: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
        webcrypto::decrypt(&self.aes_key, nonce, aad, ciphertext).await.ok()
    }

    /// Checks WeChat Pay's signature over `body` with the key the headers name; in
    /// certificate mode an unknown serial fetches the certificates once (they rotate).
    pub async fn verify(&self, ctx: &Ctx, headers: &SignedHeaders, body: &[u8]) -> Result<(), VerifyError> {
        headers.check_fresh(ctx.now, self.config.timestamp_window)?;
        let signature = headers.signature_bytes()?;
        let mut selected = self.keys.borrow().select(&headers.serial).map(|(_, spki)| spki.to_vec());
        if matches!(selected, Err(VerifyError::UnknownSerial(_))) && !headers.serial.starts_with("PUB_KEY_ID_") {
            if let Err(e) = self.refresh_certificates(ctx).await {
                crate::log_warn!("WeChat Pay certificates of merchant {}: {e}", self.config.mchid);
            }
            selected = self.keys.borrow().select(&headers.serial).map(|(_, spki)| spki.to_vec());
        }
        let spki = selected?;
        let cached = self.verifying.borrow().get(&headers.serial).cloned();
        let key = match cached {
            Some(k) => k,
            None => {
                let k = webcrypto::import_verifying_key(&spki).await.map_err(|_| VerifyError::BadSignature)?;
                self.verifying.borrow_mut().insert(headers.serial.clone(), k.clone());
                k
            }
        };
        match webcrypto::verify(&key, &signature, &headers.message(body)).await {
            Ok(true) => Ok(()),
            _ => Err(VerifyError::BadSignature),
        }
    }

    /// Certificate mode: `GET /v3/certificates`, each certificate decrypted with the APIv3 key,
    /// checked against its listed serial and validity, and kept. The answer is itself signed by
    /// one of the certificates it carries; that is checked once they are known.
    async fn refresh_certificates(&self, ctx: &Ctx) -> ApiResult<()> {
        let (headers, body) = self.send(ctx, Method::Get, "/v3/certificates", None).await?;
        let listed = parse_answer(&body).map_err(|e| ApiError::upstream(format!("WeChat Pay certificates: {e}")))?;
        let mut found = Vec::new();
        for cert in &listed {
            let Some(plain) = self.open(&cert.sealed.nonce, &cert.sealed.aad, &cert.sealed.ciphertext).await else {
                return Err(ApiError::config(
                    &format!("WECHATPAY_APIV3_KEY of app {}", self.appid),
                    "does not open the platform certificates",
                ));
            };
            match certificate_from_plaintext(cert, &plain, ctx.now as i64) {
                Ok(key) => found.push((key.serial, key.spki)),
                Err(e) => crate::log_warn!("a WeChat Pay platform certificate was not taken: {e:?}"),
            }
        }
        let mut ring = self.keys.borrow().clone();
        for (serial, spki) in found {
            ring.add(&serial, KeyKind::Certificate, spki);
        }
        // The answer must verify with what it brought.
        let signed = SignedHeaders::read(&|n| headers.get(n).ok().flatten()).map_err(|e| ApiError::upstream(e.to_string()))?;
        let (_, spki) = ring.select(&signed.serial).map_err(|e| ApiError::upstream(e.to_string()))?;
        let key = webcrypto::import_verifying_key(spki).await.map_err(crypto_failed)?;
        let sig = signed.signature_bytes().map_err(|e| ApiError::upstream(e.to_string()))?;
        if webcrypto::verify(&key, &sig, &signed.message(&body)).await != Ok(true) {
            return Err(ApiError::upstream("the /v3/certificates answer does not verify with its own certificates"));
        }
        *self.keys.borrow_mut() = ring;
        Ok(())
    }

    /// One signed request; the raw answer (status checked by the caller through `call`).
    async fn send(&self, ctx: &Ctx, method: Method, path: &str, body: Option<&str>) -> ApiResult<(Headers, Vec<u8>)> {
        let (status, headers, bytes) = self.exchange(ctx, method, path, body).await?;
        if (200..300).contains(&status) {
            return Ok((headers, bytes));
        }
        Err(pay_error(status, &bytes))
    }

    async fn exchange(&self, ctx: &Ctx, method: Method, path: &str, body: Option<&str>) -> ApiResult<(u16, Headers, Vec<u8>)> {
        let nonce = nonce_from(&random_bytes::<24>()?);
        let message = request_message(method.as_ref(), path, ctx.now, &nonce, body.unwrap_or(""));
        let signature = self.sign(&message).await?;
        let auth = Authorization {
            mchid: &self.config.mchid,
            nonce: &nonce,
            timestamp: ctx.now,
            serial_no: &self.config.cert_serial,
            signature: &signature,
        };
        let headers = Headers::new();
        let _ = headers.set("Authorization", &auth.header());
        let _ = headers.set("Accept", "application/json");
        // WeChat Pay refuses requests without a User-Agent, which Workers' fetch does not add.
        let _ = headers.set("User-Agent", USER_AGENT);
        if let Some(serial) = self.keys.borrow().request_serial() {
            let _ = headers.set("Wechatpay-Serial", serial);
        }
        if body.is_some() {
            let _ = headers.set("Content-Type", "application/json");
        }
        let mut init = RequestInit::new();
        init.with_method(method).with_headers(headers);
        if let Some(b) = body {
            init.with_body(Some(b.into()));
        }
        let url = format!("{}{path}", self.config.api_base);
        let request =
            Request::new_with_init(&url, &init).map_err(|_| ApiError::config("WECHATPAY_API_BASE", "is not a valid URL"))?;
        let unreachable = || ApiError::unavailable("WeChat Pay could not be reached; retry shortly").with_retry(Retry::Uncertain);
        let fetch = Fetch::Request(request);
        let sent = select(Box::pin(fetch.send()), Box::pin(Delay::from(Duration::from_millis(TIMEOUT_MS))));
        let mut resp = match sent.await {
            Either::Left((Ok(resp), _)) => resp,
            Either::Left((Err(_), _)) | Either::Right(_) => return Err(unreachable()),
        };
        let bytes = resp.bytes().await.map_err(|_| unreachable())?;
        Ok((resp.status_code(), resp.headers().clone(), bytes))
    }

    /// A signed call whose 2xx answer must verify: `(status, body)`. A 204 has an empty body.
    pub async fn call(&self, ctx: &Ctx, method: Method, path: &str, body: Option<&str>) -> ApiResult<(u16, Vec<u8>)> {
        let (status, headers, bytes) = self.exchange(ctx, method, path, body).await?;
        if !(200..300).contains(&status) {
            return Err(pay_error(status, &bytes));
        }
        let signed = SignedHeaders::read(&|n| headers.get(n).ok().flatten())
            .map_err(|e| ApiError::upstream(format!("WeChat Pay's answer is not signed: {e}")))?;
        self.verify(ctx, &signed, &bytes)
            .await
            .map_err(|e| ApiError::new(502, "wechatpay_signature_invalid", format!("WeChat Pay's answer was refused: {e}")))?;
        Ok((status, bytes))
    }
}

/// WeChat Pay's error answer as ours: its `code` kept, its message (which never carries our
/// secrets) passed on.
pub fn pay_error(status: u16, body: &[u8]) -> ApiError {
    let parsed = PayErrorBody::parse(body);
    let (code, message) = match &parsed {
        Some(e) => (e.code.as_str(), e.message.chars().take(200).collect::<String>()),
        None => ("", String::new()),
    };
    let said = if message.is_empty() { String::new() } else { format!(" (WeChat Pay said: {code} {message})") };
    match (status, code) {
        (_, "ORDER_PAID") => ApiError::new(409, "order_paid", format!("the order is paid already{said}")),
        (_, "ORDER_CLOSED") => ApiError::new(409, "order_closed", format!("the order is closed{said}")),
        (_, "NOT_ENOUGH") => {
            ApiError::new(409, "refund_not_enough", format!("the merchant's balance cannot cover the refund{said}"))
        }
        (_, "RESOURCE_NOT_EXISTS" | "ORDER_NOT_EXIST" | "ORDERNOTEXIST") => {
            ApiError::new(404, "wechatpay_not_found", format!("WeChat Pay has no such order or refund{said}"))
        }
        (401, _) | (_, "SIGN_ERROR") => ApiError::new(
            502,
            "wechatpay_credentials_rejected",
            format!("WeChat Pay refused our signature: check WECHATPAY_CERT_SERIAL and WECHATPAY_PRIVATE_KEY{said}"),
        ),
        (400 | 403, _) => ApiError::new(400, "wechatpay_rejected", format!("WeChat Pay refused the request{said}")),
        (429, _) => ApiError::rate_limited(format!("WeChat Pay's rate limit{said}"), 5),
        (500..=599, _) => {
            ApiError::unavailable(format!("WeChat Pay is busy (HTTP {status}); retry shortly")).with_retry(Retry::Safe)
        }
        _ => ApiError::upstream(format!("WeChat Pay answered HTTP {status}{said}")),
    }
}
