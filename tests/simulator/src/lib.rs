//! wechat-sim: a local, faithful stand-in for the WeChat server APIs wechat-edge calls
//! (wechat-api.md §15), for the end-to-end tests and the offline demo. A native HTTP/1.1
//! server (axum + tokio, keep-alive, TCP_NODELAY) with a clock the tests can move.
//!
//! # Layout
//!
//! - `main.rs`: the `wechat-sim` command line.
//! - [`config`]: apps, seed, and every documented limit (all changeable).
//! - `state`: the simulator's memory behind one mutex; `clock`: simulated time.
//! - `api`: the WeChat router and the wrapper every WeChat call goes through (faults, errcode
//!   envelope, call log, counters, console line); `wx`: request/reply/errcode conventions.
//! - One module per WeChat area: `tokens` (`cgi-bin/token`, `cgi-bin/stable_token`, the token
//!   check), `login` (`jscode2session`, `checksession`, `resetusersessionkey`), `phone`,
//!   `server_ip`, `custom_message` (`custom/send`, `custom/typing` and the send window),
//!   `qrcode` (the three code endpoints with real images, `qrcode/create` + `showqrcode`, the
//!   released pages and code quotas), `links` (`generatescheme`, `generate_urllink`).
//! - `control`: the `/_sim/` API (clock, log, faults, tokens, counters, limits, reset), with the
//!   user-side hooks in `users` (login/phone codes, blocking, user actions) and `open_data`.
//! - `whitelist`: the API IP whitelist (40164 for AppSecret calls, or every call, that do not
//!   come in on the relay port, `--relay-port`), and which port a call came in on.
//! - `faults`, `log`: the fault queue and the call log; `ids`: WeChat-shaped random ids;
//!   `sim_crypto`: open-data encryption and the two signatures.
//! - `push`: user actions delivered to the worker's webhook (signed, encrypted, retried, the
//!   answer read as WeChat does) and the URL check; `media`: `media/upload` and its media ids.
//! - `templates` + `subscribe` (`wxaapi/newtmpl/gettemplate`, `message/subscribe/send` and
//!   the grants) with the value rules in `keywords`, `datacube` (analytics reports, dates in
//!   [`dates`]), `security` (`wxa/msg_sec_check`).
//! - `oa`: official accounts (`--oa`, wechat-oa.md): web authorization (`oa::oauth`: the
//!   `open.weixin.qq.com` authorize page, `sns/oauth2/*`, `sns/userinfo`, `sns/auth`), JS-SDK
//!   tickets and the `wx.config` check (`oa::ticket`), template messages and `bizsend`
//!   (`oa::template`), followers and `user/info` (`oa::users`), and the scan / follow / unfollow
//!   push actions (`oa::scan`). A person is a unionid: each app gives them its own openid.
//! - [`pay`]: WeChat Pay APIv3 (wechat-pay.md §10): the `/v3/…` API with the merchant's
//!   signature checked and answers signed by the simulator's own platform keys (public key and
//!   platform certificate), orders, a user paying, notifies with the real retry schedule and
//!   duplicates/tampering on request, refunds, `/v3/certificates`, and
//!   `wxa/sec/order/upload_shipping_info`. Its routes, `/_sim/pay/…` included, are listed there.
//! - [`wire`]: the push protocol itself (signatures, the AES envelope, the `<xml>` reader and
//!   writer, messages, replies), public so end-to-end tests build and read pushes with it.
//!
//! The simulator is an independent implementation of WeChat: it shares no code with the
//! worker crate, only the protocol documents, so a misreading on either side shows up as a
//! failing end-to-end test instead of agreeing with itself.
//!
//! # Control API (`/_sim/`, JSON in and out, 400/404/405 `{"error"}` on a bad request)
//!
//! | route | body / query | answer |
//! | --- | --- | --- |
//! | `GET /_sim/health` | | `{"ok","apps","official_accounts","now","relay"}` (`apps`: every app, `--app` and `--oa`; `official_accounts`: the `--oa` ones; `relay`: the relay port's URL, or null) |
//! | `GET /_sim/clock` | | `{"now","frozen"}` |
//! | `POST /_sim/clock/advance` | `{"seconds"}` (>= 0) | `{"now","frozen"}` |
//! | `POST /_sim/clock/freeze` | `{"frozen"?: true}` | `{"now","frozen"}` |
//! | `POST /_sim/login_code` | `{"appid"?,"openid"?,"unionid"?}` | `{"code","openid","unionid"?,"expires_at"}` |
//! | `POST /_sim/phone_code` | `{"appid"?,"openid","phone"?,"country_code"?}` | `{"code","expires_at"}` |
//! | `POST /_sim/open_data` | `{"appid"?,"openid","data"?,"rotated"?}` | `{"encryptedData","iv","rawData","signature"}` |
//! | `POST /_sim/users/block` | `{"appid"?,"openid","blocked"?: true}` | `{"openid","blocked"}` |
//! | `POST /_sim/user_action` | `{"appid"?,"openid"?,"kind":"message"\|"enter_session"}` | `{"openid","cs_window"}` |
//! | `GET /_sim/users` | `?appid=&openid=` | a user (`session_key` included), or `{"users":[..]}` |
//! | `GET /_sim/log` | `?path=&via=relay\|direct` | `{"calls":[{"seq","at","method","path","query","body","appid"?,"errcode","status","fault","via"}]}` (`via`: the port the call came in on) |
//! | `POST /_sim/log/clear` | | `{"ok"}` |
//! | `POST /_sim/faults` | a rule or `[rules]`: `{"path","errcode"?,"status"?,"delay_ms"?,"malformed"?,"content_type"?,"times"?: 1,"after"?: 0}` | `{"queued","faults"}` |
//! | `GET`/`DELETE /_sim/faults` | | `{"faults"}` / `{"ok"}` |
//! | `GET /_sim/tokens` | `?appid=`, or `?access_token=` | `{"stable":{"current","issued_at","expires_at","valid"},"classic":{..}}`, or one token |
//! | `POST /_sim/tokens/invalidate` | `{"appid"?,"kind":"stable"\|"classic"}` | `{"invalidated": token or null}` |
//! | `GET /_sim/counters` | `?appid=` | `{"appid","date","calls":{path: n}}` (today, Beijing time) |
//! | `GET`/`POST /_sim/limits` | partial [`Limits`] | the limits in force |
//! | `GET`/`POST /_sim/pages` | `{"appid"?,"pages":[..]}` / `?appid=` | `{"appid","pages"}` (the released version's pages) |
//! | `GET`/`POST /_sim/qr_quota` | `{"appid"?,"used"?,"total"?,"unlimited_per_minute"?,"links_daily"?}` / `?appid=` | those five |
//! | `POST /_sim/templates` | `{"appid"?,"templates":[{"priTmplId","title","content","type"?,"example"?,"keywordEnumValueList"?}],"replace"?}` | `{"appid","templates"}` (as `gettemplate` lists them) |
//! | `POST /_sim/subscriptions` | `{"appid"?,"openid","template_id","count"?: 1}` | `{"openid","template_id","remaining"}` |
//! | `GET /_sim/subscriptions` | `?appid=&openid=` | `{"subscriptions":[{"openid","template_id","remaining"}]}` |
//! | `GET`/`POST /_sim/risky_words` | `{"appid"?,"risky_words":[..]}` / `?appid=` | `{"appid","risky_words"}` (`msg_sec_check`) |
//! | `POST /_sim/push` | `{"url","token","appid"?,"aes_key"?,"format"?: "xml"\|"json","mode"?: "plain"\|"compatible"\|"safe","official_account"?,"to_user_name"?,"action":{"type":"text"\|"image"\|"miniprogrampage"\|"enter_session"\|"event"\|"raw"\|"scan"\|"follow"\|"unfollow",..},"deliveries"?: 3,"timeout_ms"?: 5000,"force_deliveries"?,"concurrent"?,"same_params_on_retry"?: true,"timestamp"?,"tamper"?}` (details in `push.rs`) | `{"push","openid","msg_id"?,"create_time","deliveries":[..],"outcome","reply_content"?,"reason"?,"user_saw"?}` |
//! | `POST /_sim/push/verify` | `{"url","token","timeout_ms"?}` | `{"ok","status","body","echostr","outcome"}` |
//! | `GET /_sim/push/log` | `?push=` | `{"deliveries":[..],"user_events":[{"push","openid","kind","saw","at"}]}` |
//! | `POST /_sim/push/log/clear` | | `{"ok"}` |
//! | `GET /_sim/media` | `?appid=` | `{"media":[{"media_id","appid","created_at","expires_at","size","filename","content_type"}]}` |
//! | `GET /_sim/whitelist` | `?appid=` | `{"appid","enabled","scope"}`; without `appid`, `{"whitelist":[..],"relay"}` |
//! | `POST /_sim/whitelist` | `{"appid"?,"enabled"?: true,"scope"?: "secret"\|"all"}` | `{"appid","enabled","scope"}` (`whitelist`: 40164 off the relay port) |
//! | `POST /_sim/oa/follow` | `{"appid"?,"openid"?,"unionid"?,"following"?: true,"scene"?}` | `{"appid","openid","unionid"?,"following","subscribe_scene"?,"subscribe_time"?}` (creates the user; pushes nothing) |
//! | `POST /_sim/oa/templates` | `{"appid"?,"templates":[{"template_id","title","content","example"?,"primary_industry"?,"deputy_industry"?}],"replace"?}` | `{"appid","template_list"}` (as `get_all_private_template` lists them) |
//! | `GET /_sim/oa/messages` | `?appid=&touser=` | `{"appid","messages":[{"kind":"template"\|"bizsend","msgid"?,"at","touser","template_id","url"\|"page","miniprogram","client_msg_id"?,"data"}]}` |
//! | `GET /_sim/tickets` | `?appid=` | `{"appid","now","jsapi":{"current","issued_at","expires_at","valid"},"wx_card":{..},"tickets":[{"ticket","type","issued_at","expires_at","invalid_from","valid"}]}` |
//! | `POST /_sim/tickets/invalidate` | `{"appid"?,"type"?: "jsapi"\|"wx_card"}` | `{"appid","invalidated":[tickets]}` (every valid ticket refused from now on) |
//! | `POST /_sim/tickets/next` | `{"appid"?,"type"?: "jsapi"\|"wx_card","ticket"}` | `{"appid","type","queued"}` (the next `getticket` of that type hands out this text) |
//! | `POST /_sim/jssdk/check` | `{"appId","timestamp","nonceStr","signature","url","debug"?,"jsApiList"?,"openTagList"?}` | `{"ok":true,"ticket"}` or `{"ok":false,"errMsg":"config:invalid signature","reason"}` (`wx.config`) |
//! | `POST /_sim/reset` | | `{"ok"}` (apps, start-up limits and start-up whitelists kept) |
//! | `/_sim/pay/…` | | WeChat Pay: merchants, settings, keys, paying, notifies, refunds, shipping (see [`pay`]) |
//!
//! The `/_sim/oa/...` and `/_sim/tickets` hooks and the official-account push actions default
//! to the first `--oa` app; naming a mini-program there is a 400.
//!
//! # Official-account endpoints (WeChat side, `oa`)
//!
//! `GET /connect/oauth2/authorize` (302 to `redirect_uri?code=&state=`, 400 `{"error"}` for a
//! bad link; user from `X-Sim-Openid`, `X-Sim-Unionid`, `X-Sim-Snapshot: 1`, `X-Sim-Refuse: 1`),
//! `GET /sns/oauth2/access_token`, `GET /sns/oauth2/refresh_token`, `GET /sns/userinfo`,
//! `GET /sns/auth`, `GET /cgi-bin/ticket/getticket`, `GET /cgi-bin/template/get_all_private_template`,
//! `POST /cgi-bin/message/template/send`, `POST /cgi-bin/message/subscribe/bizsend`,
//! `GET /cgi-bin/user/info`. A mini-program's token or secret gets 48001 on each.

