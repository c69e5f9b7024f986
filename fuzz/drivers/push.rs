//! Push drivers: `push_body` (plain XML and JSON bodies behind a valid signature, and arbitrary
//! query strings), `push_encrypted` (correctly signed envelopes around arbitrary `Encrypt`
//! values), `xml_document` (the XML reader alone).
//!
//! Every accepted push is checked the same way ([`check_incoming`]): its JSON form re-parses to
//! the same message, it survives being rebuilt as XML, as JSON and inside a safe-mode envelope,
//! and the passive reply built for it names the sender as addressee and nothing else (so a
//! crafted `FromUserName` cannot inject fields into the reply).

use super::input::{fields, flags, join, text, whole_blocks};
use aes::cipher::{BlockEncryptMut, KeyIvInit};
use base64::alphabet;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::Engine;
use serde_json::{Map, Value};
use wechat_edge::push::msg_crypt::MsgCrypt;
use wechat_edge::push::rules::{plan, render, KeywordRule, ReplyCrypto, Rules};
use wechat_edge::push::signature::{msg_signature, push_signature};
use wechat_edge::push::xml::{parse_document, push_value_element};
use wechat_edge::push::{
    open_push, parse_query, verify_echo, Format, Incoming, Mode, PushError, PushMessage, PushQuery, PushSecrets,
};
use wechat_edge::shared::config::AppType;
use wechat_edge::shared::config::PushMode;

pub const TOKEN: &str = "spamtest";
pub const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
pub const APPID: &str = "wx2c2769f8efd9abc2";
pub const NOW: u64 = 1_700_000_000;
const NONCE: &str = "1320562132";
const RANDOM: [u8; 16] = *b"0123456789abcdef";
/// The reader's depth limit in element levels, `<xml>` included.
const XML_MAX_DEPTH: usize = wechat_edge::push::xml::MAX_DEPTH;

/// A message's plain body, built by the independent `wechat-wire` from its JSON form (the
/// worker ships no body builder).
fn build_plain_body(format: Format, message: &PushMessage) -> String {
    wechat_wire::Message::render_json_text(&message.to_json(), wire_format(format)).unwrap_or_default()
}

/// `plain` wrapped for `mode` around `encrypt`, by `wechat-wire`.
fn wrap_encrypted(format: Format, mode: Mode, plain: &str, to_user_name: &str, encrypt: &str) -> String {
    let mode = match mode {
        Mode::Plain => wechat_wire::Mode::Plain,
        Mode::Compatible => wechat_wire::Mode::Compatible,
        Mode::Safe => wechat_wire::Mode::Safe,
    };
    wechat_wire::wrap(wire_format(format), mode, plain, to_user_name, encrypt)
}

fn wire_format(format: Format) -> wechat_wire::Format {
    match format {
        Format::Xml => wechat_wire::Format::Xml,
        Format::Json => wechat_wire::Format::Json,
    }
}

fn crypt() -> MsgCrypt {
    match MsgCrypt::new(AES_KEY, APPID) {
        Ok(crypt) => crypt,
        Err(e) => panic!("the fixture EncodingAESKey is refused: {e}"),
    }
}

fn secrets(crypt: &MsgCrypt) -> PushSecrets<'_> {
    PushSecrets { token: TOKEN, crypt: Some(crypt), mode: PushMode::Plain }
}

/// `signature`, `timestamp` and `nonce` as WeChat signs them, as a raw query string.
fn signed_query() -> String {
    let timestamp = NOW.to_string();
    format!("signature={}&timestamp={timestamp}&nonce={NONCE}", push_signature(TOKEN, &timestamp, NONCE))
}

/// The query of an encrypted push whose `Encrypt` is `encrypt`.
fn encrypted_query(encrypt: &str) -> String {
    let timestamp = NOW.to_string();
    // `Encrypt` is base64 (`+`, `/`, `=`), so the signature goes in already hex and the value
    // itself never travels in the query.
    format!("{}&msg_signature={}&encrypt_type=aes", signed_query(), msg_signature(TOKEN, &timestamp, NONCE, encrypt))
}

/// Percent-encodes every byte but ASCII letters and digits.
fn percent_encode(value: &str) -> String {
    value.bytes().map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") }).collect()
}

