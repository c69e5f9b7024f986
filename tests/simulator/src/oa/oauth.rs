//! Web authorization (网页授权, wechat-oa.md §1).
//!
//! `GET /connect/oauth2/authorize` stands for the page WeChat shows on `open.weixin.qq.com`:
//! the worker sends the browser there (`WECHAT_OPEN_BASE` = the simulator). The link is checked
//! as WeChat does — parameters in exactly the documented order, `response_type=code`, a known
//! scope, a short alphanumeric `state`, an official account's appid — and a bad one is a 400
//! naming the problem (WeChat shows an error page). A good one is a 302 to
//! `redirect_uri?code=CODE&state=STATE`. Who the user is, and what they do, comes from request
//! headers, since no real person is there to tap:
//!
//! - `X-Sim-Openid` / `X-Sim-Unionid`: the user (both optional; neither: a new user);
//! - `X-Sim-Snapshot: 1`: the page opened in snapshot mode (快照页, §1.6): the exchange says
//!   `is_snapshotuser: 1` and gives virtual ids no other call knows (`snsapi_userinfo` only);
//! - `X-Sim-Refuse: 1`: the user taps "拒绝": redirect with `state` only (`snsapi_userinfo`
//!   only: `snsapi_base` is silent, there is nothing to refuse).
//!
//! The code is single use and lives `oauth_code_lifetime` (5 min). `sns/oauth2/access_token`
//! exchanges it for a *user* access_token (usable only on `sns/*`; a base token is not one, and
//! this one is no base token), `sns/oauth2/refresh_token` renews that, `sns/userinfo` reads the
//! profile with it (48001 for `snsapi_base` and snapshot tokens), `sns/auth` checks it.
//!
//! Choices where the doc leaves it open: an expired code is 42003 (the OA doc's "code
//! expired"), an unknown one or another app's 40029; a refresh keeps the refresh_token and its
//! expiry and leaves the previous access_token working until its own expiry; the scope is
//! returned as requested (not the `"snsapi_base,snsapi_userinfo,"` seen after some refreshes).

use super::users::{check_lang, person};
use super::{valid_id, with_errmsg, AppKind};
use crate::ids;
use crate::state::{Sim, State};
use crate::tokens::app_with_secret;
use crate::wx::{Call, Reply, WxErr};
use serde_json::json;
use sha1::{Digest, Sha1};

/// The order the authorize link must have (`state` optional, §1.2).
const ORDER: [&str; 4] = ["appid", "redirect_uri", "response_type", "scope"];
/// Seen after `state` in SDK-built links (socialite's `connect_redirect=1`) or in developer
/// reports (`forcePopup`, `forceSnapShot`); accepted and ignored.
const TRAILING: &[&str] = &["connect_redirect", "forcePopup", "forceSnapShot"];
const MAX_STATE: usize = 128;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Base,
    UserInfo,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Base => "snsapi_base",
            Scope::UserInfo => "snsapi_userinfo",
        }
    }
}

/// What an authorization produced, until exchanged.
pub struct OauthCode {
    pub appid: String,
    pub openid: String,
    /// The user's unionid as this app shows it (bound apps only; virtual for snapshot users).
    pub unionid: Option<String>,
    pub scope: Scope,
    pub snapshot: bool,
    pub issued_at: i64,
    pub used: bool,
}

/// A user access_token (`sns/*` only).
pub struct UserToken {
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub scope: Scope,
    pub snapshot: bool,
    pub expires_at: i64,
}

pub struct RefreshToken {
    pub appid: String,
    pub openid: String,
    pub unionid: Option<String>,
    pub scope: Scope,
    pub snapshot: bool,
    pub expires_at: i64,
}

/// A checked authorize link.
struct Link<'a> {
    appid: &'a str,
    redirect_uri: &'a str,
    scope: Scope,
    state: &'a str,
}

