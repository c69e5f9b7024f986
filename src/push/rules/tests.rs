//! Tests of [`super::plan`] and [`super::render`]: which reply, which actions, which format.

use super::*;
use crate::push::xml::parse_document;

fn rules() -> Rules {
    Rules {
        app_type: AppType::MiniProgram,
        greeting: "您好，有什么能帮助你?".into(),
        transfer: true,
        keywords: vec![KeywordRule { pattern: "价格".into(), reply: "请看价目表".into(), exact: false }],
        forward: false,
    }
}

fn message(msg_type: &str) -> PushMessage {
    PushMessage {
        to_user_name: "gh_abc".into(),
        from_user_name: "o_user".into(),
        create_time: 1_700_000_000,
        msg_type: msg_type.into(),
        msg_id: Some(6054768590064713728),
        content: Some("hello".into()),
        ..PushMessage::default()
    }
}

fn enter_session() -> PushMessage {
    PushMessage {
        msg_type: "event".into(),
        event: Some("user_enter_tempsession".into()),
        msg_id: None,
        content: None,
        ..message("event")
    }
}

#[test]
fn user_messages_are_transferred_to_the_customer_service_tool() {
    for t in ["text", "image", "miniprogrampage"] {
        assert_eq!(plan(&rules(), &message(t)), Plan { passive: Passive::Transfer, actions: vec![] }, "{t}");
    }
}

#[test]
fn with_transfer_off_user_messages_get_success() {
    let r = Rules { transfer: false, ..rules() };
    assert_eq!(plan(&r, &message("text")).passive, Passive::Success);
}

#[test]
fn entering_the_session_sends_the_greeting_after_the_response() {
    let p = plan(&rules(), &enter_session());
    assert_eq!(p.passive, Passive::Success);
    assert_eq!(p.actions.len(), 1);
    let Action::CustomSend { body } = &p.actions[0] else { panic!("not a send") };
    assert_eq!(body["touser"], "o_user");
    assert_eq!(body["text"]["content"], "您好，有什么能帮助你?");
}

#[test]
fn an_empty_greeting_disables_it() {
    let r = Rules { greeting: String::new(), ..rules() };
    assert!(plan(&r, &enter_session()).actions.is_empty());
}

#[test]
fn a_keyword_is_answered_by_custom_send_instead_of_a_transfer() {
    let msg = PushMessage { content: Some("请问价格多少".into()), ..message("text") };
    let p = plan(&rules(), &msg);
    assert_eq!(p.passive, Passive::Success);
    assert!(matches!(&p.actions[0], Action::CustomSend { body } if body["text"]["content"] == "请看价目表"));
}

#[test]
fn an_exact_keyword_needs_the_whole_content() {
    let r = Rules { keywords: vec![KeywordRule { pattern: "1".into(), reply: "one".into(), exact: true }], ..rules() };
    assert_eq!(plan(&r, &PushMessage { content: Some("12".into()), ..message("text") }).passive, Passive::Transfer);
    assert_eq!(plan(&r, &PushMessage { content: Some(" 1 ".into()), ..message("text") }).passive, Passive::Success);
}

#[test]
fn an_official_account_answers_keywords_and_subscriptions_passively() {
    let r = Rules { app_type: AppType::OfficialAccount, ..rules() };
    let msg = PushMessage { content: Some("价格".into()), ..message("text") };
    assert_eq!(plan(&r, &msg), Plan { passive: Passive::Text("请看价目表".into()), actions: vec![] });
    let sub = PushMessage { event: Some("subscribe".into()), event_key: Some("qrscene_42".into()), ..enter_session() };
    assert_eq!(plan(&r, &sub).passive, Passive::Text("您好，有什么能帮助你?".into()));
    // No transfer for official accounts: that is the mini-program customer-service flow.
    assert_eq!(plan(&r, &message("text")).passive, Passive::Success);
}

#[test]
fn an_official_accounts_follows_and_login_scans_become_actions() {
    let r = Rules { app_type: AppType::OfficialAccount, ..rules() };
    let event = |name: &str, key: Option<&str>| PushMessage {
        event: Some(name.into()),
        event_key: key.map(Into::into),
        ticket: key.map(|_| "TICKET".into()),
        ..enter_session()
    };
    let scene = format!("login_{}", "ab".repeat(12));
    // wechat-oa.md §6.2: a new follower's subscribe with qrscene_<scene>; a follower's SCAN.
    assert_eq!(
        plan(&r, &event("subscribe", Some(&format!("qrscene_{scene}")))).actions,
        vec![Action::ScanLogin { scene: scene.clone(), openid: "o_user".into(), new_follower: true }]
    );
    assert_eq!(
        plan(&r, &event("SCAN", Some(&scene))).actions,
        vec![Action::ScanLogin { scene: scene.clone(), openid: "o_user".into(), new_follower: false }]
    );
    // Other follows (a plain one, another QR code's) fill the directory; leaving too.
    for key in [None, Some("qrscene_123123")] {
        assert_eq!(plan(&r, &event("subscribe", key)).actions, vec![Action::Follow { openid: "o_user".into(), following: true }]);
    }
    assert_eq!(plan(&r, &event("unsubscribe", None)).actions, vec![Action::Follow { openid: "o_user".into(), following: false }]);
    assert!(plan(&r, &event("SCAN", Some("123123"))).actions.is_empty());
    // A mini program's events are not official-account follows.
    assert!(plan(&rules(), &event("subscribe", None)).actions.is_empty());
    // Both run safely twice (a redelivery's outbox retry).
    assert!(crate::push::ledger::is_idempotent(&Action::Follow { openid: "o".into(), following: true }));
}

