//! Mini-program codes, official-account ticket QR codes and links: real images that read back
//! as what was asked for, every documented errcode, the shared 100,000-code cap, and tickets
//! that stop showing once expired.

mod common;

use common::*;
use serde_json::{json, Value};

/// A binary-safe answer.
struct Image {
    status: u16,
    content_type: String,
    bytes: Vec<u8>,
}

impl Image {
    fn errcode(&self) -> i64 {
        let body: Value = serde_json::from_slice(&self.bytes)
            .unwrap_or_else(|_| panic!("not JSON: {} ({} bytes)", self.content_type, self.bytes.len()));
        body["errcode"].as_i64().unwrap_or(0)
    }

    fn decoded(&self) -> image::DynamicImage {
        image::load_from_memory(&self.bytes).expect("a decodable image")
    }

    /// The text the QR code encodes.
    fn qr_text(&self) -> String {
        let luma = self.decoded().to_luma8();
        let (w, h) = luma.dimensions();
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w as usize, h as usize, |x, y| luma.get_pixel(x as u32, y as u32).0[0]);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in the image");
        grids[0].decode().expect("the QR code reads").1
    }
}

async fn fetch(sim: &TestSim, request: reqwest::RequestBuilder) -> Image {
    let _ = sim;
    let response = request.send().await.expect("request reaches the simulator");
    let status = response.status().as_u16();
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let bytes = response.bytes().await.expect("body reads").to_vec();
    Image { status, content_type, bytes }
}

async fn code(sim: &TestSim, path: &str, token: &str, body: Value) -> Image {
    let request = sim.http.post(format!("{}{path}", sim.base)).query(&[("access_token", token)]).json(&body);
    fetch(sim, request).await
}

async fn code_raw(sim: &TestSim, path: &str, token: &str, body: &'static str) -> Image {
    let request = sim.http.post(format!("{}{path}", sim.base)).query(&[("access_token", token)]).body(body);
    fetch(sim, request).await
}

async fn show(sim: &TestSim, ticket: &str) -> Image {
    let request = sim.http.get(format!("{}/cgi-bin/showqrcode", sim.base)).query(&[("ticket", ticket)]);
    fetch(sim, request).await
}

const UNLIMITED: &str = "/wxa/getwxacodeunlimit";
const LIMITED: &str = "/wxa/getwxacode";
const CLASSIC: &str = "/cgi-bin/wxaapp/createwxaqrcode";

#[tokio::test]
async fn an_unlimited_code_is_a_jpeg_of_the_asked_width_that_reads_as_its_scene() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let default = code(&sim, UNLIMITED, &token, json!({"scene": "id=42&x=1", "page": "pages/index/index"})).await;
    let wide = code(&sim, UNLIMITED, &token, json!({"scene": "a", "width": 1280})).await;

    assert_eq!((default.status, default.content_type.as_str()), (200, "image/jpeg"));
    assert_eq!(&default.bytes[..3], &[0xFF, 0xD8, 0xFF]);
    let img = default.decoded();
    assert_eq!((img.width(), img.height()), (430, 430));
    assert_eq!(
        default.qr_text(),
        format!("wxsim:unlimited?appid={APPID}&page=pages%2Findex%2Findex&scene=id%3D42%26x%3D1&env_version=release")
    );
    assert_eq!((wide.decoded().width(), wide.decoded().height()), (1280, 1280));
}

#[tokio::test]
async fn a_transparent_code_is_a_png_with_alpha_in_the_line_colour() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let red = json!({"r": 255, "g": 0, "b": 0});

    let png = code(&sim, UNLIMITED, &token, json!({"scene": "s", "is_hyaline": true, "line_color": red, "width": 300})).await;
    let auto =
        code(&sim, UNLIMITED, &token, json!({"scene": "s", "is_hyaline": true, "line_color": red, "auto_color": true})).await;

    assert_eq!((png.status, png.content_type.as_str()), (200, "image/png"));
    let rgba = png.decoded().to_rgba8();
    assert_eq!(rgba.dimensions(), (300, 300));
    assert_eq!(rgba.get_pixel(0, 0).0[3], 0, "the background is transparent");
    assert!(rgba.pixels().any(|p| p.0 == [255, 0, 0, 255]), "the modules are red");
    assert!(png.qr_text().starts_with("wxsim:unlimited?"));
    let auto = auto.decoded().to_rgba8();
    assert!(!auto.pixels().any(|p| p.0 == [255, 0, 0, 255]), "auto_color ignores line_color");
}

