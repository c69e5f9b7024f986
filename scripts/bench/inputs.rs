//! The benchmark inputs, generated here and written to `target/bench-inputs/*.json` so the
//! native bench, the wasm harness and every peer SDK read the same bytes.
//!
//! Pushes are built exactly as WeChat builds them, by `wechat-wire` (the simulator's
//! independent implementation, from each message's JSON form):
//! a ~300-byte text message and the mini-program card of §8.4, each as plain XML, safe-mode XML
//! and safe-mode JSON, signed with the official sample Token and EncodingAESKey. Everything is
//! fixed (timestamp, nonces, the 16 random bytes), so the files are identical run after run and
//! `expected_reply` is the exact reply our pipeline must produce.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::path::Path;
use wechat_edge::login::signature::{raw_data_signature, session_signature};
use wechat_edge::push::msg_crypt::MsgCrypt;
use wechat_edge::push::signature::{msg_signature, push_signature};
use wechat_edge::push::{Format, Mode, PushMessage};

// The official WXBizMsgCrypt sample configuration (§14-D).
const TOKEN: &str = "spamtest";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const APPID: &str = "wx2c2769f8efd9abc2";
const GH_ID: &str = "gh_c12802380770";
const USER: &str = "o45lH49xBSpfFndnPY5g6dM9cgvE";
const NOW: u64 = 1_700_000_000;
const NONCE: &str = "1320562132";
const PUSH_RANDOM: [u8; 16] = *b"Kq3vX9bT2mLp8sWd";
const REPLY_RANDOM: [u8; 16] = *b"rY7nC4hJ1fQz6uEa";
const REPLY_NONCE: &str = "415670741";

/// A customer's question: the plain XML body is ~300 bytes.
fn text_message() -> PushMessage {
    PushMessage {
        to_user_name: GH_ID.into(),
        from_user_name: USER.into(),
        create_time: NOW,
        msg_type: "text".into(),
        msg_id: Some(24_301_887_166_253_312),
        content: Some("您好，请问订单 8841 什么时候发货？".into()),
        ..PushMessage::default()
    }
}

/// The mini-program card of §8.4 (a real capture).
fn card_message() -> PushMessage {
    PushMessage {
        to_user_name: GH_ID.into(),
        from_user_name: USER.into(),
        create_time: NOW,
        msg_type: "miniprogrampage".into(),
        msg_id: Some(22_824_453_888_015_488),
        title: Some("圈本地".into()),
        app_id: Some("wx143cd4036f7c65c5".into()),
        page_path: Some("pages/assist/gooddetail/gooddetail?isBackLuckyDraw=true&id=1411".into()),
        thumb_url: Some(
            "http://mmbiz.qpic.cn/sz_mmbiz_jpg/Qk3ezC9v7ibKibJ4nGmBfYfZTxr7oVHia0ic2Tg1lXc5lLdxOw1Gk6qjVxR0YH0pG3Zc0Wzq4nJQ/0"
                .into(),
        ),
        thumb_media_id: Some("QVcY7qtwbD8AvdEsE37xAc8LKOU4I5Sx2lw-O0e-A7hAqch4qMptYe0VUuzYPOc5".into()),
        ..PushMessage::default()
    }
}

/// The push variants that are benchmarked, by name.
pub const VARIANTS: [(&str, Format, Mode); 3] =
    [("plain-xml", Format::Xml, Mode::Plain), ("safe-xml", Format::Xml, Mode::Safe), ("safe-json", Format::Json, Mode::Safe)];

fn push_case(message_name: &str, msg: &PushMessage, variant: &str, format: Format, mode: Mode) -> Value {
    let crypt = MsgCrypt::new(AES_KEY, APPID).expect("the sample key is valid");
    let timestamp = NOW.to_string();
    let wire_format = match format {
        Format::Xml => wechat_wire::Format::Xml,
        Format::Json => wechat_wire::Format::Json,
    };
    let plain = wechat_wire::Message::render_json_text(&msg.to_json(), wire_format).expect("a message's JSON form is an object");
    let mut query = format!("signature={}&timestamp={timestamp}&nonce={NONCE}", push_signature(TOKEN, &timestamp, NONCE));
    let body = if mode == Mode::Plain {
        plain.clone()
    } else {
        let encrypt = crypt.encrypt(&plain, PUSH_RANDOM);
        query.push_str(&format!("&encrypt_type=aes&msg_signature={}", msg_signature(TOKEN, &timestamp, NONCE, &encrypt)));
        let wire_mode = if mode == Mode::Compatible { wechat_wire::Mode::Compatible } else { wechat_wire::Mode::Safe };
        wechat_wire::wrap(wire_format, wire_mode, &plain, &msg.to_user_name, &encrypt)
    };
    json!({
        "name": format!("{message_name}/{variant}"),
        "message": message_name,
        "variant": variant,
        "format": if format == Format::Xml { "xml" } else { "json" },
        "mode": if mode == Mode::Plain { "plain" } else { "safe" },
        "token": TOKEN,
        "encoding_aes_key": AES_KEY,
        "appid": APPID,
        "query": query,
        "body": body,
        "plain_body": plain,
        "plain_body_bytes": plain.len(),
        "now": NOW,
        "reply_nonce": REPLY_NONCE,
        "reply_random16": hex::encode(REPLY_RANDOM),
        // Filled in by the bench after running the pipeline once.
        "expected_reply": "",
    })
}