#[test]
fn unknown_types_and_events_get_success_and_are_still_forwarded() {
    let r = Rules { forward: true, ..rules() };
    let odd = PushMessage { msg_type: "event".into(), event: Some("wxa_media_check".into()), ..message("event") };
    let p = plan(&r, &odd);
    assert_eq!(p.passive, Passive::Success);
    assert!(matches!(&p.actions[..], [Action::Forward { payload }] if payload.contains("wxa_media_check")));
}

#[test]
fn the_plan_is_the_same_for_a_redelivery() {
    assert_eq!(plan(&rules(), &message("text")), plan(&rules(), &message("text")));
}

#[test]
fn success_is_plain_text_in_every_mode() {
    let (body, ct) = render(&Passive::Success, Format::Json, Mode::Safe, &message("text"), 1, None);
    assert_eq!((body.as_str(), ct), ("success", "text/plain; charset=utf-8"));
}

#[test]
fn a_transfer_goes_back_to_the_user_in_the_push_format() {
    let (body, ct) = render(&Passive::Transfer, Format::Xml, Mode::Plain, &message("text"), 1_700_000_001, None);
    assert_eq!(ct, "text/xml; charset=utf-8");
    let doc = parse_document(body.as_bytes()).unwrap();
    assert_eq!(doc["ToUserName"], "o_user");
    assert_eq!(doc["FromUserName"], "gh_abc");
    assert_eq!(doc["MsgType"], "transfer_customer_service");
    let (body, _) = render(&Passive::Transfer, Format::Json, Mode::Plain, &message("text"), 1, None);
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["MsgType"], "transfer_customer_service");
}

#[test]
fn in_safe_mode_the_reply_is_encrypted_and_decrypts_to_the_transfer() {
    let crypt = MsgCrypt::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx0000000000000001").unwrap();
    let c = ReplyCrypto { crypt: &crypt, token: "tok", nonce: "12345", random16: [7; 16] };
    let (body, _) = render(&Passive::Transfer, Format::Json, Mode::Safe, &message("text"), 1_700_000_001, Some(c));
    let v: Value = serde_json::from_str(&body).unwrap();
    let inner = crypt.decrypt(v["Encrypt"].as_str().unwrap()).unwrap();
    assert!(inner.contains("transfer_customer_service"));
    let sig = crate::push::signature::msg_signature("tok", "1700000001", "12345", v["Encrypt"].as_str().unwrap());
    assert_eq!(v["MsgSignature"], sig.as_str());
}

#[test]
fn the_forward_signature_covers_timestamp_and_body() {
    let a = forward_signature("k", 1, "{}");
    assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
    assert_ne!(a, forward_signature("k", 2, "{}"));
    assert_ne!(a, forward_signature("k", 1, "{ }"));
    assert_ne!(a, forward_signature("j", 1, "{}"));
}

#[test]
fn customer_service_rules_come_from_the_cs_variables() {
    let lookup = |vars: &[(&str, &str)]| {
        let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(&move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    };
    let c = lookup(&[
        ("WECHAT_APPID", "wx0000000000000001"),
        ("CS_TRANSFER", "off"),
        ("CS_GREETING", ""),
        ("CS_KEYWORDS", r#"[{"match": "价格", "reply": "见价目表"}]"#),
    ]);
    let rules = Rules::for_app(&c, &c.app(None).unwrap()).unwrap();
    assert!(!rules.transfer && rules.greeting.is_empty() && !rules.forward);
    assert_eq!(rules.keywords[0].reply, "见价目表");
}

#[test]
fn a_mini_programs_trade_manage_event_is_recorded_against_its_order() {
    let mut extra = serde_json::Map::new();
    extra.insert("merchant_trade_no".into(), json!("order_123"));
    extra.insert("transaction_id".into(), json!("4200001234202401010000000001"));
    let msg = PushMessage { event: Some("trade_manage_order_settlement".into()), extra, ..enter_session() };
    let p = plan(&Rules { greeting: String::new(), ..rules() }, &msg);
    assert_eq!(p.passive, Passive::Success);
    let [Action::TradeManage { payload }] = p.actions.as_slice() else { panic!("{:?}", p.actions) };
    let v: serde_json::Value = serde_json::from_str(payload).unwrap();
    assert_eq!(v["Event"], "trade_manage_order_settlement");
    assert_eq!(v["merchant_trade_no"], "order_123");
    assert!(crate::push::ledger::is_idempotent(&p.actions[0]));
    // Forwarded as well when a business webhook is set; other events record nothing.
    let p = plan(&Rules { forward: true, greeting: String::new(), ..rules() }, &msg);
    assert!(matches!(p.actions.as_slice(), [Action::TradeManage { .. }, Action::Forward { .. }]));
    let other = PushMessage { event: Some("subscribe_msg_popup_event".into()), ..enter_session() };
    assert!(plan(&rules(), &other).actions.is_empty());
}