/// `GET /connect/oauth2/authorize?appid=&redirect_uri=&response_type=code&scope=&state=`
/// (`#wechat_redirect` never reaches a server).
pub fn authorize(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let link = match read_link(call) {
        Ok(link) => link,
        Err(problem) => return Ok(error_page(&problem)),
    };
    let header = |name: &str| call.headers.get(name).and_then(|v| v.to_str().ok()).filter(|v| !v.is_empty());
    let flag = |name: &str| header(name).is_some_and(|v| v == "1" || v.eq_ignore_ascii_case("true"));
    let (openid, unionid) = (header("x-sim-openid"), header("x-sim-unionid"));
    let (snapshot, refuse) = (flag("x-sim-snapshot"), flag("x-sim-refuse"));
    if let Some(bad) = [openid, unionid].into_iter().flatten().find(|id| !valid_id(id)) {
        return Ok(error_page(&format!("X-Sim-Openid / X-Sim-Unionid must be 1-64 of [A-Za-z0-9_-], got {bad:?}")));
    }
    if (snapshot || refuse) && link.scope == Scope::Base {
        return Ok(error_page("X-Sim-Snapshot and X-Sim-Refuse need scope=snsapi_userinfo (snsapi_base is silent)"));
    }
    if snapshot && refuse {
        return Ok(error_page("X-Sim-Snapshot and X-Sim-Refuse exclude each other (a snapshot page asks nothing)"));
    }
    let mut guard = sim.lock();
    let State { apps, oa, rng, .. } = &mut *guard;
    let Some(app) = apps.get_mut(link.appid) else {
        return Ok(error_page("appid: no such app"));
    };
    if app.kind != AppKind::OfficialAccount {
        return Ok(error_page(&format!("appid: {} is a mini-program, not an official account", link.appid)));
    }
    if refuse {
        let location = callback(link.redirect_uri, None, link.state);
        return Ok(redirect(location).with_note("the user refused"));
    }
    // A snapshot page hands out virtual ids that match nobody.
    let (openid, unionid) = if snapshot {
        (ids::openid(rng), app.unionid_bound.then(|| ids::openid(rng)))
    } else {
        let openid = person(app, rng, openid, unionid);
        let unionid = app.users.get(&openid).and_then(|u| u.unionid.clone());
        (openid, unionid)
    };
    let code = ids::code(rng);
    let record = OauthCode {
        appid: link.appid.to_string(),
        openid: openid.clone(),
        unionid,
        scope: link.scope,
        snapshot,
        issued_at: now,
        used: false,
    };
    oa.codes.insert(code.clone(), record);
    let note = format!("{} code for {openid}{}", link.scope.name(), if snapshot { " (snapshot)" } else { "" });
    Ok(redirect(callback(link.redirect_uri, Some(&code), link.state)).with_note(note))
}

fn read_link(call: &Call) -> Result<Link<'_>, String> {
    let keys: Vec<&str> = call.query.iter().map(|(k, _)| k.as_str()).collect();
    let mut rest = keys.get(ORDER.len()..).unwrap_or_default();
    if rest.first() == Some(&"state") {
        rest = &rest[1..];
    }
    let trailing_ok = rest.iter().enumerate().all(|(i, k)| TRAILING.contains(k) && !rest[..i].contains(k));
    if keys.get(..ORDER.len()) != Some(&ORDER[..]) || !trailing_ok {
        return Err(format!(
            "the link's parameters must be exactly appid, redirect_uri, response_type, scope[, state] in this order \
             (WeChat matches the link strictly); got {}",
            keys.join(", ")
        ));
    }
    let value = |name: &str| call.param(name).unwrap_or_default();
    let appid = value("appid");
    if appid.is_empty() {
        return Err("appid is empty".into());
    }
    let redirect_uri = value("redirect_uri");
    let parsed =
        reqwest::Url::parse(redirect_uri).map_err(|e| format!("redirect_uri is no absolute URL ({e}): {redirect_uri:?}"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(format!("redirect_uri must be an http(s) URL with a host, got {redirect_uri:?}"));
    }
    if value("response_type") != "code" {
        return Err(format!("response_type must be code, got {:?}", value("response_type")));
    }
    let scope = match value("scope") {
        "snsapi_base" => Scope::Base,
        "snsapi_userinfo" => Scope::UserInfo,
        other => return Err(format!("scope must be snsapi_base or snsapi_userinfo, got {other:?}")),
    };
    let state = value("state");
    if state.len() > MAX_STATE || !state.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("state must be 0-{MAX_STATE} of [a-zA-Z0-9], got {state:?}"));
    }
    Ok(Link { appid, redirect_uri, scope, state })
}