#[tokio::test]
async fn a_jpeg_code_is_drawn_in_the_line_colour() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let blue = code(&sim, UNLIMITED, &token, json!({"scene": "s", "line_color": {"r": 0, "g": 0, "b": 255}})).await;

    let rgb = blue.decoded().to_rgb8();
    let bluish = rgb.pixels().filter(|p| p.0[2] > 200 && p.0[0] < 60 && p.0[1] < 60).count();
    assert!(bluish > 1000, "{bluish} blue pixels");
}

#[tokio::test]
async fn unlimited_code_errors_are_the_documented_errcodes() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let cases = [
        (json!({"scene": "a", "check_path": "false"}), 47001),
        (json!({"scene": 42}), 47001),
        (json!({"scene": "a", "width": "430"}), 47001),
        (json!({"scene": "a", "line_color": "#000"}), 47001),
        (json!({}), 40169),
        (json!({"scene": ""}), 40169),
        (json!({"scene": "a".repeat(33)}), 40169),
        (json!({"scene": "a b"}), 40169),
        (json!({"scene": "%E4"}), 40169),
        (json!({"scene": "中"}), 40169),
        (json!({"scene": "a", "page": "/pages/index/index"}), 41030),
        (json!({"scene": "a", "page": "pages/index/index?x=1"}), 41030),
        (json!({"scene": "a", "page": "pages/unreleased/unreleased"}), 41030),
        (json!({"scene": "a", "page": "/pages/index/index", "check_path": false}), 41030),
        (json!({"scene": "a", "env_version": ""}), 40097),
        (json!({"scene": "a", "env_version": "prod"}), 40097),
        (json!({"scene": "a", "width": 279}), 40097),
        (json!({"scene": "a", "width": 1281}), 40097),
        (json!({"scene": "a", "line_color": {"r": 256, "g": 0, "b": 0}}), 40097),
    ];
    for (body, expected) in cases {
        let answer = code(&sim, UNLIMITED, &token, body.clone()).await;
        assert_eq!((answer.status, answer.content_type.as_str()), (200, "application/json; encoding=utf-8"), "{body}");
        assert_eq!(answer.errcode(), expected, "{body}");
    }
    assert_eq!(code_raw(&sim, UNLIMITED, &token, "scene=a").await.errcode(), 40169);
    assert_eq!(code_raw(&sim, UNLIMITED, &token, "").await.errcode(), 40169);
}

#[tokio::test]
async fn an_unreleased_page_is_allowed_without_check_path_or_outside_release() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let page = "pages/new/new";

    let unchecked = code(&sim, UNLIMITED, &token, json!({"scene": "a", "page": page, "check_path": false})).await;
    let trial = code(&sim, UNLIMITED, &token, json!({"scene": "a", "page": page, "env_version": "trial"})).await;
    let before = code(&sim, UNLIMITED, &token, json!({"scene": "a", "page": page})).await;
    sim.control("/_sim/pages", json!({"pages": ["pages/index/index", page]})).await;
    let after = code(&sim, UNLIMITED, &token, json!({"scene": "a", "page": page})).await;

    assert_eq!((unchecked.status, unchecked.content_type.as_str()), (200, "image/jpeg"));
    assert!(unchecked.qr_text().contains("page=pages%2Fnew%2Fnew"));
    assert_eq!(trial.content_type, "image/jpeg");
    assert_eq!(before.errcode(), 41030);
    assert_eq!(after.content_type, "image/jpeg");
    let pages = sim.control_get("/_sim/pages", &[]).await;
    assert_eq!(pages["pages"], json!(["pages/index/index", page]));
}

