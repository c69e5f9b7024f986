//! Shared by the official-account tests: a simulator with a mini-program and two official
//! accounts (one bound to the Open Platform account, one not), and the calls a worker makes.
#![allow(dead_code)]

use crate::common::*;
use serde_json::{json, Value};
use wechat_sim::{AppConfig, Config};

/// Bound to the Open Platform account, like the mini-program [`APPID`].
pub const OA: &str = "wx00000000000000a1";
pub const OA_SECRET: &str = "sim-oa-secret-0001";
/// Not bound: no unionid anywhere.
pub const LONE_OA: &str = "wx00000000000000a2";
pub const LONE_OA_SECRET: &str = "sim-oa-secret-0002";
pub const CALLBACK: &str = "https://h5.example.com/oauth/callback";

/// The mini-program first (the default app), then the two accounts; seeded, frozen clock.
pub fn oa_config() -> Config {
    let mut mini = AppConfig::new(APPID, SECRET);
    mini.unionid = true;
    let mut oa = AppConfig::official_account(OA, OA_SECRET);
    oa.unionid = true;
    let lone = AppConfig::official_account(LONE_OA, LONE_OA_SECRET);
    Config { apps: vec![mini, oa, lone], ..test_config() }
}

pub async fn spawn_oa() -> TestSim {
    spawn_sim_with(oa_config()).await
}

/// The authorize link in the documented order, `redirect_uri` URL-encoded.
pub fn link(appid: &str, scope: &str, state: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("appid", appid).append_pair("redirect_uri", CALLBACK);
    query.append_pair("response_type", "code").append_pair("scope", scope).append_pair("state", state);
    query.finish()
}

/// What the browser got from the authorize page.
pub struct Visit {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
}

impl Visit {
    /// A query parameter of the redirect.
    pub fn param(&self, name: &str) -> Option<String> {
        let location = self.location.as_deref()?;
        let url = reqwest::Url::parse(location).ok()?;
        url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
    }

    pub fn code(&self) -> String {
        self.param("code").unwrap_or_else(|| panic!("a code in the redirect: {:?} {}", self.location, self.body))
    }
}

/// Opens the authorize page with `query` (raw, as the worker would build it) as a browser that
/// does not follow the redirect, with `X-Sim-*` headers.
pub async fn visit(sim: &TestSim, query: &str, headers: &[(&str, &str)]) -> Visit {
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("a client");
    let mut request = client.get(format!("{}/connect/oauth2/authorize?{query}", sim.base));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("the authorize page answers");
    let status = response.status().as_u16();
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_string);
    let body = response.text().await.unwrap_or_default();
    Visit { status, location, body }
}

/// A code for `scope` in [`OA`] for the user the headers name.
pub async fn code_for(sim: &TestSim, scope: &str, headers: &[(&str, &str)]) -> String {
    visit(sim, &link(OA, scope, "s1"), headers).await.code()
}

pub async fn exchange_with(sim: &TestSim, appid: &str, secret: &str, code: &str) -> Answer {
    let query = [("appid", appid), ("secret", secret), ("code", code), ("grant_type", "authorization_code")];
    sim.get("/sns/oauth2/access_token", &query).await
}

pub async fn exchange(sim: &TestSim, code: &str) -> Answer {
    exchange_with(sim, OA, OA_SECRET, code).await
}

pub async fn userinfo(sim: &TestSim, token: &str, openid: &str) -> Answer {
    sim.get("/sns/userinfo", &[("access_token", token), ("openid", openid), ("lang", "zh_CN")]).await
}

/// A base access_token (stable_token) of an app.
pub async fn token_of(sim: &TestSim, appid: &str, secret: &str) -> String {
    let body = json!({"grant_type": "client_credential", "appid": appid, "secret": secret});
    let answer = sim.post("/cgi-bin/stable_token", &[], &body).await;
    answer.json()["access_token"].as_str().unwrap_or_else(|| panic!("a token: {}", answer.text)).to_string()
}

pub async fn oa_token(sim: &TestSim) -> String {
    token_of(sim, OA, OA_SECRET).await
}

pub async fn user_info(sim: &TestSim, token: &str, openid: &str) -> Answer {
    sim.get("/cgi-bin/user/info", &[("access_token", token), ("openid", openid), ("lang", "zh_CN")]).await
}

/// Makes a user follow [`OA`] without a push; answers the hook's view of them.
pub async fn follow(sim: &TestSim, body: Value) -> Value {
    sim.control("/_sim/oa/follow", body).await
}