/// `redirect_uri` with `code` (unless refused) and `state` added to its query — before any
/// `#fragment`, which is where WeChat puts them for hash-routed pages too.
fn callback(redirect_uri: &str, code: Option<&str>, state: &str) -> String {
    let (base, fragment) = match redirect_uri.split_once('#') {
        Some((base, fragment)) => (base, Some(fragment)),
        None => (redirect_uri, None),
    };
    let separator = match base.find('?') {
        None => "?",
        Some(_) if base.ends_with('?') || base.ends_with('&') => "",
        Some(_) => "&",
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(code) = code {
        query.append_pair("code", code);
    }
    query.append_pair("state", state);
    let fragment = fragment.map(|f| format!("#{f}")).unwrap_or_default();
    format!("{base}{separator}{}{fragment}", query.finish())
}

fn redirect(location: String) -> Reply {
    Reply::page(302, "text/html; charset=utf-8", "").with_header("location", location)
}

fn error_page(problem: &str) -> Reply {
    let body = json!({"error": format!("wechat-sim authorize page: {problem}")}).to_string();
    Reply::page(400, "application/json; charset=utf-8", body).with_note(problem.to_string())
}

/// `GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code`
pub fn access_token(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, exchange(sim, call))
}

fn exchange(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let State { apps, oa, rng, limits, .. } = &mut *guard;
    let app = app_with_secret(apps, call.param("appid"), call.param("secret"))?;
    if app.kind != AppKind::OfficialAccount {
        return Err(WxErr(48001));
    }
    if call.param("grant_type") != Some("authorization_code") {
        return Err(WxErr(40002));
    }
    let text = call.required("code", 41008)?;
    let code = oa.codes.get_mut(text).filter(|c| c.appid == app.appid).ok_or(WxErr(40029))?;
    if code.used {
        return Err(WxErr(40163));
    }
    if now >= code.issued_at + limits.oauth_code_lifetime {
        return Err(WxErr(42003));
    }
    code.used = true;
    let grant = Grant {
        appid: code.appid.clone(),
        openid: code.openid.clone(),
        unionid: code.unionid.clone(),
        scope: code.scope,
        snapshot: code.snapshot,
    };
    let refresh_token = ids::access_token(rng);
    let refresh = RefreshToken {
        appid: grant.appid.clone(),
        openid: grant.openid.clone(),
        unionid: grant.unionid.clone(),
        scope: grant.scope,
        snapshot: grant.snapshot,
        expires_at: now + limits.oauth_refresh_lifetime,
    };
    oa.refresh_tokens.insert(refresh_token.clone(), refresh);
    let access_token = mint(oa, rng, &grant, now + limits.oauth_token_lifetime);
    // The doc gives unionid for snsapi_userinfo only; captures show it on snsapi_base too.
    let show_unionid = grant.scope == Scope::UserInfo || limits.oauth_unionid_on_base;
    Ok(token_answer(&grant, &access_token, limits.oauth_token_lifetime, &refresh_token, show_unionid))
}

/// What a user token stands for.
struct Grant {
    appid: String,
    openid: String,
    unionid: Option<String>,
    scope: Scope,
    snapshot: bool,
}

fn mint(oa: &mut super::OaState, rng: &mut impl rand::Rng, grant: &Grant, expires_at: i64) -> String {
    let token = ids::access_token(rng);
    let record = UserToken {
        appid: grant.appid.clone(),
        openid: grant.openid.clone(),
        unionid: grant.unionid.clone(),
        scope: grant.scope,
        snapshot: grant.snapshot,
        expires_at,
    };
    oa.user_tokens.insert(token.clone(), record);
    token
}

/// §1.4's answer (no errcode on success).
fn token_answer(grant: &Grant, access_token: &str, expires_in: i64, refresh_token: &str, show_unionid: bool) -> Reply {
    let mut body = json!({
        "access_token": access_token,
        "expires_in": expires_in,
        "refresh_token": refresh_token,
        "openid": grant.openid,
        "scope": grant.scope.name(),
    });
    if grant.snapshot {
        body["is_snapshotuser"] = json!(1);
    }
    if let (true, Some(unionid)) = (show_unionid, &grant.unionid) {
        body["unionid"] = json!(unionid);
    }
    let note = format!("{} user token {} for {}", grant.scope.name(), ids::short(access_token), grant.openid);
    Reply::json(body).with_note(note)
}