fn with_query<R>(raw: &str, f: impl FnOnce(&PushQuery<'_>) -> R) -> R {
    let pairs = parse_query(raw);
    assert!(pairs.len() <= raw.split('&').count(), "parse_query made more pairs than the query has");
    let query = PushQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    f(&query)
}

/// Input: flags, then `extra query` NUL `body`. Flags: 1 = the query is only the fuzzed part
/// (no valid signature in front), 2 = append `encrypt_type=aes`, 4 = check the timestamp window
/// (300 s), 8 = also run the URL check (`verify_echo`), 16 = the fuzzed part is instead the
/// timestamp, validly signed (for the timestamp parse and the window).
pub fn push_body(data: &[u8]) {
    let (flags, rest) = flags(data);
    let parts = fields(rest, 2);
    let extra = text(parts[0]);
    let body = parts[1];
    let mut raw = if flags & 16 != 0 {
        let signature = push_signature(TOKEN, &extra, NONCE);
        format!("signature={signature}&timestamp={}&nonce={NONCE}", percent_encode(&extra))
    } else if flags & 1 == 0 {
        format!("{}&{extra}", signed_query())
    } else {
        extra.clone()
    };
    if flags & 2 != 0 {
        raw.push_str("&encrypt_type=aes");
    }
    let window = if flags & 4 != 0 { 300 } else { 0 };
    let crypt = crypt();
    with_query(&raw, |query| {
        if flags & 16 != 0 {
            assert_eq!(query.timestamp, Some(extra.as_str()), "the timestamp did not survive percent-encoding");
        } else if flags & 1 == 0 {
            // The first of repeated parameters wins, so the fuzzed tail cannot replace them.
            assert_eq!(query.nonce, Some(NONCE), "a later nonce replaced the first one");
        }
        if flags & 8 != 0 {
            let _ = verify_echo(TOKEN, query, NOW, 300);
        }
        match open_push(&secrets(&crypt), query, body, NOW, window) {
            Ok(incoming) => check_incoming(&incoming, &crypt),
            Err(e) => check_error(&e),
        }
    });
}

/// Input: flags, then the payload. Flags & 3 picks what the payload is: 0 the `Encrypt` text
/// itself, 1 ciphertext bytes (base64-encoded here), 2 the decrypted frame (random16, length,
/// message, app id, padding: encrypted here with AES only, so the fuzzer controls every byte the
/// unpadder sees), 3 the inner message (encrypted properly). Flag 4: JSON envelope (else XML);
/// flag 8: compatible mode (else safe).
pub fn push_encrypted(data: &[u8]) {
    let (flags, payload) = flags(data);
    let format = if flags & 4 != 0 { Format::Json } else { Format::Xml };
    let mode = if flags & 8 != 0 { Mode::Compatible } else { Mode::Safe };
    let crypt = crypt();
    let inner = text(payload);
    let encrypt = match flags & 3 {
        0 => inner.clone(),
        1 => STANDARD.encode(payload),
        2 => seal_frame(payload),
        _ => {
            let encrypt = crypt.encrypt(&inner, RANDOM);
            assert_eq!(crypt.decrypt(&encrypt).as_deref(), Ok(inner.as_str()), "encrypt then decrypt changed the message");
            encrypt
        }
    };
    if let Ok(decrypted) = crypt.decrypt_detailed(&encrypt) {
        let ciphertext_len = STANDARD.decode(&encrypt).map(|c| c.len()).unwrap_or(0);
        assert!((1..=32).contains(&decrypted.pad), "pad value {} accepted", decrypted.pad);
        assert_eq!(
            decrypted.msg.len() + 16 + 4 + APPID.len() + usize::from(decrypted.pad),
            ciphertext_len,
            "the decrypted parts do not add up to the ciphertext"
        );
    }
    let body = wrap_encrypted(format, mode, &inner, "gh_1", &encrypt);
    with_query(&encrypted_query(&encrypt), |query| match open_push(&secrets(&crypt), query, body.as_bytes(), NOW, 300) {
        Ok(incoming) => {
            assert_eq!(incoming.format, format, "the envelope's format changed");
            assert_ne!(incoming.mode, Mode::Plain, "an encrypted push was read as plain");
            check_incoming(&incoming, &crypt);
        }
        Err(e) => check_error(&e),
    });
}

/// Encrypts a whole frame with the push key, with no padding added: what decrypts is exactly
/// `frame`, zero-filled to whole blocks.
fn seal_frame(frame: &[u8]) -> String {
    const LENIENT: GeneralPurpose =
        GeneralPurpose::new(&alphabet::STANDARD, GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true));
    let key = LENIENT.decode(format!("{AES_KEY}=")).unwrap_or_default();
    let (Ok(key), Some(iv)) = (<[u8; 32]>::try_from(key.as_slice()), key.get(..16)) else {
        panic!("the fixture EncodingAESKey does not decode to 32 bytes")
    };
    let mut iv16 = [0u8; 16];
    iv16.copy_from_slice(iv);
    let plain = whole_blocks(frame);
    let mut blocks: Vec<aes::Block> = plain.chunks_exact(16).map(|c| *aes::Block::from_slice(c)).collect();
    cbc::Encryptor::<aes::Aes256>::new(&key.into(), &iv16.into()).encrypt_blocks_mut(&mut blocks);
    STANDARD.encode(blocks.iter().flat_map(|b| b.iter().copied()).collect::<Vec<u8>>())
}

