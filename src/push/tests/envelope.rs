//! Push bodies built from our own `PushMessage` (§8.4, §8.5), for the unit tests of the
//! pipeline: a plain body, then optionally the compatible or safe envelope. Tests only; the
//! simulator and the end-to-end tests build theirs with the independent `wechat-wire`.

use crate::push::message::{Field, PushMessage};
use crate::push::msg_crypt::MsgCrypt;
use crate::push::xml::{push_int_element, push_text_element, push_value_element};
use crate::push::{json_string, Format, Mode};

/// The plaintext body of a message: XML with CDATA strings and bare integers, or JSON.
pub fn build_plain_body(format: Format, message: &PushMessage) -> String {
    match format {
        Format::Json => message.to_json(),
        Format::Xml => {
            let mut out = String::from("<xml>");
            for (name, value) in message.fields() {
                match value {
                    Field::Text(text) => push_text_element(&mut out, name, text),
                    Field::Int(n) => push_int_element(&mut out, name, n),
                }
            }
            for (name, value) in message.extra_fields() {
                push_value_element(&mut out, name, value);
            }
            out.push_str("</xml>");
            out
        }
    }
}

/// Encrypts `plain_body` and wraps it for `mode`; `Mode::Plain` returns the body unchanged.
/// To sign the request the caller also needs the `Encrypt` value: encrypt with
/// [`MsgCrypt::encrypt`] and call [`wrap_encrypted`] instead.
pub fn build_envelope(
    format: Format,
    mode: Mode,
    plain_body: &str,
    to_user_name: &str,
    crypt: &MsgCrypt,
    random16: [u8; 16],
) -> String {
    if mode == Mode::Plain {
        return plain_body.to_owned();
    }
    wrap_encrypted(format, mode, plain_body, to_user_name, &crypt.encrypt(plain_body, random16))
}

/// Wraps an already computed `Encrypt` value: safe mode sends `ToUserName` and `Encrypt` only,
/// compatible mode appends `Encrypt` to the plaintext fields. A plain body that is not a
/// complete `<xml>` document or JSON object gets the safe envelope.
pub fn wrap_encrypted(format: Format, mode: Mode, plain_body: &str, to_user_name: &str, encrypt: &str) -> String {
    if mode == Mode::Plain {
        return plain_body.to_owned();
    }
    if mode == Mode::Compatible {
        if let Some(body) = append_encrypt(format, plain_body, encrypt) {
            return body;
        }
    }
    match format {
        Format::Xml => {
            let mut out = String::from("<xml>");
            push_text_element(&mut out, "ToUserName", to_user_name);
            push_text_element(&mut out, "Encrypt", encrypt);
            out.push_str("</xml>");
            out
        }
        Format::Json => format!(r#"{{"ToUserName":{},"Encrypt":{}}}"#, json_string(to_user_name), json_string(encrypt)),
    }
}

/// Inserts `Encrypt` as the last field, leaving the rest of the body byte for byte.
fn append_encrypt(format: Format, plain_body: &str, encrypt: &str) -> Option<String> {
    let trimmed = plain_body.trim_end();
    match format {
        Format::Xml => {
            let head = trimmed.strip_suffix("</xml>")?;
            let mut out = head.to_owned();
            push_text_element(&mut out, "Encrypt", encrypt);
            out.push_str("</xml>");
            Some(out)
        }
        Format::Json => {
            let head = trimmed.strip_suffix('}')?;
            let separator = if head.trim_end().ends_with('{') { "" } else { "," };
            Some(format!(r#"{head}{separator}"Encrypt":{}}}"#, json_string(encrypt)))
        }
    }
}