/// `GET /sns/oauth2/refresh_token?appid=&grant_type=refresh_token&refresh_token=` (no secret).
pub fn refresh_token(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, refresh(sim, call))
}

fn refresh(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let State { apps, oa, rng, limits, .. } = &mut *guard;
    let appid = call.required("appid", 41002)?;
    let app = apps.get(appid).ok_or(WxErr(40013))?;
    if app.kind != AppKind::OfficialAccount {
        return Err(WxErr(48001));
    }
    if call.param("grant_type") != Some("refresh_token") {
        return Err(WxErr(40002));
    }
    let text = call.required("refresh_token", 41003)?;
    let record = oa.refresh_tokens.get(text).filter(|r| r.appid == appid).ok_or(WxErr(40030))?;
    if now >= record.expires_at {
        return Err(WxErr(42002));
    }
    let grant = Grant {
        appid: record.appid.clone(),
        openid: record.openid.clone(),
        unionid: record.unionid.clone(),
        scope: record.scope,
        snapshot: record.snapshot,
    };
    let access_token = mint(oa, rng, &grant, now + limits.oauth_token_lifetime);
    let show_unionid = grant.scope == Scope::UserInfo || limits.oauth_unionid_on_base;
    Ok(token_answer(&grant, &access_token, limits.oauth_token_lifetime, text, show_unionid))
}

/// The user token of a `sns/*` call and the openid it must name: 41001 / 40014 / 40001 /
/// 42001 as for base tokens, 40003 for another openid.
fn user_token<'a>(state: &'a State, call: &Call, now: i64) -> Result<&'a UserToken, WxErr> {
    let token = call.required("access_token", 41001)?;
    if !ids::looks_like_access_token(token) {
        return Err(WxErr(40014));
    }
    let record = state.oa.user_tokens.get(token).ok_or(WxErr(40001))?;
    if now >= record.expires_at {
        return Err(WxErr(42001));
    }
    Ok(record)
}

/// `GET /sns/userinfo?access_token=&openid=&lang=` (a user token of `snsapi_userinfo`).
pub fn userinfo(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, profile(sim, call))
}

fn profile(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let state = sim.lock();
    let token = user_token(&state, call, now)?;
    // snsapi_base only grants the openid; snapshot users have no profile to give.
    if token.scope == Scope::Base || token.snapshot {
        return Err(WxErr(48001));
    }
    if call.param("openid") != Some(token.openid.as_str()) {
        return Err(WxErr(40003));
    }
    check_lang(call)?;
    let digest = hex::encode(Sha1::digest(token.openid.as_bytes()));
    // Gender and region are blank since the 2021 change; nickname and avatar survive here.
    let mut body = json!({
        "openid": token.openid,
        "nickname": format!("微信用户{}", &digest[..4]),
        "sex": 0,
        "province": "",
        "city": "",
        "country": "",
        "headimgurl": format!("https://thirdwx.qlogo.cn/mmopen/vi_32/{digest}/132"),
        "privilege": [],
    });
    if let Some(unionid) = &token.unionid {
        body["unionid"] = json!(unionid);
    }
    Ok(Reply::json(body).with_note(format!("profile of {}", token.openid)))
}

/// `GET /sns/auth?access_token=&openid=` → `{"errcode":0,"errmsg":"ok"}`.
pub fn auth(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, check(sim, call))
}

fn check(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let state = sim.lock();
    let token = user_token(&state, call, now)?;
    if call.param("openid") != Some(token.openid.as_str()) {
        return Err(WxErr(40003));
    }
    Ok(Reply::ok_with(json!({})).with_note(format!("token of {} is valid", token.openid)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_goes_into_the_query_before_any_fragment() {
        assert_eq!(callback("https://a.example/cb", Some("C"), "s1"), "https://a.example/cb?code=C&state=s1");
        assert_eq!(callback("https://a.example/cb?x=1", Some("C"), ""), "https://a.example/cb?x=1&code=C&state=");
        assert_eq!(callback("https://a.example/#/cb", Some("C"), "s"), "https://a.example/?code=C&state=s#/cb");
        assert_eq!(callback("https://a.example/cb", None, "s"), "https://a.example/cb?state=s");
    }
}