/// Input: the document. An accepted document stays within the depth limit, holds no more text
/// than the input (no expansion), and is written back by `push_value_element` as it was read.
pub fn xml_document(data: &[u8]) {
    let Ok(fields) = parse_document(data) else { return };
    let top = Value::Object(fields.clone());
    assert!(element_depth(&top) < XML_MAX_DEPTH, "a document nested deeper than {XML_MAX_DEPTH} levels was accepted");
    assert!(text_len(&top) <= data.len(), "the parsed fields hold more text than the document");
    if names_are_plain(&top) {
        let mut out = String::from("<xml>");
        for (name, value) in &fields {
            push_value_element(&mut out, name, value);
        }
        out.push_str("</xml>");
        match parse_document(out.as_bytes()) {
            Ok(again) => assert_eq!(again, fields, "written back, the document reads differently: {out}"),
            Err(e) => panic!("the writer produced a document the reader refuses ({e}): {out}"),
        }
    }
}

/// Levels of elements below `<xml>`: a string is 1 level (its field), an object one more.
fn element_depth(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.values().map(element_depth).max().unwrap_or(0) + 1,
        Value::Array(items) => items.iter().map(element_depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn text_len(value: &Value) -> usize {
    match value {
        Value::Object(map) => map.iter().map(|(k, v)| k.len() + text_len(v)).sum(),
        Value::Array(items) => items.iter().map(text_len).sum(),
        Value::String(s) => s.len(),
        _ => 0,
    }
}

/// Names the writer emits (it leaves out any other): ASCII letters, digits, `_ - .`, not
/// starting with a digit, `-` or `.`.
fn is_xml_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn names_are_plain(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.iter().all(|(k, v)| is_xml_name(k) && names_are_plain(v)),
        Value::Array(items) => items.iter().all(names_are_plain),
        _ => true,
    }
}

/// A refusal is a 4xx (or the 500 of a missing configuration, which cannot happen here).
fn check_error(e: &PushError) {
    assert!(matches!(e.status(), 400 | 401), "status {} for {e:?}", e.status());
    assert!(!e.code().is_empty() && !e.to_string().is_empty());
}

/// The typed fields of two messages are equal.
fn assert_same_message(a: &PushMessage, b: &PushMessage, how: &str) {
    let typed = |m: &PushMessage| {
        (
            [&m.to_user_name, &m.from_user_name, &m.msg_type].map(String::clone),
            (m.create_time, m.msg_id),
            [
                &m.content,
                &m.pic_url,
                &m.media_id,
                &m.title,
                &m.app_id,
                &m.page_path,
                &m.thumb_url,
                &m.thumb_media_id,
                &m.event,
                &m.session_from,
                &m.event_key,
                &m.ticket,
            ]
            .map(Option::clone),
        )
    };
    assert_eq!(typed(a), typed(b), "the message changed through {how}");
}

/// The checks every accepted push goes through.
fn check_incoming(incoming: &Incoming, crypt: &MsgCrypt) {
    let message = &incoming.message;
    assert!(!message.dedupe_key().is_empty());

    // Its JSON form (what is forwarded to the business webhook) reads back the same.
    let json = message.to_json();
    match serde_json::from_str::<PushMessage>(&json) {
        Ok(back) => {
            assert_same_message(message, &back, "its JSON form");
            let keys = |m: &PushMessage| m.extra.keys().cloned().collect::<Vec<_>>();
            assert_eq!(keys(message), keys(&back), "extra fields changed through the JSON form");
        }
        Err(e) => panic!("the JSON form of an accepted push does not parse: {e}"),
    }

    // Rebuilt as a plain body in either format, and inside a safe-mode envelope, it opens to the
    // same message. (An inner `Encrypt` field would make the rebuilt body an envelope; a JSON
    // push's field names that are no XML names have no XML form.)
    let extra = Value::Object(message.extra.clone());
    let formats: &[Format] = if names_are_plain(&extra) { &[Format::Xml, Format::Json] } else { &[Format::Json] };
    if !message.extra.contains_key("Encrypt") && formats.contains(&incoming.format) {
        for &format in formats {
            let plain = build_plain_body(format, message);
            with_query(&signed_query(), |query| match open_push(&secrets(crypt), query, plain.as_bytes(), NOW, 0) {
                Ok(again) => assert_same_message(message, &again.message, "a rebuilt plain body"),
                Err(e) => panic!("the rebuilt {format:?} body of an accepted push is refused ({e}): {plain}"),
            });
        }
        let plain = build_plain_body(incoming.format, message);
        let encrypt = crypt.encrypt(&plain, RANDOM);
        let body = wrap_encrypted(incoming.format, Mode::Safe, &plain, &message.to_user_name, &encrypt);
        with_query(&encrypted_query(&encrypt), |query| match open_push(&secrets(crypt), query, body.as_bytes(), NOW, 0) {
            Ok(again) => assert_same_message(message, &again.message, "a safe-mode envelope"),
            Err(e) => panic!("the safe-mode envelope of an accepted push is refused ({e}): {body}"),
        });
    }

    check_replies(incoming, crypt);
}

/// The passive replies of both app types, in the push's format and mode, address the sender.
fn check_replies(incoming: &Incoming, crypt: &MsgCrypt) {
    let message = &incoming.message;
    let keywords = vec![KeywordRule { pattern: "hi".into(), reply: "hello ]]><b>&amp;".into(), exact: false }];
    for app_type in [AppType::MiniProgram, AppType::OfficialAccount] {
        let rules = Rules { app_type, greeting: "welcome".into(), transfer: true, keywords: keywords.clone(), forward: true };
        let decided = plan(&rules, message);
        let reply_crypto = ReplyCrypto { crypt, token: TOKEN, nonce: NONCE, random16: RANDOM };
        let (reply, _) = render(&decided.passive, incoming.format, incoming.mode, message, NOW, Some(reply_crypto));
        if reply == "success" {
            continue;
        }
        let mut fields = read_fields(incoming.format, &reply);
        if incoming.mode != Mode::Plain {
            let Some(Value::String(encrypt)) = fields.remove("Encrypt") else {
                panic!("an encrypted push got a reply without Encrypt: {reply}")
            };
            let signature = msg_signature(TOKEN, &NOW.to_string(), NONCE, &encrypt);
            assert_eq!(fields.get("MsgSignature"), Some(&Value::String(signature)), "the reply's MsgSignature is wrong");
            let inner = crypt.decrypt(&encrypt).unwrap_or_else(|e| panic!("our own encrypted reply does not decrypt: {e}"));
            fields = read_fields(incoming.format, &inner);
        }
        let to = fields.get("ToUserName");
        let from = fields.get("FromUserName");
        assert_eq!(to, Some(&Value::String(message.from_user_name.clone())), "the reply is not addressed to the sender: {reply}");
        assert_eq!(from, Some(&Value::String(message.to_user_name.clone())), "the reply's sender is wrong: {reply}");
        let known = ["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"];
        assert!(fields.keys().all(|k| known.contains(&k.as_str())), "the reply grew a field: {reply}");
    }
}

fn read_fields(format: Format, body: &str) -> Map<String, Value> {
    let parsed = match format {
        Format::Xml => parse_document(body.as_bytes()).map_err(|e| e.to_string()),
        Format::Json => serde_json::from_str(body).map_err(|e| e.to_string()),
    };
    parsed.unwrap_or_else(|e| panic!("our own reply does not parse ({e}): {body}"))
}

fn sample_messages() -> Vec<PushMessage> {
    let text = PushMessage {
        to_user_name: "gh_1".into(),
        from_user_name: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
        create_time: NOW,
        msg_type: "text".into(),
        msg_id: Some(22824453888015488),
        content: Some("hi ]]> & <b>".into()),
        ..PushMessage::default()
    };
    let mut image = text.clone();
    image.msg_type = "image".into();
    image.content = None;
    image.pic_url = Some("https://mmbiz.qpic.cn/x".into());
    image.media_id = Some("media1".into());
    let mut card = text.clone();
    card.msg_type = "miniprogrampage".into();
    card.content = None;
    card.title = Some("title".into());
    card.app_id = Some(APPID.into());
    card.page_path = Some("pages/index/index?x=1".into());
    card.thumb_url = Some("https://x/y".into());
    card.thumb_media_id = Some("thumb".into());
    let mut enter = text.clone();
    enter.msg_type = "event".into();
    enter.msg_id = None;
    enter.content = None;
    enter.event = Some("user_enter_tempsession".into());
    enter.session_from = Some("from".into());
    let mut check = enter.clone();
    check.event = Some("wxa_media_check".into());
    check.extra.insert("trace_id".into(), Value::from("trace"));
    check.extra.insert("result".into(), serde_json::json!({"suggest": "pass", "label": 100}));
    check.extra.insert("detail".into(), serde_json::json!([{"strategy": "a", "errcode": 0}, {"strategy": "b"}]));
    let mut subscribe = enter.clone();
    subscribe.event = Some("subscribe".into());
    subscribe.event_key = Some("qrscene_123".into());
    subscribe.ticket = Some("ticket".into());
    vec![text, image, card, enter, check, subscribe]
}

pub fn push_body_seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for message in sample_messages() {
        for format in [Format::Xml, Format::Json] {
            let body = build_plain_body(format, &message);
            out.push(join(0, &[b"", body.as_bytes()]));
            out.push(join(4, &[b"openid=o1", body.as_bytes()]));
        }
    }
    let body = build_plain_body(Format::Xml, &sample_messages()[0]);
    for timestamp in ["1700000000", "1699999000", "17e8", ""] {
        out.push(join(16 | 4, &[timestamp.as_bytes(), body.as_bytes()]));
    }
    let query = signed_query();
    out.push(join(1 | 8, &[format!("{query}&echostr=abc").as_bytes(), b""]));
    out.push(join(2, &[b"", b"<xml><ToUserName><![CDATA[gh_1]]></ToUserName></xml>"]));
    out.push(join(
        0,
        &[b"", b"\xEF\xBB\xBF {\"ToUserName\":\"gh\",\"FromUserName\":\"o\",\"CreateTime\":\"1\",\"MsgType\":\"text\"}"],
    ));
    out
}

