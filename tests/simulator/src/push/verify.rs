//! The URL check WeChat makes when the push URL is saved (§8.2, §15.19): a signed GET with a
//! random `echostr`, which the webhook must echo byte for byte.

use super::request::check_url;
use crate::control::{parse, Ctl, CtlError};
use crate::state::Sim;
use crate::wire::push_signature;
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::Json;
use rand::Rng;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    url: String,
    token: String,
    timeout_ms: Option<u64>,
}

/// `POST /_sim/push/verify {"url","token","timeout_ms"?: 5000}` → `{"ok","status","body",
/// "echostr","outcome"}`; `ok` only for a 200 whose body is exactly the echostr.
pub async fn verify(Shared(sim): Shared<Arc<Sim>>, body: Bytes) -> Ctl {
    let req: VerifyRequest = parse(&body)?;
    check_url(&req.url)?;
    let timeout = Duration::from_millis(req.timeout_ms.unwrap_or(5_000).clamp(1, 60_000));
    let timestamp = sim.clock.now().to_string();
    let (nonce, echostr) = {
        let mut state = sim.lock();
        let nonce: u64 = state.rng.gen_range(100_000_000..10_000_000_000);
        // Real echostr values are long digit strings.
        let echostr: u64 = state.rng.gen_range(1_000_000_000_000_000_000..u64::MAX);
        (nonce.to_string(), echostr.to_string())
    };
    let mut url = reqwest::Url::parse(&req.url).map_err(|e| CtlError::bad(e.to_string()))?;
    url.query_pairs_mut()
        .append_pair("signature", &push_signature(&req.token, &timestamp, &nonce))
        .append_pair("timestamp", &timestamp)
        .append_pair("nonce", &nonce)
        .append_pair("echostr", &echostr);
    let client = super::client()?;
    let answer = match client.get(url).timeout(timeout).send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            response.text().await.map(|body| (status, body))
        }
        Err(e) => Err(e),
    };
    Ok(Json(match answer {
        Ok((status, body)) => json!({
            "ok": status == 200 && body == echostr,
            "status": status,
            "body": body,
            "echostr": echostr,
            "outcome": if (200..300).contains(&status) { "answered".to_string() } else { format!("http_{status}") },
        }),
        Err(e) => json!({
            "ok": false,
            "status": null,
            "body": null,
            "echostr": echostr,
            "outcome": if e.is_timeout() { "timeout" } else { "connection_error" },
        }),
    }))
}
