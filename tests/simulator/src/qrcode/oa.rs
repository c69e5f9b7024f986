//! Official-account parametric QR codes (§7.4): `cgi-bin/qrcode/create` issues a ticket and
//! the `url` it stands for; `cgi-bin/showqrcode?ticket=` (no token, on mp.weixin.qq.com) shows
//! the code as a JPEG while the ticket lives, HTTP 404 otherwise.

use super::codes::image;
use super::render::{render, Look};
use super::{opt_int, opt_object, opt_str, with_errmsg, OaTicket};
use crate::state::{Sim, State};
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use base64::Engine;
use rand::Rng;
use serde_json::{json, Map, Value};

/// Temporary codes live this long when `expire_seconds` is left out (the current doc; older
/// copies say 30), and at most 30 days.
const DEFAULT_EXPIRE: i64 = 60;
const MAX_EXPIRE: i64 = 2_592_000;
const MAX_PERMANENT_SCENE_ID: i64 = 100_000;
const MAX_SCENE_STR: usize = 64;
const SHOW_WIDTH: u32 = 430;
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `POST /cgi-bin/qrcode/create?access_token=` with
/// `{"expire_seconds"?, "action_name", "action_info": {"scene": {"scene_id" | "scene_str"}}}`.
pub fn create_ticket(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, create(sim, call))
}

fn create(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let body = call.json_object()?;
    let action = opt_str(&body, "action_name")?.unwrap_or("");
    let (permanent, by_id) = match action {
        "QR_SCENE" => (false, true),
        "QR_STR_SCENE" => (false, false),
        "QR_LIMIT_SCENE" => (true, true),
        "QR_LIMIT_STR_SCENE" => (true, false),
        _ => return Err(WxErr(40053)),
    };
    let scene = check_scene(&body, permanent, by_id)?;
    let expire_seconds = match opt_int(&body, "expire_seconds")? {
        _ if permanent => None,
        None => Some(DEFAULT_EXPIRE),
        Some(s) if (1..=MAX_EXPIRE).contains(&s) => Some(s),
        Some(_) => return Err(WxErr(40053)),
    };
    let State { rng, oa_tickets, .. } = &mut *guard;
    let id: String = (0..20).map(|_| ALNUM[rng.gen_range(0..ALNUM.len())] as char).collect();
    let url = format!("http://weixin.qq.com/q/{id}");
    // Shaped like WeChat's: base64 of a binary record that holds the url.
    let mut raw = vec![0x81, 0x01];
    raw.extend(rng.gen::<[u8; 6]>());
    raw.extend(url.as_bytes());
    let ticket = base64::engine::general_purpose::STANDARD.encode(raw);
    let expires_at = expire_seconds.map(|s| now + s);
    oa_tickets.insert(ticket.clone(), OaTicket { appid, url: url.clone(), expires_at, scene, scene_str: !by_id });
    let answer = match expire_seconds {
        Some(s) => json!({"ticket": ticket, "expire_seconds": s, "url": url}),
        None => json!({"ticket": ticket, "url": url}),
    };
    Ok(Reply::json(answer).with_note(format!("{action} {url}")))
}

/// `action_info.scene`: `scene_id` (temporary: a non-zero 32-bit integer; permanent:
/// 1–100000) or `scene_str` (1–64 characters). Anything else is 40053. Answers the scene as
/// the scan events carry it.
fn check_scene(body: &Map<String, Value>, permanent: bool, by_id: bool) -> Result<String, WxErr> {
    let bad = WxErr(40053);
    let info = opt_object(body, "action_info").map_err(|_| bad)?.ok_or(bad)?;
    let scene = opt_object(info, "scene").map_err(|_| bad)?.ok_or(bad)?;
    if by_id {
        let id = opt_int(scene, "scene_id").map_err(|_| bad)?.ok_or(bad)?;
        let ok = if permanent { (1..=MAX_PERMANENT_SCENE_ID).contains(&id) } else { id != 0 && i32::try_from(id).is_ok() };
        ok.then(|| id.to_string()).ok_or(bad)
    } else {
        let s = opt_str(scene, "scene_str").map_err(|_| bad)?.ok_or(bad)?;
        let len = s.chars().count();
        (1..=MAX_SCENE_STR).contains(&len).then(|| s.to_string()).ok_or(bad)
    }
}

/// `GET /cgi-bin/showqrcode?ticket=<URL-encoded ticket>`: 200 JPEG, or HTTP 404.
pub fn show_qrcode(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let url = {
        let state = sim.lock();
        call.param("ticket")
            .and_then(|t| state.oa_tickets.get(t))
            .filter(|t| t.expires_at.is_none_or(|at| now < at))
            .map(|t| (t.appid.clone(), t.url.clone()))
    };
    let Some((appid, url)) = url else {
        return Ok(not_found());
    };
    let look = Look { width: SHOW_WIDTH, dark: [0, 0, 0], transparent: false };
    let picture = render(&url, look).map_err(|_| WxErr(-1))?;
    let mut reply = image(picture.content_type, picture.bytes, &url);
    reply.note = Some(format!("{url} of {appid}"));
    Ok(reply)
}

fn not_found() -> Reply {
    Reply::page(
        404,
        "text/html; charset=utf-8",
        "<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center></body></html>",
    )
}
