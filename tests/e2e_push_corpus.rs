//! End to end: the push corpus (`tests/fixtures/push`, one documented sample per kind of
//! message and event, mini program and official account). Every file goes through the worker's
//! webhook in plain, compatible and safe mode, as XML and, where WeChat documents it, as JSON —
//! signed and encrypted by the simulator's independent code. Each must be answered 200 with
//! `success` or the expected passive reply, and forwarded to the business webhook with every
//! field, nesting included, intact. One instance per mode; each test lists every case that
//! failed and why before failing.

mod common;
#[path = "corpus/shape.rs"]
mod shape;

use common::push::*;
use common::*;
use serde_json::Value;
use std::time::Duration;
use wechat_sim::wire::fixture::{load_dir, Fill, Fixture};
use wechat_sim::wire::xml_read::read_document;
use wechat_sim::wire::{Format, Mode, PushCipher};

/// An official account beside the default mini program.
const OA: &str = "wx00000000000000c1";
const GREETING: &str = "corpus greeting";
const FORWARD_SECRET: &str = "corpus-forward-secret";

/// Which account a kind is pushed to (README: `app`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Account {
    MiniProgram,
    OfficialAccount,
}

/// The passive reply the worker's rules give (README of the rules: user messages of a mini
/// program go to customer service; an official account greets a new follower).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Success,
    Transfer,
    Greeting,
}

fn case(kind: &str) -> (Account, Expect) {
    use Account::*;
    match kind {
        "text" | "image" | "miniprogrampage" => (MiniProgram, Expect::Transfer),
        "user_enter_tempsession"
        | "subscribe_msg_popup_event"
        | "subscribe_msg_change_event"
        | "subscribe_msg_sent_event"
        | "wxa_media_check_v1"
        | "wxa_media_check_v2"
        | "trade_manage_remind_access_api"
        | "trade_manage_remind_shipping"
        | "trade_manage_order_settlement" => (MiniProgram, Expect::Success),
        "subscribe" | "subscribe_qrscene" => (OfficialAccount, Expect::Greeting),
        "voice"
        | "video"
        | "shortvideo"
        | "location"
        | "link"
        | "unsubscribe"
        | "scan"
        | "location_event"
        | "click"
        | "view"
        | "scancode_push"
        | "scancode_waitmsg"
        | "pic_sysphoto"
        | "pic_photo_or_album"
        | "pic_weixin"
        | "location_select"
        | "view_miniprogram"
        | "templatesendjobfinish"
        | "masssendjobfinish"
        | "kf_create_session"
        | "kf_close_session"
        | "kf_switch_session" => (OfficialAccount, Expect::Success),
        other => panic!("tests/fixtures/push/{other}.*: add the kind to case() in tests/e2e_push_corpus.rs"),
    }
}

/// One delivery that the worker accepted, waiting for its forwarded copy.
struct Sent {
    label: String,
    from: String,
    expected: Value,
}

fn console_mode(mode: Mode) -> &'static str {
    match mode {
        Mode::Plain => "plain",
        Mode::Compatible => "compatible",
        Mode::Safe => "safe",
    }
}

