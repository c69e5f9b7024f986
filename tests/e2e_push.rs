//! End to end: the message-push webhook. Every format and mode is verified, answered at
//! once in the push's own format, and each message handled exactly once however WeChat
//! redelivers it.

mod common;

use common::push::*;
use common::*;
use serde_json::{json, Value};
use std::time::Duration;
use wechat_sim::wire::{msg_signature, push_signature, Format, Mode, PushCipher};

/// A user known to the simulator, with the customer-service window open by entering the
/// session.
async fn user_in_session(app: &TestApp) -> String {
    let (_, openid) = app.login_code(APPID, None).await;
    app.sim_post("/_sim/user_action", &json!({ "appid": APPID, "openid": openid, "kind": "enter_session" })).await;
    openid
}

async fn sends_to(app: &TestApp, openid: &str) -> Vec<Value> {
    app.sim_calls("/cgi-bin/message/custom/send").await.into_iter().filter(|c| c["body"]["touser"] == openid).collect()
}

/// Waits until `n` sends to `openid` are logged (the ledger sends after the response).
async fn wait_for_sends(app: &TestApp, openid: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let sends = sends_to(app, openid).await;
        if sends.len() >= n {
            return sends;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    sends_to(app, openid).await
}

#[tokio::test]
async fn the_url_check_answers_exactly_the_echostr_and_refuses_a_bad_signature() {
    let app = spawn_app().await;
    let ts = now().to_string();
    let sig = push_signature(PUSH_TOKEN, &ts, "42");
    let r = app
        .client
        .get(app.url(&format!("/wechat/push?signature={sig}&timestamp={ts}&nonce=42&echostr=7391823012")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await.unwrap(), "7391823012", "exactly the echostr: no quotes, no newline");

    let r = app
        .client
        .get(app.url(&format!("/wechat/push/{APPID_B}?signature={sig}&timestamp={ts}&nonce=42&echostr=x")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 500, "app B has no push token configured");

    let r = app
        .client
        .get(app.url(&format!("/wechat/push?signature=0000&timestamp={ts}&nonce=42&echostr=7391823012")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(!r.text().await.unwrap().contains("7391823012"));
}

#[tokio::test]
async fn the_official_sample_verifies_decrypts_and_is_answered_encrypted() {
    let v: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("../shared/test-vectors.json")).expect("shared/test-vectors.json"),
    )
    .unwrap();
    let s = &v["push_crypto_official_sample"];
    let appid = s["appid"].as_str().unwrap();
    let app = spawn_app_with(
        Options::default()
            .var("WECHAT_APPS", &format!("[\"{APPID_B}\", \"{appid}\"]"))
            .var(&format!("WECHAT_PUSH_TOKEN_{appid}"), s["token"].as_str().unwrap())
            .var(&format!("WECHAT_ENCODING_AES_KEY_{appid}"), s["encoding_aes_key"].as_str().unwrap())
            // The sample is from 2014: replaying a captured push needs the window off.
            .var("PUSH_TIMESTAMP_WINDOW_SECONDS", "0")
            // A transfer has no side effect, so it is logged only when every push is.
            .var("LOG_EVERY_PUSH", "true"),
    )
    .await;
    let query = format!(
        "signature={}&timestamp={}&nonce={}&encrypt_type=aes&msg_signature={}",
        s["signature"].as_str().unwrap(),
        s["timestamp"].as_str().unwrap(),
        s["nonce"].as_str().unwrap(),
        s["msg_signature"].as_str().unwrap()
    );
    let push = Push { query, body: s["post_body_xml"].as_str().unwrap().to_owned(), format: Format::Xml };
    let (status, body) = app.push_raw(&format!("/wechat/push/{appid}"), &push).await;
    assert_eq!(status, 200, "{body}");
    let crypt = PushCipher::new(s["encoding_aes_key"].as_str().unwrap(), appid).unwrap();
    let reply = open_reply(&body, Format::Xml, &crypt, s["token"].as_str().unwrap());
    assert_eq!(reply["MsgType"], "transfer_customer_service");
    assert_eq!(reply["ToUserName"], "oyORnuP8q7ou2gfYjqLzSIWZf0rs");
    assert_eq!(reply["FromUserName"], "gh_10f6c3c3ac5a");
    assert!(app.log_contains("key=msg:6054768590064713728").await, "MsgId parsed as u64");
}

#[tokio::test]
async fn every_format_and_mode_is_answered_with_a_transfer_in_its_own_format() {
    // Plain mode accepts encrypted pushes too (the console switches the moment it is saved).
    let app = spawn_app_with(Options::default().var("WECHAT_PUSH_MODE", "plain")).await;
    // A short and a long message: the Worker decrypts long ciphertexts with WebCrypto and short
    // ones in wasm (push::webcrypto::THRESHOLDS), so both paths meet the simulator's envelopes.
    let long = "长".repeat(700);
    for (format, mode, content) in [Format::Xml, Format::Json]
        .into_iter()
        .flat_map(|f| [Mode::Plain, Mode::Compatible, Mode::Safe].map(|m| (f, m)))
        .flat_map(|(f, m)| ["hello", long.as_str()].map(|c| (f, m, c)))
    {
        {
            let msg = text("o_e2e_user_format_mode_00001", content);
            let (status, body) = app.push(&build(&msg, format, mode)).await;
            assert_eq!(status, 200, "{format:?} {mode:?}: {body}");
            if mode != Mode::Plain {
                assert!(body.contains("Encrypt"), "{format:?} {mode:?}: the reply is encrypted: {body}");
            }
            let reply = open_reply(&body, format, &crypt(), PUSH_TOKEN);
            assert_eq!(reply["MsgType"], "transfer_customer_service", "{format:?} {mode:?}");
            assert_eq!(reply["ToUserName"], "o_e2e_user_format_mode_00001");
        }
    }
    // Answers without side effects are not logged by default (LOG_EVERY_PUSH=false).
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!app.wrangler_log().contains("push app="), "a transfer is not logged by default");
}

#[tokio::test]
async fn entering_the_session_sends_one_greeting_however_often_it_is_delivered() {
    let app = spawn_app().await;

    // Three deliveries in a row.
    let openid = user_in_session(&app).await;
    let push = build(&enter_session(&openid), Format::Json, Mode::Safe);
    for _ in 0..3 {
        let (status, body) = app.push(&push).await;
        assert_eq!((status, body.as_str()), (200, "success"));
    }
    let sends = wait_for_sends(&app, &openid, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sends_after = sends_to(&app, &openid).await;
    assert_eq!(sends_after.len(), 1, "one greeting: {sends_after:?}");
    assert_eq!(sends[0]["body"]["text"]["content"], "您好，有什么能帮助你?");
    assert_eq!(sends[0]["errcode"], 0);
    // Pushes with side effects are logged, redeliveries as such.
    assert!(app.log_contains("key=evt#").await && app.log_contains("first=yes").await);
    assert!(!app.wrangler_log().contains(&openid), "no openid in the log by default");
    assert!(app.log_contains("first=no (redelivery)").await);

    // Three deliveries at once.
    let other = user_in_session(&app).await;
    let push = build(&enter_session(&other), Format::Xml, Mode::Compatible);
    let answers = futures::future::join_all((0..3).map(|_| app.push(&push))).await;
    assert!(answers.iter().all(|(s, b)| *s == 200 && b == "success"), "{answers:?}");
    wait_for_sends(&app, &other, 1).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(sends_to(&app, &other).await.len(), 1, "one greeting for concurrent deliveries");
}

#[tokio::test]
async fn a_slow_custom_send_does_not_slow_the_answer_and_the_greeting_still_arrives() {
    let app = spawn_app().await;
    let openid = user_in_session(&app).await;
    app.internal_get("/internal/token").await; // a warm token, as in steady state
    app.sim_fault(json!({ "path": "/cgi-bin/message/custom/send", "delay_ms": 4000 })).await;

    let started = std::time::Instant::now();
    let (status, body) = app.push(&build(&enter_session(&openid), Format::Xml, Mode::Safe)).await;
    let took = started.elapsed();
    assert_eq!((status, body.as_str()), (200, "success"));
    assert!(took < Duration::from_millis(1500), "answered at once, not after the send: {took:?}");

    let sends = wait_for_sends(&app, &openid, 1).await;
    assert_eq!(sends.len(), 1);
}

#[tokio::test]
async fn a_forged_plaintext_push_to_an_encrypted_app_is_refused_and_claims_nothing() {
    // The plaintext downgrade (issue 20, item 1): `signature` does not cover the body, so a
    // plaintext push to an app with an EncodingAESKey proves nothing about who wrote it.
    for mode in ["safe", "compatible"] {
        let app = spawn_app_with(Options::default().var("WECHAT_PUSH_MODE", mode)).await;
        let openid = user_in_session(&app).await;
        let event = enter_session(&openid);
        let (status, body) = app.push(&build(&event, Format::Xml, Mode::Plain)).await;
        assert_eq!(status, 401, "{mode}: {body}");
        assert!(body.contains("encryption_required"), "{mode}: {body}");
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(sends_to(&app, &openid).await.is_empty(), "{mode}: the forged push sent nothing");

        // The real push of the same event is not blocked by a claim the forgery made.
        let real = if mode == "safe" { Mode::Safe } else { Mode::Compatible };
        let (status, body) = app.push(&build(&event, Format::Xml, real)).await;
        assert_eq!((status, body.as_str()), (200, "success"), "{mode}");
        assert_eq!(wait_for_sends(&app, &openid, 1).await.len(), 1, "{mode}: the real push greets");
    }
}

#[tokio::test]
async fn a_replayed_url_check_outside_the_window_is_refused() {
    let app = spawn_app().await;
    let check = |ts: String| {
        let sig = push_signature(PUSH_TOKEN, &ts, "7");
        app.client.get(app.url(&format!("/wechat/push?signature={sig}&timestamp={ts}&nonce=7&echostr=42"))).send()
    };
    let stale = check((now() - 3600).to_string()).await.unwrap();
    assert_eq!(stale.status().as_u16(), 401);
    let fresh = check(now().to_string()).await.unwrap();
    assert_eq!(fresh.status().as_u16(), 200);
    assert_eq!(fresh.text().await.unwrap(), "42");
}

#[tokio::test]
async fn bad_pushes_get_the_right_4xx_and_send_nothing() {
    let app = spawn_app().await;
    let openid = user_in_session(&app).await;
    let good = build(&enter_session(&openid), Format::Xml, Mode::Safe);

    let tampered = Push {
        query: good.query.replacen("signature=", "signature=0", 1),
        ..build(&enter_session(&openid), Format::Xml, Mode::Safe)
    };
    assert_eq!(app.push(&tampered).await.0, 401, "tampered signature");

    let bad_msg_sig =
        Push { query: good.query.replace("msg_signature=", "msg_signature=f"), body: good.body.clone(), format: Format::Xml };
    assert_eq!(app.push(&bad_msg_sig).await.0, 401, "tampered msg_signature");

    let stale = build_with(&enter_session(&openid), Format::Xml, Mode::Plain, &(now() - 3600).to_string(), PUSH_TOKEN, &crypt());
    assert_eq!(app.push(&stale).await.0, 401, "stale timestamp");

    let other_app = PushCipher::new(AES_KEY, "wx9999999999999999").unwrap();
    let foreign = build_with(&enter_session(&openid), Format::Json, Mode::Safe, &now().to_string(), PUSH_TOKEN, &other_app);
    let (status, body) = app.push(&foreign).await;
    assert_eq!(status, 400, "wrong app id trailer: {body}");

    let ts = now().to_string();
    let doctype =
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY x \"boom\">]><xml><ToUserName>&x;</ToUserName></xml>".to_owned();
    let push = Push {
        query: format!("signature={}&timestamp={ts}&nonce=1", push_signature(PUSH_TOKEN, &ts, "1")),
        body: doctype,
        format: Format::Xml,
    };
    assert_eq!(app.push(&push).await.0, 400, "DOCTYPE");

    let truncated_body = good.body.replacen("<Encrypt><![CDATA[", "<Encrypt><![CDATA[AAAA", 1);
    let encrypt_start = truncated_body.find("<![CDATA[AAAA").unwrap() + 9;
    let encrypt_end = truncated_body[encrypt_start..].find("]]>").unwrap() + encrypt_start;
    let encrypt = truncated_body[encrypt_start..encrypt_end][..40].to_owned();
    let sig = msg_signature(PUSH_TOKEN, &ts, "1", &encrypt);
    let push = Push {
        query: format!(
            "signature={}&timestamp={ts}&nonce=1&encrypt_type=aes&msg_signature={sig}",
            push_signature(PUSH_TOKEN, &ts, "1")
        ),
        body: format!("<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"),
        format: Format::Xml,
    };
    assert_eq!(app.push(&push).await.0, 400, "truncated ciphertext");

    let huge = Push {
        query: good.query.clone(),
        body: format!("<xml><Content><![CDATA[{}]]></Content></xml>", "x".repeat(70_000)),
        format: Format::Xml,
    };
    assert_eq!(app.push(&huge).await.0, 413, "oversized body");

    let (status, body) = app.push(&Push { query: good.query.clone(), body: "hello".into(), format: Format::Xml }).await;
    assert_eq!(status, 400, "neither XML nor JSON: {body}");

    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(sends_to(&app, &openid).await.is_empty(), "nothing was sent");
}

#[tokio::test]
async fn keywords_are_answered_by_custom_send_and_messages_are_forwarded_signed() {
    let sink = Sink::start().await;
    let app = spawn_app_with(
        Options::default()
            .var("CS_KEYWORDS", r#"[{"match": "价格", "reply": "价目表见小程序首页"}]"#)
            .var("BUSINESS_WEBHOOK_URL", &sink.url)
            .var("BUSINESS_WEBHOOK_SECRET", "forward-secret"),
    )
    .await;
    let (_, openid) = app.login_code(APPID, None).await;
    app.sim_post("/_sim/user_action", &json!({ "appid": APPID, "openid": openid, "kind": "message" })).await;

    let msg = text(&openid, "请问价格");
    let (status, body) = app.push(&build(&msg, Format::Json, Mode::Safe)).await;
    assert_eq!((status, body.as_str()), (200, "success"), "a keyword is not transferred");
    let sends = wait_for_sends(&app, &openid, 1).await;
    assert_eq!(sends[0]["body"]["text"]["content"], "价目表见小程序首页");

    let forwarded = sink.wait_for(1).await;
    let (headers, payload) = &forwarded[0];
    let v: Value = serde_json::from_str(payload).unwrap();
    assert_eq!(v["MsgId"].as_u64(), msg.msg_id(), "the MsgId survives as an exact integer");
    let ts: u64 = headers["x-wechatedge-timestamp"].parse().unwrap();
    assert_eq!(headers["x-wechatedge-signature"], forward_signature("forward-secret", ts, payload));
    assert_eq!(headers["x-wechat-appid"], APPID);
}

#[tokio::test]
async fn an_official_account_answers_a_subscription_and_keywords_with_a_passive_text_reply() {
    let oa = "wx00000000000000a1";
    // A reply long enough that the Worker encrypts it with WebCrypto (push::webcrypto::THRESHOLDS)
    // while the short ones stay in wasm: the simulator's own cipher opens both.
    let long_reply = "请先在小程序首页查看价目表。".repeat(30);
    let app = spawn_app_with(
        Options::default()
            .var("WECHAT_APPS", &format!(r#"["{APPID_B}", {{"appid": "{oa}", "app_type": "official_account"}}]"#))
            .var(&format!("WECHAT_PUSH_TOKEN_{oa}"), PUSH_TOKEN)
            .var(&format!("WECHAT_ENCODING_AES_KEY_{oa}"), AES_KEY)
            .var(
                "CS_KEYWORDS",
                &format!(r#"[{{"match": "help", "reply": "see the menu"}}, {{"match": "prices", "reply": "{long_reply}"}}]"#),
            ),
    )
    .await;
    let crypt = PushCipher::new(AES_KEY, oa).unwrap();
    let follower = "o_e2e_oa_follower_0000000001";
    let subscribe = event(follower, "subscribe").with_text("EventKey", "qrscene_42");
    let mut push = build_with(&subscribe, Format::Xml, Mode::Safe, &now().to_string(), PUSH_TOKEN, &crypt);
    push.query.push_str(&format!("&openid={follower}"));
    let (status, body) = app.push_raw(&format!("/wechat/push/{oa}"), &push).await;
    assert_eq!(status, 200, "{body}");
    let reply = open_reply(&body, Format::Xml, &crypt, PUSH_TOKEN);
    assert_eq!(reply["MsgType"], "text");
    assert_eq!(reply["Content"], "您好，有什么能帮助你?");
    assert_eq!(reply["ToUserName"], follower);

    let push = build_with(&text(follower, "help"), Format::Xml, Mode::Compatible, &now().to_string(), PUSH_TOKEN, &crypt);
    let (_, body) = app.push_raw(&format!("/wechat/push/{oa}"), &push).await;
    assert_eq!(open_reply(&body, Format::Xml, &crypt, PUSH_TOKEN)["Content"], "see the menu");
    for format in [Format::Xml, Format::Json] {
        let push = build_with(&text(follower, "prices"), format, Mode::Safe, &now().to_string(), PUSH_TOKEN, &crypt);
        let (status, body) = app.push_raw(&format!("/wechat/push/{oa}"), &push).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(open_reply(&body, format, &crypt, PUSH_TOKEN)["Content"], long_reply.as_str(), "{format:?}");
    }
    assert!(app.sim_calls("/cgi-bin/message/custom/send").await.is_empty(), "passive replies only");
}
