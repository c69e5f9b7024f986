//! The three mini-program code endpoints (§7.1–7.3): `wxa/getwxacodeunlimit` (interface B,
//! 5000 a minute), `wxa/getwxacode` (A) and `cgi-bin/wxaapp/createwxaqrcode` (C), which share
//! a lifetime total of 100,000 codes per app (45029 once reached; only codes made count).
//! Each answers a real image whose QR text tells what was asked for.

use super::render::{render, Image, Look};
use super::{env_version, json_body, opt_bool, opt_int, opt_object, opt_str, payload, with_errmsg, AppCodes};
use crate::clock::minute_of;
use crate::state::{Sim, State};
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use serde_json::{Map, Value};

const MIN_WIDTH: i64 = 280;
const MAX_WIDTH: i64 = 1280;
const DEFAULT_WIDTH: i64 = 430;
const MAX_SCENE: usize = 32;
const SCENE_SPECIALS: &str = "!#$&'()*+,/:;=?@-._~";
/// Interface A's path limit (current doc: characters) and interface C's (bytes).
const MAX_PATH_A: usize = 1024;
const MAX_PATH_C: usize = 128;

/// `width`, `auto_color`, `line_color`, `is_hyaline`: how a round code looks.
struct Style {
    width: u32,
    dark: [u8; 3],
    transparent: bool,
}

/// Reads the style fields; wrong types are 47001, a width or colour out of range 40097
/// (WeChat documents no code for these; 40097 "invalid args" is assumed).
fn style(body: &Map<String, Value>, transparency: bool) -> Result<Style, WxErr> {
    let width = width(body)?;
    let auto_color = opt_bool(body, "auto_color")?.unwrap_or(false);
    let line_color = line_color(body)?;
    let is_hyaline = opt_bool(body, "is_hyaline")?.unwrap_or(false);
    Ok(Style {
        width,
        // The simulator's "automatic" colour is plain black.
        dark: if auto_color { [0, 0, 0] } else { line_color },
        transparent: transparency && is_hyaline,
    })
}

fn width(body: &Map<String, Value>) -> Result<u32, WxErr> {
    let width = opt_int(body, "width")?.unwrap_or(DEFAULT_WIDTH);
    if !(MIN_WIDTH..=MAX_WIDTH).contains(&width) {
        return Err(WxErr(40097));
    }
    u32::try_from(width).map_err(|_| WxErr(40097))
}

/// `{"r","g","b"}`, each a number or (as the older doc shows) a decimal string.
fn line_color(body: &Map<String, Value>) -> Result<[u8; 3], WxErr> {
    let Some(rgb) = opt_object(body, "line_color")? else {
        return Ok([0, 0, 0]);
    };
    let channel = |name: &str| -> Result<u8, WxErr> {
        let value = match rgb.get(name) {
            None | Some(Value::Null) => return Ok(0),
            Some(Value::Number(n)) => n.as_i64().ok_or(WxErr(47001))?,
            Some(Value::String(s)) => s.trim().parse::<i64>().map_err(|_| WxErr(47001))?,
            Some(_) => return Err(WxErr(47001)),
        };
        u8::try_from(value).map_err(|_| WxErr(40097))
    };
    Ok([channel("r")?, channel("g")?, channel("b")?])
}

fn is_scene(scene: &str) -> bool {
    !scene.is_empty()
        && scene.chars().count() <= MAX_SCENE
        && scene.chars().all(|c| c.is_ascii_alphanumeric() || SCENE_SPECIALS.contains(c))
}

/// `POST /wxa/getwxacodeunlimit?access_token=` (interface B).
pub fn unlimited(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, make_unlimited(sim, call))
}

fn make_unlimited(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let codes = app_codes(&mut guard, &appid)?;
    if codes.unlimited_this_minute.hit(minute_of(now)) > codes.unlimited_per_minute {
        return Err(WxErr(45009));
    }
    let body = json_body(call, 40169)?;
    let scene = opt_str(&body, "scene")?;
    let page = opt_str(&body, "page")?.unwrap_or("");
    let check_path = opt_bool(&body, "check_path")?.unwrap_or(true);
    let env = opt_str(&body, "env_version")?;
    let style = style(&body, true)?;
    let scene = scene.filter(|s| is_scene(s)).ok_or(WxErr(40169))?;
    let env = env_version(env)?;
    if page.starts_with('/') || page.contains('?') {
        return Err(WxErr(41030));
    }
    if !page.is_empty() && check_path && env == "release" && !codes.released_pages.contains(page) {
        return Err(WxErr(41030));
    }
    let text = payload("unlimited", &[("appid", &appid), ("page", page), ("scene", scene), ("env_version", env)]);
    image_reply(&text, &style)
}

/// `POST /wxa/getwxacode?access_token=` (interface A).
pub fn limited(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, make_counted(sim, call, Kind::A))
}

/// `POST /cgi-bin/wxaapp/createwxaqrcode?access_token=` (interface C).
pub fn classic(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    with_errmsg(sim, make_counted(sim, call, Kind::C))
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    A,
    C,
}

fn make_counted(sim: &Sim, call: &Call, kind: Kind) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    let mut guard = sim.lock();
    let appid = authorize(&guard, call, now)?;
    let codes = app_codes(&mut guard, &appid)?;
    let body = json_body(call, 40159)?;
    let path = opt_str(&body, "path")?.unwrap_or("");
    let (text, style) = match kind {
        Kind::A => {
            let env = opt_str(&body, "env_version")?;
            let style = style(&body, true)?;
            if path.is_empty() || path.chars().count() > MAX_PATH_A {
                return Err(WxErr(40159));
            }
            let env = env_version(env)?;
            let pairs = [("appid", appid.as_str()), ("path", path), ("env_version", env)];
            (payload("wxacode", &pairs), style)
        }
        Kind::C => {
            let width = width(&body)?;
            if path.is_empty() || path.len() > MAX_PATH_C {
                return Err(WxErr(40159));
            }
            let style = Style { width, dark: [0, 0, 0], transparent: false };
            (payload("wxaqrcode", &[("appid", &appid), ("path", path)]), style)
        }
    };
    if codes.total_used >= codes.total_cap {
        return Err(WxErr(45029));
    }
    let reply = image_reply(&text, &style)?;
    codes.total_used += 1;
    let note = format!("{text} ({} of {} codes made)", codes.total_used, codes.total_cap);
    Ok(reply.with_note(note))
}

fn app_codes<'a>(state: &'a mut State, appid: &str) -> Result<&'a mut AppCodes, WxErr> {
    // authorize() found the app through its token, so it exists.
    state.apps.get_mut(appid).map(|app| &mut app.codes).ok_or(WxErr(40001))
}

fn image_reply(text: &str, style: &Style) -> Result<Reply, WxErr> {
    let look = Look { width: style.width, dark: style.dark, transparent: style.transparent };
    let Image { bytes, content_type } = render(text, look).map_err(|_| WxErr(-1))?;
    Ok(image(content_type, bytes, text))
}

/// An image answer, logged as a success (errcode 0) with the QR text as its note.
pub(super) fn image(content_type: &str, bytes: Vec<u8>, text: &str) -> Reply {
    let mut reply = Reply::page(200, content_type, bytes).with_note(text.to_string());
    reply.errcode = Some(0);
    reply
}