/// Every push case, without `expected_reply` (see [`write_all`]).
pub fn push_cases() -> Vec<Value> {
    let messages = [("text", text_message()), ("card", card_message())];
    let mut cases = Vec::new();
    for (message_name, msg) in &messages {
        for (variant, format, mode) in VARIANTS {
            cases.push(push_case(message_name, msg, variant, format, mode));
        }
    }
    cases
}

/// The login crypto case: the official open-data demo (§14-A), rawData (§14-B) and the
/// `checksession` signature (§14-C), with the signatures computed here.
pub fn login_case() -> Value {
    let session_key = "tiihtNczf5v6AKRyjwEUhQ==";
    let raw_data = r#"{"nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/1vZvI39NWFQ9XM4LtQpFrQJ1xlgZxx3w7bQxKARol6503Iuswjjn6nIGBiaycAjAtpujxyzYsrztuuICqIM5ibXQ/0"}"#;
    json!({
        "appid": "wx4f4bc4dec97d474b",
        "session_key": session_key,
        "iv": "r7BXXKkLb8qrSNn05n0qiA==",
        "encrypted_data": "CiyLU1Aw2KjvrjMdj8YKliAjtP4gsMZMQmRzooG2xrDcvSnxIMXFufNstNGTyaGS9uT5geRa0W4oTOb1WT7fJlAC+oNPdbB+3hVbJSRgv+4lGOETKUQz6OYStslQ142dNCuabNPGBzlooOmB231qMM85d2/fV6ChevvXvQP8Hkue1poOFtnEtpyxVLW1zAo6/1Xx1COxFvrc2d7UL/lmHInNlxuacJXwu0fjpXfz/YqYzBIBzD6WUfTIF9GRHpOn/Hz7saL8xz+W//FRAUid1OksQaQx4CMs8LOddcQhULW4ucetDf96JcR3g0gfRK4PC7E/r7Z6xNrXd2UIeorGj5Ef7b1pJAYB6Y5anaHqZ9J6nKEBvB4DnNLIVWSgARns/8wR2SiRS7MNACwTyrGvt9ts8p12PKFdlqYTopNHR1Vf7XjfhQlVsAJdNiKdYmYVoKlaRv85IfVunYzO0IKXsyl7JCUjCpoG20f0a04COwfneQAGGwd5oa+T8yO5hzuyDb/XcxxmK01EpqOyuxINew==",
        "expected_plaintext": r#"{"openId":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","nickName":"Band","gender":1,"language":"zh_CN","city":"Guangzhou","province":"Guangdong","country":"CN","avatarUrl":"http://wx.qlogo.cn/mmopen/vi_32/aSKcBBPpibyKNicHNTMM0qJVh8Kjgiak2AHWr8MHM4WgMEm7GFhsf8OYrySdbvAMvTsw3mo8ibKicsnfN5pRjl1p8HQ/0","unionId":"ocMvos6NjeKLIBqg5Mr9QjxrP1FA","watermark":{"timestamp":1477314187,"appid":"wx4f4bc4dec97d474b"}}"#,
        "raw_data": raw_data,
        "raw_data_signature": raw_data_signature(raw_data, session_key),
        "session_message": "",
        "session_signature": session_signature(session_key, ""),
    })
}

/// Writes one JSON file per push case, `login.json` and `index.json` (the case names) to `dir`.
/// `expected` maps each push case to the reply the pipeline produced.
pub fn write_all(dir: &Path, cases: &[Value], expected: &[String]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut names = Vec::new();
    for (case, reply) in cases.iter().zip(expected) {
        let mut case = case.clone();
        case["expected_reply"] = Value::from(reply.as_str());
        let name = case["name"].as_str().unwrap_or_default().to_owned();
        let file = format!("push-{}.json", name.replace('/', "-"));
        std::fs::write(dir.join(&file), serde_json::to_string_pretty(&case)?)?;
        names.push(json!({ "name": name, "file": file }));
    }
    std::fs::write(dir.join("login.json"), serde_json::to_string_pretty(&login_case())?)?;
    std::fs::write(dir.join("index.json"), serde_json::to_string_pretty(&json!({ "push": names, "login": "login.json" }))?)?;
    Ok(())
}