pub mod config;
pub mod dates;
pub use wechat_wire as wire;

mod api;
mod clock;
mod control;
mod custom_message;
mod datacube;
mod faults;
mod ids;
mod keywords;
mod links;
mod log;
mod login;
mod media;
mod oa;
mod open_data;
pub mod pay;
mod phone;
mod push;
mod qrcode;
mod security;
mod server_ip;
mod sim_crypto;
mod state;
mod subscribe;
mod templates;
mod tokens;
mod users;
mod whitelist;
mod wx;

pub use config::{AppConfig, AppKind, Config, Limits};
/// The JS-SDK `wx.config` signature (wechat-oa.md §2.2), for tests that sign as a page would.
pub use oa::ticket::jsapi_signature;
/// WeChat Pay merchants and their signing mode, for `Config::pay`.
pub use pay::{KeyMode as PayKeyMode, MerchantConfig, PaySetup};
/// Open-data crypto and the two user-data signatures, exposed so tests can check what the
/// simulator made against the official vectors.
pub use sim_crypto::{decrypt_open_data, encrypt_open_data, raw_data_signature, session_signature};
/// Which calls of an app its IP whitelist covers (`Config::ip_whitelist`).
pub use whitelist::Scope as WhitelistScope;

use axum::serve::ListenerExt;
use axum::{Extension, Router};
use state::Sim;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use whitelist::Via;

