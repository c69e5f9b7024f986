//! Passive replies in both formats, and encrypted replies that WeChat could verify and open.

use super::{crypt, TOKEN};
use crate::push::signature::msg_signature;
use crate::push::xml::parse_document;
use crate::push::{encrypt_reply, text_reply, transfer_reply, Format};
use crate::shared::crypto::hex_eq;
use serde_json::{json, Value};

#[test]
fn the_transfer_reply_has_wechat_shape_in_both_formats() {
    assert_eq!(
        transfer_reply(Format::Xml, "touser", "fromuser", 1399197672),
        "<xml><ToUserName><![CDATA[touser]]></ToUserName><FromUserName><![CDATA[fromuser]]></FromUserName><CreateTime>1399197672</CreateTime><MsgType><![CDATA[transfer_customer_service]]></MsgType></xml>"
    );
    assert_eq!(
        transfer_reply(Format::Json, "touser", "fromuser", 1399197672),
        r#"{"ToUserName":"touser","FromUserName":"fromuser","CreateTime":1399197672,"MsgType":"transfer_customer_service"}"#
    );
}

#[test]
fn a_text_reply_escapes_what_could_break_its_format() {
    let xml = text_reply(Format::Xml, "o1", "gh_1", 5, "a]]><x>\"");
    let fields = parse_document(xml.as_bytes()).unwrap();
    assert_eq!(fields["Content"], "a]]><x>\"");
    assert_eq!(fields["MsgType"], "text");
    let parsed: Value = serde_json::from_str(&text_reply(Format::Json, "o1", "gh_1", 5, "中\"}")).unwrap();
    assert_eq!(
        parsed,
        json!({"ToUserName": "o1", "FromUserName": "gh_1", "CreateTime": 5, "MsgType": "text", "Content": "中\"}"})
    );
}

#[test]
fn an_encrypted_xml_reply_verifies_and_decrypts_back() {
    let plain = transfer_reply(Format::Xml, "o1", "gh_1", 7);
    let reply = encrypt_reply(Format::Xml, &crypt(), TOKEN, &plain, 1409304348, "nonce]]>", [9; 16]);
    assert!(reply.starts_with("<xml><Encrypt><![CDATA["), "{reply}");
    assert!(reply.contains("<TimeStamp>1409304348</TimeStamp>"));
    let fields = parse_document(reply.as_bytes()).unwrap();
    let (encrypt, signature, nonce) =
        (fields["Encrypt"].as_str().unwrap(), fields["MsgSignature"].as_str().unwrap(), fields["Nonce"].as_str().unwrap());
    assert_eq!(nonce, "nonce]]>");
    assert!(hex_eq(&msg_signature(TOKEN, "1409304348", nonce, encrypt), signature));
    assert_eq!(crypt().decrypt(encrypt).unwrap(), plain);
}

#[test]
fn an_encrypted_json_reply_verifies_and_decrypts_back() {
    let plain = transfer_reply(Format::Json, "o1", "gh_1", 7);
    let reply = encrypt_reply(Format::Json, &crypt(), TOKEN, &plain, 1713424427, "415670741", [9; 16]);
    let parsed: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(parsed["TimeStamp"], 1713424427);
    let encrypt = parsed["Encrypt"].as_str().unwrap();
    assert!(hex_eq(&msg_signature(TOKEN, "1713424427", "415670741", encrypt), parsed["MsgSignature"].as_str().unwrap()));
    assert_eq!(crypt().decrypt(encrypt).unwrap(), plain);
}
