//! Shared by the simulator's integration tests: start an isolated simulator on a free port and
//! talk to it over HTTP like the worker does.
#![allow(dead_code)]

use serde_json::{json, Value};
use wechat_sim::{AppConfig, Config};

pub const APPID: &str = "wx0000000000000001";
pub const SECRET: &str = "sim-secret-0001";
pub const OTHER_APPID: &str = "wx0000000000000002";
pub const OTHER_SECRET: &str = "sim-secret-0002";

pub struct TestSim {
    pub base: String,
    pub http: reqwest::Client,
    /// The relay port's URL (`Config::relay_port`), when there is one.
    pub relay: Option<String>,
    /// None on a view of the relay port, which does not own the server.
    handle: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for TestSim {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            handle.abort();
        }
    }
}

/// Two apps, seeded, quiet, with a frozen clock so boundaries hold to the second.
pub fn test_config() -> Config {
    Config {
        apps: vec![AppConfig::new(APPID, SECRET), AppConfig::new(OTHER_APPID, OTHER_SECRET)],
        seed: Some(42),
        freeze_clock: true,
        ..Config::default()
    }
}

pub async fn spawn_sim() -> TestSim {
    spawn_sim_with(test_config()).await
}

pub async fn spawn_sim_with(config: Config) -> TestSim {
    let running = wechat_sim::start(config).await.expect("simulator starts");
    TestSim {
        base: format!("http://{}", running.addr),
        http: reqwest::Client::new(),
        relay: running.relay_addr.map(|a| format!("http://{a}")),
        handle: Some(running.handle),
    }
}

pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// The errcode of a WeChat answer, 0 when there is none (a success).
    pub fn errcode(&self) -> i64 {
        self.json().get("errcode").and_then(Value::as_i64).unwrap_or(0)
    }
}

impl TestSim {
    /// The same simulator seen through its relay port: calls made with the view come from the
    /// relay's whitelisted address. Dropping the view leaves the simulator running.
    pub fn through_relay(&self) -> TestSim {
        let relay = self.relay.clone().expect("the simulator was started with a relay port");
        TestSim { base: relay, http: self.http.clone(), relay: None, handle: None }
    }

    async fn answer(&self, request: reqwest::RequestBuilder) -> Answer {
        let response = request.send().await.expect("request reaches the simulator");
        let status = response.status().as_u16();
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        let text = response.text().await.expect("body reads");
        Answer { status, content_type, text }
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> Answer {
        self.answer(self.http.get(format!("{}{path}", self.base)).query(query)).await
    }

    pub async fn post(&self, path: &str, query: &[(&str, &str)], body: &Value) -> Answer {
        self.answer(self.http.post(format!("{}{path}", self.base)).query(query).json(body)).await
    }

    pub async fn post_raw(&self, path: &str, body: &'static str) -> Answer {
        self.answer(self.http.post(format!("{}{path}", self.base)).body(body)).await
    }

    /// A control call that must succeed.
    pub async fn control(&self, path: &str, body: Value) -> Value {
        let answer = self.post(path, &[], &body).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        answer.json()
    }

    pub async fn control_get(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let answer = self.get(path, query).await;
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        answer.json()
    }

    pub async fn advance(&self, seconds: i64) {
        self.control("/_sim/clock/advance", json!({"seconds": seconds})).await;
    }

    pub async fn now(&self) -> i64 {
        self.control_get("/_sim/clock", &[]).await["now"].as_i64().expect("now")
    }

    // --- WeChat calls, the way the worker makes them ---

    pub async fn stable_token(&self, force_refresh: bool) -> Answer {
        let body = json!({"grant_type": "client_credential", "appid": APPID, "secret": SECRET, "force_refresh": force_refresh});
        self.post("/cgi-bin/stable_token", &[], &body).await
    }

    pub async fn classic_token(&self) -> Answer {
        self.get("/cgi-bin/token", &[("grant_type", "client_credential"), ("appid", APPID), ("secret", SECRET)]).await
    }

    /// A fresh stable token, as a string.
    pub async fn token(&self) -> String {
        let answer = self.stable_token(false).await;
        answer.json()["access_token"].as_str().expect("a token").to_string()
    }

    pub async fn round_trip(&self, access_token: &str) -> Answer {
        self.get("/cgi-bin/get_api_domain_ip", &[("access_token", access_token)]).await
    }

    pub async fn jscode2session(&self, appid: &str, secret: &str, code: &str) -> Answer {
        let query = [("appid", appid), ("secret", secret), ("js_code", code), ("grant_type", "authorization_code")];
        self.get("/sns/jscode2session", &query).await
    }

    /// Mints a login code for a (new) user: `(code, openid)`.
    pub async fn login_code(&self) -> (String, String) {
        let minted = self.control("/_sim/login_code", json!({})).await;
        (minted["code"].as_str().unwrap().to_string(), minted["openid"].as_str().unwrap().to_string())
    }

    /// A user who has logged in: `(openid, session_key)`.
    pub async fn logged_in_user(&self) -> (String, String) {
        let (code, openid) = self.login_code().await;
        let session = self.jscode2session(APPID, SECRET, &code).await.json();
        (openid, session["session_key"].as_str().expect("a session_key").to_string())
    }

    pub async fn calls(&self, path: &str) -> Vec<Value> {
        let log = self.control_get("/_sim/log", &[("path", path)]).await;
        log["calls"].as_array().cloned().unwrap_or_default()
    }
}