async fn run(mode: Mode) {
    let sink = Sink::start().await;
    let app = spawn_app_with(
        Options::default()
            .var("WECHAT_APPS", &format!(r#"["{APPID_B}", {{"appid": "{OA}", "app_type": "official_account"}}]"#))
            .var(&format!("WECHAT_PUSH_TOKEN_{OA}"), PUSH_TOKEN)
            .var(&format!("WECHAT_ENCODING_AES_KEY_{OA}"), AES_KEY)
            .var("CS_GREETING", GREETING)
            .var("BUSINESS_WEBHOOK_URL", &sink.url)
            .var("BUSINESS_WEBHOOK_SECRET", FORWARD_SECRET)
            // Each run configures the mode it sends, for both apps, as the console would.
            .var("WECHAT_PUSH_MODE", console_mode(mode))
            .var(&format!("WECHAT_PUSH_MODE_{OA}"), console_mode(mode)),
    )
    .await;
    let corpus = load_dir(&root().join("tests/fixtures/push")).expect("the push corpus");
    assert!(corpus.len() >= 48, "the corpus has {} files", corpus.len());

    let mut failures: Vec<String> = Vec::new();
    let mut passed: Vec<String> = Vec::new();
    let mut sent: Vec<Sent> = Vec::new();
    for (n, fixture) in corpus.iter().enumerate() {
        let label = format!("{} {:?} {mode:?}", fixture.kind, fixture.format);
        match deliver(&app, fixture, mode, n).await {
            Ok(one) => sent.push(Sent { label, ..one }),
            Err(why) => failures.push(format!("{label}: {why}")),
        }
    }

    // Forwards run after the answers; wait until every accepted push has been forwarded.
    for _ in 0..200 {
        if sink.received().len() >= sent.len() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let forwarded = sink.received();
    for one in sent {
        let copy = forwarded.iter().find_map(|(headers, body)| {
            let v: Value = serde_json::from_str(body).ok()?;
            (v["FromUserName"] == one.from.as_str()).then_some((headers, body, v))
        });
        let Some((headers, body, value)) = copy else {
            failures.push(format!("{}: answered, but never forwarded", one.label));
            continue;
        };
        let ts: u64 = headers.get("x-wechatedge-timestamp").and_then(|t| t.parse().ok()).unwrap_or(0);
        if headers.get("x-wechatedge-signature") != Some(&forward_signature(FORWARD_SECRET, ts, body)) {
            failures.push(format!("{}: the forward's signature does not verify", one.label));
            continue;
        }
        let diff = shape::differences(&one.expected, &value);
        if diff.is_empty() {
            passed.push(one.label);
        } else {
            let shown: String = body.chars().take(600).collect();
            failures.push(format!("{}: forwarded, but {}\n      forwarded: {shown}", one.label, diff.join("; ")));
        }
    }
    eprintln!("{mode:?} mode: {} passed, {} failed", passed.len(), failures.len());
    for p in &passed {
        eprintln!("  pass  {p}");
    }
    assert!(
        failures.is_empty(),
        "{mode:?} mode, {} of {} cases failed:\n  {}",
        failures.len(),
        failures.len() + passed.len(),
        failures.join("\n  ")
    );
}

/// Sends one fixture and checks the answer; returns what the forwarded copy must carry.
async fn deliver(app: &TestApp, fixture: &Fixture, mode: Mode, n: usize) -> Result<Sent, String> {
    let (account, expect) = case(&fixture.kind);
    let from = format!("o_corpus_{}_{n}", fixture.kind);
    let body = fixture.fill(&Fill { to_user_name: ORIGINAL_ID, from_user_name: &from, create_time: now(), msg_id: msg_id() });
    let (path, appid) = match account {
        Account::MiniProgram => ("/wechat/push".to_string(), APPID),
        Account::OfficialAccount => (format!("/wechat/push/{OA}"), OA),
    };
    let cipher = PushCipher::new(AES_KEY, appid).expect("the test key");
    let mut push = seal_body(&body, ORIGINAL_ID, fixture.format, mode, &now().to_string(), PUSH_TOKEN, &cipher);
    if account == Account::OfficialAccount {
        // Official accounts name the sender in the query (wechat-api.md §8.3).
        push.query.push_str(&format!("&openid={from}"));
    }
    let (status, reply) = app.push_raw(&path, &push).await;
    if status != 200 {
        return Err(format!("answered {status}: {}", reply.chars().take(200).collect::<String>()));
    }
    check_reply(&reply, fixture.format, mode, expect, &from, &cipher)?;
    let expected = match fixture.format {
        Format::Xml => Value::Object(read_document(body.as_bytes()).map_err(|e| format!("the fixture does not read: {e}"))?),
        Format::Json => serde_json::from_str(&body).map_err(|e| format!("the fixture is not JSON: {e}"))?,
    };
    Ok(Sent { label: String::new(), from, expected })
}

fn check_reply(reply: &str, format: Format, mode: Mode, expect: Expect, user: &str, cipher: &PushCipher) -> Result<(), String> {
    if expect == Expect::Success {
        return match reply {
            "success" | "" => Ok(()),
            other => Err(format!("expected `success`, got {:?}", other.chars().take(200).collect::<String>())),
        };
    }
    if mode != Mode::Plain && !reply.contains("Encrypt") {
        return Err(format!("the reply to an encrypted push is not encrypted: {reply}"));
    }
    let fields = wechat_sim::wire::open_reply(format, reply, PUSH_TOKEN, Some(cipher))
        .map_err(|e| format!("WeChat cannot read the reply ({e}): {reply}"))?;
    let (msg_type, content) = match expect {
        Expect::Transfer => ("transfer_customer_service", None),
        _ => ("text", Some(GREETING)),
    };
    let field = |name: &str| fields.get(name).and_then(Value::as_str).unwrap_or_default().to_string();
    if field("MsgType") != msg_type || content.is_some_and(|c| field("Content") != c) {
        return Err(format!("expected a {msg_type} reply, got {fields:?}"));
    }
    if field("ToUserName") != user || field("FromUserName") != ORIGINAL_ID {
        return Err(format!("the reply is not addressed back to the user from the account: {fields:?}"));
    }
    Ok(())
}

#[tokio::test]
async fn the_corpus_in_plain_mode() {
    run(Mode::Plain).await;
}

#[tokio::test]
async fn the_corpus_in_compatible_mode() {
    run(Mode::Compatible).await;
}

#[tokio::test]
async fn the_corpus_in_safe_mode() {
    run(Mode::Safe).await;
}