#[tokio::test]
async fn codes_need_a_valid_access_token() {
    let sim = spawn_sim().await;

    let missing = fetch(&sim, sim.http.post(format!("{}{UNLIMITED}", sim.base)).json(&json!({"scene": "a"}))).await;
    let garbage = code(&sim, LIMITED, "nonsense", json!({"path": "p"})).await;
    let unknown = code(&sim, CLASSIC, &format!("92_{}", "A".repeat(136)), json!({"path": "p"})).await;

    assert_eq!(missing.errcode(), 41001);
    assert_eq!(garbage.errcode(), 40014);
    assert_eq!(unknown.errcode(), 40001);
}

#[tokio::test]
async fn interfaces_a_and_c_check_their_paths() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let a = code(&sim, LIMITED, &token, json!({"path": "pages/detail/detail?id=7", "width": 280})).await;
    let a_png = code(&sim, LIMITED, &token, json!({"path": "pages/detail/detail", "is_hyaline": true})).await;
    let c = code(&sim, CLASSIC, &token, json!({"path": "pages/detail/detail?id=7", "width": 600})).await;

    assert_eq!((a.content_type.as_str(), a.decoded().width()), ("image/jpeg", 280));
    assert_eq!(a.qr_text(), format!("wxsim:wxacode?appid={APPID}&path=pages%2Fdetail%2Fdetail%3Fid%3D7&env_version=release"));
    assert_eq!(a_png.content_type, "image/png");
    assert_eq!((c.content_type.as_str(), c.decoded().width()), ("image/jpeg", 600));
    assert_eq!(c.qr_text(), format!("wxsim:wxaqrcode?appid={APPID}&path=pages%2Fdetail%2Fdetail%3Fid%3D7"));
    let cases = [
        (LIMITED, json!({}), 40159),
        (LIMITED, json!({"path": ""}), 40159),
        (LIMITED, json!({"path": "p".repeat(1025)}), 40159),
        (LIMITED, json!({"path": 7}), 47001),
        (LIMITED, json!({"path": "p", "is_hyaline": "true"}), 47001),
        (LIMITED, json!({"path": "p", "env_version": "x"}), 40097),
        (LIMITED, json!({"path": "p", "width": 2000}), 40097),
        (CLASSIC, json!({"path": "p".repeat(129)}), 40159),
        (CLASSIC, json!({"width": 430}), 40159),
        (CLASSIC, json!({"path": "p", "width": 100}), 40097),
    ];
    for (path, body, expected) in cases {
        assert_eq!(code(&sim, path, &token, body.clone()).await.errcode(), expected, "{path} {body}");
    }
    assert!(code(&sim, LIMITED, &token, json!({"path": "p".repeat(1024)})).await.content_type.starts_with("image/"));
    assert!(code(&sim, CLASSIC, &token, json!({"path": "p".repeat(128)})).await.content_type.starts_with("image/"));
    assert_eq!(code_raw(&sim, LIMITED, &token, "path=p").await.errcode(), 40159);
    assert_eq!(code_raw(&sim, CLASSIC, &token, "{").await.errcode(), 40159);
}

#[tokio::test]
async fn interfaces_a_and_c_share_a_cap_of_100000_codes() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let quota = sim.control("/_sim/qr_quota", json!({"used": 99_999})).await;
    assert_eq!(quota["total"], 100_000);

    let refused = code(&sim, CLASSIC, &token, json!({"path": "p".repeat(129)})).await;
    let last = code(&sim, LIMITED, &token, json!({"path": "pages/index/index"})).await;
    let over_c = code(&sim, CLASSIC, &token, json!({"path": "pages/index/index"})).await;
    let over_a = code(&sim, LIMITED, &token, json!({"path": "pages/index/index"})).await;
    let unlimited = code(&sim, UNLIMITED, &token, json!({"scene": "still-fine"})).await;

    assert_eq!(refused.errcode(), 40159, "a refused request does not count");
    assert_eq!(last.content_type, "image/jpeg");
    assert_eq!(over_c.errcode(), 45029);
    assert_eq!(over_a.errcode(), 45029);
    assert_eq!(unlimited.content_type, "image/jpeg", "interface B has no cap");
    assert_eq!(sim.control_get("/_sim/qr_quota", &[]).await["used"], 100_000);
}