pub fn push_encrypted_seeds() -> Vec<Vec<u8>> {
    let crypt = crypt();
    let mut out = Vec::new();
    for (i, message) in sample_messages().into_iter().enumerate() {
        for (bit, format) in [(0u8, Format::Xml), (4, Format::Json)] {
            let plain = build_plain_body(format, &message);
            let mode = if i % 2 == 0 { 0 } else { 8 };
            out.push(join(3 | bit | mode, &[plain.as_bytes()]));
            let encrypt = crypt.encrypt(&plain, RANDOM);
            out.push(join(bit | mode, &[encrypt.as_bytes()]));
            let ciphertext = STANDARD.decode(&encrypt).unwrap_or_default();
            out.push(join(1 | bit, &[&ciphertext]));
            // The decrypted frame, padding included, so mutations land on the unpadder.
            let mut frame = RANDOM.to_vec();
            frame.extend_from_slice(&u32::try_from(plain.len()).unwrap_or(u32::MAX).to_be_bytes());
            frame.extend_from_slice(plain.as_bytes());
            frame.extend_from_slice(APPID.as_bytes());
            let pad = 32 - frame.len() % 32;
            frame.extend(std::iter::repeat_n(u8::try_from(pad).unwrap_or(32), pad));
            out.push(join(2 | bit, &[&frame]));
        }
    }
    out
}

pub fn xml_document_seeds() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = sample_messages().iter().map(|m| build_plain_body(Format::Xml, m).into_bytes()).collect();
    out.push(b"<?xml version=\"1.0\"?><!-- c --><xml>\n  <a>x &amp; &#x4e2d; &lt;</a>\n  <a/>\n  <b><c><d>1</d><d>2</d></c></b>\n</xml>".to_vec());
    out.push(b"<xml><ToUserName><![CDATA[a]]]]><![CDATA[>b]]></ToUserName><Encrypt><![CDATA[abc==]]></Encrypt></xml>".to_vec());
    out
}
