//! A push as it is POSTed (wechat-api.md §8.3, §8.5): the body in its mode — the plaintext,
//! the plaintext plus `Encrypt` (compatible), or only `ToUserName` and `Encrypt` (safe) — and
//! the signed query: `signature`, `timestamp`, `nonce`, and for an encrypted body
//! `encrypt_type=aes` and `msg_signature`.

use super::message::Node;
use super::sign::{msg_signature, push_signature};
use super::xml_write;
use super::{Format, Mode, PushCipher};

/// The body of a push in `mode`, around an already computed `Encrypt`. Works on any plaintext
/// body (a fixture kept byte for byte, or a built message).
pub fn wrap(format: Format, mode: Mode, plain: &str, to_user_name: &str, encrypt: &str) -> String {
    match (mode, format) {
        (Mode::Plain, _) => plain.to_string(),
        (Mode::Safe, Format::Xml) => {
            xml_write::document(&[("ToUserName".into(), Node::text(to_user_name)), ("Encrypt".into(), Node::text(encrypt))])
        }
        // Written by hand to keep WeChat's order (§8.5): the addressee first.
        (Mode::Safe, Format::Json) => {
            format!("{{\"ToUserName\":{},\"Encrypt\":{}}}", json_string(to_user_name), json_string(encrypt))
        }
        (Mode::Compatible, Format::Xml) => match plain.rfind("</xml>") {
            Some(end) => {
                let mut out = String::with_capacity(plain.len() + encrypt.len() + 40);
                out.push_str(&plain[..end]);
                out.push_str("<Encrypt>");
                xml_write::cdata(&mut out, encrypt);
                out.push_str("</Encrypt>");
                out.push_str(&plain[end..]);
                out
            }
            // Not a document: nothing to add the field to, so only the envelope goes.
            None => wrap(format, Mode::Safe, plain, to_user_name, encrypt),
        },
        (Mode::Compatible, Format::Json) => match (plain.find('{'), plain.rfind('}')) {
            (Some(start), Some(end)) if start < end => {
                let empty = plain[start + 1..end].trim().is_empty();
                let comma = if empty { "" } else { "," };
                // After the last field, before the layout that closes the object.
                let fields = plain[..end].trim_end();
                let layout = &plain[fields.len()..end];
                let sealed = json_string(encrypt);
                format!("{fields}{comma}\"Encrypt\":{sealed}{layout}{}", &plain[end..])
            }
            _ => wrap(format, Mode::Safe, plain, to_user_name, encrypt),
        },
    }
}

fn json_string(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

/// Everything that decides how one delivery is signed and encrypted.
pub struct Sealing<'a> {
    pub format: Format,
    pub mode: Mode,
    pub token: &'a str,
    /// Needed in compatible and safe mode.
    pub cipher: Option<&'a PushCipher>,
    pub timestamp: &'a str,
    pub nonce: &'a str,
    pub random16: [u8; 16],
}

/// One delivery, ready to POST to `<webhook>?<query>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub query: String,
    pub body: String,
    /// `Encrypt`, in compatible and safe mode.
    pub encrypt: Option<String>,
}

/// Signs (and in compatible/safe mode encrypts) a plaintext body addressed to `to_user_name`.
pub fn seal(plain: &str, to_user_name: &str, how: &Sealing<'_>) -> Result<Sealed, &'static str> {
    let encrypt = match (how.mode, how.cipher) {
        (Mode::Plain, _) => None,
        (_, Some(cipher)) => Some(cipher.encrypt(plain, how.random16)),
        (_, None) => return Err("compatible and safe mode need the EncodingAESKey"),
    };
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.append_pair("signature", &push_signature(how.token, how.timestamp, how.nonce));
    query.append_pair("timestamp", how.timestamp);
    query.append_pair("nonce", how.nonce);
    let body = match &encrypt {
        Some(encrypt) => {
            query.append_pair("encrypt_type", "aes");
            query.append_pair("msg_signature", &msg_signature(how.token, how.timestamp, how.nonce, encrypt));
            wrap(how.format, how.mode, plain, to_user_name, encrypt)
        }
        None => plain.to_string(),
    };
    Ok(Sealed { query: query.finish(), body, encrypt })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::read_fields;

    #[test]
    fn compatible_mode_adds_encrypt_to_the_plaintext_as_it_is() {
        let xml = "<xml>\n<ToUserName><![CDATA[gh_1]]></ToUserName>\n</xml>";
        let json = "{\n  \"ToUserName\": \"gh_1\"\n}";
        assert_eq!(
            wrap(Format::Xml, Mode::Compatible, xml, "gh_1", "E"),
            "<xml>\n<ToUserName><![CDATA[gh_1]]></ToUserName>\n<Encrypt><![CDATA[E]]></Encrypt></xml>"
        );
        assert_eq!(wrap(Format::Json, Mode::Compatible, json, "gh_1", "E"), "{\n  \"ToUserName\": \"gh_1\",\"Encrypt\":\"E\"\n}");
        assert_eq!(wrap(Format::Json, Mode::Compatible, "{}", "gh_1", "E"), "{\"Encrypt\":\"E\"}");
    }

    #[test]
    fn safe_mode_carries_only_the_addressee_and_encrypt() {
        assert_eq!(wrap(Format::Json, Mode::Safe, "{\"a\":1}", "gh_1", "E"), "{\"ToUserName\":\"gh_1\",\"Encrypt\":\"E\"}");
        let xml = wrap(Format::Xml, Mode::Safe, "<xml/>", "gh_1", "E");
        let fields = read_fields(Format::Xml, &xml).unwrap();
        assert_eq!(fields.len(), 2);
    }

    #[test]
    fn an_encrypted_seal_signs_the_encrypt_it_carries() {
        let cipher = PushCipher::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx1").unwrap();
        let how = Sealing {
            format: Format::Xml,
            mode: Mode::Safe,
            token: "tok",
            cipher: Some(&cipher),
            timestamp: "1409735669",
            nonce: "1320562132",
            random16: [3; 16],
        };
        let sealed = seal("<xml><A>1</A></xml>", "gh_1", &how).unwrap();
        let encrypt = sealed.encrypt.clone().unwrap();
        let expected = msg_signature("tok", "1409735669", "1320562132", &encrypt);
        assert!(sealed.query.contains(&format!("&encrypt_type=aes&msg_signature={expected}")));
        assert!(sealed.body.contains(&encrypt));
        let plain = Sealing { mode: Mode::Plain, cipher: None, ..how };
        assert!(!seal("x", "gh_1", &plain).unwrap().query.contains("msg_signature"));
    }
}