#[tokio::test]
async fn interface_b_allows_a_set_number_of_calls_a_minute() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    assert_eq!(sim.control_get("/_sim/qr_quota", &[]).await["unlimited_per_minute"], 5000);
    sim.control("/_sim/qr_quota", json!({"unlimited_per_minute": 2})).await;
    // The clock is frozen at some second: start at a minute's beginning so 3 calls share it.
    let now = sim.now().await;
    sim.advance(60 - now.rem_euclid(60)).await;

    let first = code(&sim, UNLIMITED, &token, json!({"scene": "a"})).await;
    let second = code(&sim, UNLIMITED, &token, json!({"scene": "a"})).await;
    let third = code(&sim, UNLIMITED, &token, json!({"scene": "a"})).await;
    sim.advance(60).await;
    let next_minute = code(&sim, UNLIMITED, &token, json!({"scene": "a"})).await;

    assert_eq!((first.content_type.as_str(), second.content_type.as_str()), ("image/jpeg", "image/jpeg"));
    assert_eq!(third.errcode(), 45009);
    assert_eq!(next_minute.content_type, "image/jpeg");
}

#[tokio::test]
async fn every_code_call_is_in_the_call_log() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    code(&sim, UNLIMITED, &token, json!({"scene": "logged"})).await;
    code(&sim, UNLIMITED, &token, json!({"scene": ""})).await;

    let calls = sim.calls(UNLIMITED).await;
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0]["errcode"], 0);
    assert_eq!(calls[0]["body"]["scene"], "logged");
    assert_eq!(calls[0]["appid"], APPID);
    assert_eq!(calls[1]["errcode"], 40169);
}

async fn create_ticket(sim: &TestSim, token: &str, body: Value) -> Answer {
    sim.post("/cgi-bin/qrcode/create", &[("access_token", token)], &body).await
}

#[tokio::test]
async fn a_temporary_ticket_shows_until_it_expires() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let created =
        create_ticket(&sim, &token, json!({"action_name": "QR_SCENE", "action_info": {"scene": {"scene_id": 123}}})).await;
    let body = created.json();
    let ticket = body["ticket"].as_str().expect("a ticket");
    let shown = show(&sim, ticket).await;
    sim.advance(59).await;
    let still = show(&sim, ticket).await;
    sim.advance(1).await;
    let expired = show(&sim, ticket).await;

    assert_eq!(body["expire_seconds"], 60, "the default life");
    let url = body["url"].as_str().expect("a url");
    assert!(url.starts_with("http://weixin.qq.com/q/"), "{url}");
    assert!(body.get("errcode").is_none());
    assert_eq!((shown.status, shown.content_type.as_str()), (200, "image/jpeg"));
    assert_eq!(shown.qr_text(), url);
    assert_eq!(still.status, 200);
    assert_eq!(expired.status, 404);
}

#[tokio::test]
async fn a_permanent_ticket_has_no_expiry_and_keeps_showing() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let by_str = create_ticket(
        &sim,
        &token,
        json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": "test"}}}),
    )
    .await
    .json();
    let by_id =
        create_ticket(&sim, &token, json!({"action_name": "QR_LIMIT_SCENE", "action_info": {"scene": {"scene_id": 100000}}}))
            .await
            .json();
    sim.advance(365 * 86_400).await;

    assert!(by_str.get("expire_seconds").is_none());
    assert!(by_id["ticket"].is_string());
    assert_eq!(show(&sim, by_str["ticket"].as_str().unwrap()).await.status, 200);
}