/// The whole HTTP surface: `/_sim/...` control routes, everything else is WeChat. `via` tells
/// every request which port it came in on.
fn router(sim: Arc<Sim>, via: Via) -> Router {
    control::router(sim.clone()).fallback(api::handle).with_state(sim).layer(Extension(via))
}

/// A started simulator: its address, the relay port's (when configured), and the task serving
/// both until aborted.
pub struct Running {
    pub addr: SocketAddr,
    pub relay_addr: Option<SocketAddr>,
    pub handle: JoinHandle<()>,
}

/// Binds, prints the "listening" line (when `print_log`), and serves in a background task
/// until the handle is aborted. Port 0 picks a free port; the address bound is returned.
pub async fn serve(config: Config) -> io::Result<(SocketAddr, JoinHandle<()>)> {
    let running = start(config).await?;
    Ok((running.addr, running.handle))
}

/// [`serve`], with the relay port too: binds both ports, prints `wechat-sim listening on
/// http://ADDR` and then (with a relay port) `wechat-sim relay port on http://ADDR` when
/// `print_log`, and serves both in one background task.
pub async fn start(config: Config) -> io::Result<Running> {
    let invalid = |e: String| io::Error::new(io::ErrorKind::InvalidInput, e);
    config.limits.validate().map_err(invalid)?;
    for merchant in &config.pay.merchants {
        merchant.validate().map_err(invalid)?;
        if let Some(unknown) = merchant.appids.iter().find(|id| !config.apps.iter().any(|a| &a.appid == *id)) {
            return Err(invalid(format!("merchant {} is bound to {unknown}, which is no configured app", merchant.mchid)));
        }
    }
    if config.apps.is_empty() {
        return Err(invalid("at least one app is needed".into()));
    }
    if let Some(unknown) = config.ip_whitelist.keys().find(|id| !config.apps.iter().any(|a| &a.appid == *id)) {
        return Err(invalid(format!("IP whitelist for {unknown}, which is no configured app")));
    }
    let listener = TcpListener::bind((config.host, config.port)).await?;
    let addr = listener.local_addr()?;
    let relay = match config.relay_port {
        Some(port) => Some(TcpListener::bind((config.host, port)).await?),
        None => None,
    };
    let relay_addr = relay.as_ref().map(TcpListener::local_addr).transpose()?;
    if config.print_log {
        // The first line on stdout, before any request can be served: the harness reads it.
        println!("{}", listening_lines(addr, relay_addr));
        io::stdout().flush()?;
    }
    let sim = Arc::new(Sim::new(config, relay_addr));
    let main = serve_on(listener, router(sim.clone(), Via::Direct));
    let handle = match relay {
        Some(relay) => {
            let relay = serve_on(relay, router(sim, Via::Relay));
            tokio::spawn(async move {
                tokio::join!(main, relay);
            })
        }
        None => tokio::spawn(main),
    };
    Ok(Running { addr, relay_addr, handle })
}

/// What the binary prints first: the main address, then the relay port's on its own line.
pub fn listening_lines(addr: SocketAddr, relay_addr: Option<SocketAddr>) -> String {
    let mut lines = format!("wechat-sim listening on http://{addr}");
    if let Some(relay) = relay_addr {
        lines.push_str(&format!("\nwechat-sim relay port on http://{relay}"));
    }
    lines
}

async fn serve_on(listener: TcpListener, app: Router) {
    // workerd keeps connections alive and sends small requests: no Nagle delay.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    // The peer address names the caller in a whitelist refusal (40164).
    if let Err(e) = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await {
        eprintln!("wechat-sim: server stopped: {e}");
    }
}