#[tokio::test]
async fn a_long_temporary_ticket_lives_its_expire_seconds() {
    let sim = spawn_sim().await;
    let token = sim.token().await;

    let body = create_ticket(
        &sim,
        &token,
        json!({"expire_seconds": 2_592_000, "action_name": "QR_STR_SCENE", "action_info": {"scene": {"scene_str": "promo"}}}),
    )
    .await
    .json();
    let ticket = body["ticket"].as_str().unwrap();
    sim.advance(2_591_999).await;
    let last_second = show(&sim, ticket).await.status;
    sim.advance(1).await;

    assert_eq!(body["expire_seconds"], 2_592_000);
    assert_eq!(last_second, 200);
    assert_eq!(show(&sim, ticket).await.status, 404);
}

#[tokio::test]
async fn unknown_tickets_are_404() {
    let sim = spawn_sim().await;
    for ticket in ["", "garbage", "gQH47joAAAAAAAAAASxodHRwOi8v"] {
        assert_eq!(show(&sim, ticket).await.status, 404, "{ticket:?}");
    }
    let none = fetch(&sim, sim.http.get(format!("{}/cgi-bin/showqrcode", sim.base))).await;
    assert_eq!(none.status, 404);
}

#[tokio::test]
async fn bad_action_info_is_40053() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let scene = |s: Value| json!({"scene": s});
    let cases = [
        json!({"action_name": "QR_SCENE", "action_info": scene(json!({"scene_id": 0}))}),
        json!({"action_name": "QR_SCENE", "action_info": scene(json!({"scene_id": 4_294_967_296_i64}))}),
        json!({"action_name": "QR_SCENE", "action_info": scene(json!({"scene_str": "a"}))}),
        json!({"action_name": "QR_LIMIT_SCENE", "action_info": scene(json!({"scene_id": 100_001}))}),
        json!({"action_name": "QR_LIMIT_SCENE", "action_info": scene(json!({"scene_id": "5"}))}),
        json!({"action_name": "QR_STR_SCENE", "action_info": scene(json!({"scene_str": ""}))}),
        json!({"action_name": "QR_LIMIT_STR_SCENE", "action_info": scene(json!({"scene_str": "a".repeat(65)}))}),
        json!({"action_name": "QR_SCENE", "expire_seconds": 2_592_001, "action_info": scene(json!({"scene_id": 1}))}),
        json!({"action_name": "QR_SCENE", "expire_seconds": 0, "action_info": scene(json!({"scene_id": 1}))}),
        json!({"action_name": "QR_BOGUS", "action_info": scene(json!({"scene_id": 1}))}),
        json!({"action_info": scene(json!({"scene_id": 1}))}),
        json!({"action_name": "QR_SCENE"}),
        json!({"action_name": "QR_SCENE", "action_info": {"scene_id": 1}}),
    ];
    for body in cases {
        assert_eq!(create_ticket(&sim, &token, body.clone()).await.errcode(), 40053, "{body}");
    }
    let ok = create_ticket(
        &sim,
        &token,
        json!({"action_name": "QR_STR_SCENE", "action_info": scene(json!({"scene_str": "a".repeat(64)}))}),
    )
    .await;
    assert!(ok.json()["ticket"].is_string());
    assert_eq!(create_ticket(&sim, "", json!({})).await.errcode(), 41001);
}

async fn scheme(sim: &TestSim, token: &str, body: Value) -> Answer {
    sim.post("/wxa/generatescheme", &[("access_token", token)], &body).await
}

async fn urllink(sim: &TestSim, token: &str, body: Value) -> Answer {
    sim.post("/wxa/generate_urllink", &[("access_token", token)], &body).await
}

#[tokio::test]
async fn a_scheme_and_a_url_link_have_their_shapes() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let now = sim.now().await;

    let s = scheme(
        &sim,
        &token,
        json!({"jump_wxa": {"path": "pages/index/index", "query": "a=1&b=%E4", "env_version": "release"},
               "is_expire": true, "expire_type": 0, "expire_time": now + 86_400}),
    )
    .await;
    let l =
        urllink(&sim, &token, json!({"path": "pages/detail/detail", "query": "id=1", "expire_type": 1, "expire_interval": 30}))
            .await;
    let bare = scheme(&sim, &token, json!({})).await;

    assert_eq!(s.content_type, "application/json; encoding=utf-8");
    let s = s.json();
    assert_eq!((s["errcode"].as_i64(), s["errmsg"].as_str()), (Some(0), Some("ok")));
    let openlink = s["openlink"].as_str().unwrap();
    let ticket = openlink.strip_prefix("weixin://dl/business/?t=").expect("scheme shape");
    assert!(!ticket.is_empty() && ticket.bytes().all(|b| b.is_ascii_alphanumeric()));
    let l = l.json();
    assert_eq!(l["errcode"], 0);
    let id = l["url_link"].as_str().unwrap().strip_prefix("https://wxaurl.cn/").expect("url link shape");
    assert!(!id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert!(bare.json()["openlink"].is_string(), "no path is the home page, no expiry 30 days");
}

#[tokio::test]
async fn link_paths_queries_and_expiries_are_checked() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    let now = sim.now().await;
    let jump = |target: Value| json!({"jump_wxa": target});
    let scheme_cases = [
        (jump(json!({"path": "/pages/index/index"})), 40165),
        (jump(json!({"path": "pages/index/index?a=1"})), 40165),
        (jump(json!({"path": "pages/unreleased/x"})), 40165),
        (jump(json!({"query": "a=中"})), 40212),
        (jump(json!({"query": "a b"})), 40212),
        (jump(json!({"query": "a".repeat(1025)})), 40212),
        (jump(json!({"env_version": "beta"})), 40097),
        (json!({"expire_type": 0, "expire_time": now}), 85401),
        (json!({"expire_type": 0, "expire_time": now + 30 * 86_400 + 1}), 85401),
        (json!({"expire_type": 0}), 85401),
        (json!({"is_expire": true}), 85401),
        (json!({"expire_type": 1, "expire_interval": 0}), 85401),
        (json!({"expire_type": 1, "expire_interval": 31}), 85401),
        (json!({"expire_type": 1}), 85401),
        (json!({"jump_wxa": "pages/index/index"}), 47001),
    ];
    for (body, expected) in scheme_cases {
        assert_eq!(scheme(&sim, &token, body.clone()).await.errcode(), expected, "{body}");
    }
    let link_cases = [
        (json!({"path": "pages/nope/nope"}), 40165),
        (json!({"query": "x=\"1\""}), 40212),
        (json!({"expire_time": now - 1}), 85401),
        (json!({"expire_interval": 45}), 85401),
    ];
    for (body, expected) in link_cases {
        assert_eq!(urllink(&sim, &token, body.clone()).await.errcode(), expected, "{body}");
    }
    let ok = [
        scheme(&sim, &token, jump(json!({"path": "pages/unreleased/x", "env_version": "develop"}))).await,
        scheme(&sim, &token, json!({"expire_time": now + 30 * 86_400})).await,
        urllink(&sim, &token, json!({"query": "a".repeat(1024)})).await,
    ];
    assert!(ok.iter().all(|a| a.errcode() == 0));
}

#[tokio::test]
async fn links_share_a_daily_cap() {
    let sim = spawn_sim().await;
    let token = sim.token().await;
    sim.control("/_sim/qr_quota", json!({"links_daily": 1})).await;

    let first = scheme(&sim, &token, json!({})).await.errcode();
    let second = urllink(&sim, &token, json!({})).await.errcode();
    sim.advance(86_400).await;
    let token = sim.token().await;
    let next_day = urllink(&sim, &token, json!({})).await.errcode();

    assert_eq!((first, second, next_day), (0, 45009, 0));
}
