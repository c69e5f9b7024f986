//! The pipeline's body readers: an XML or JSON push read straight into the typed message's
//! slots, with no intermediate `serde_json::Map` of the whole body. The typed fields (the text
//! ones, `CreateTime`, `MsgId`/`MsgID`) go to their slots with no `String` for their names (an
//! XML leaf's text is borrowed until it lands in its slot, an integer's is never copied),
//! `Encrypt` to its own, and only the other fields (nested or unknown) become entries of the
//! message's `extra`. The field rules are [`MessageBuilder`]'s, the XML checks
//! [`xml::read_document`]'s; both readers give what `PushMessage::from_map` gives for the
//! `serde_json::Map` of the same body ([`xml::parse_document`] or serde_json), errors included.

use super::message::{IntValue, MessageBuilder, PushMessage, TextValue, Typed};
use super::pipeline::PushError;
use super::xml::{self, FieldSink};
use super::Format;
use serde::de::value::{I128Deserializer, MapAccessDeserializer, SeqAccessDeserializer, U128Deserializer};
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Number, Value};
use std::borrow::Cow;
use std::fmt;

const ENCRYPT: &str = "Encrypt";
const TO_USER_NAME: &str = "ToUserName";

/// A push body, read. In an envelope, `Encrypt` is taken out before the rest is used; in a
/// decrypted message it is one more field ([`into_message`](Self::into_message) puts it back).
#[derive(Debug, Default)]
pub(crate) struct Parsed {
    /// The body's `Encrypt`, as JSON: a string unless the body is malformed (a repeated XML
    /// element is an array, a JSON value any type; `null` counts as present).
    pub encrypt: Option<Value>,
    /// Whether the body has a field other than `ToUserName` and `Encrypt`: beside `Encrypt`,
    /// that is compatible mode's plaintext copy (safe mode sends only the addressee).
    pub beside_encrypt: bool,
    fields: MessageBuilder,
}

/// Reads a push body (without its UTF-8 BOM) in `format`. Only the body's syntax is checked
/// here; the field rules are checked by [`Parsed::into_message`].
pub(crate) fn parse_body(format: Format, body: &[u8]) -> Result<Parsed, PushError> {
    match format {
        Format::Xml => {
            let mut parsed = Parsed::default();
            xml::read_document(body, &mut parsed).map_err(|e| PushError::Malformed(e.to_string()))?;
            Ok(parsed)
        }
        // The error's position is enough; its text could quote the body.
        Format::Json => serde_json::from_slice(body)
            .map_err(|e| PushError::Malformed(format!("not a valid JSON object (line {}, column {})", e.line(), e.column()))),
    }
}

impl Parsed {
    /// The message the body carries, `Encrypt` (if still here) among its extra fields.
    pub(crate) fn into_message(self) -> Result<PushMessage, PushError> {
        self.into_fields().build().map_err(PushError::Malformed)
    }

    /// The message's fields, unchecked, `Encrypt` (if still here) among the extra ones.
    pub(crate) fn into_fields(self) -> MessageBuilder {
        let mut fields = self.fields;
        if let Some(encrypt) = self.encrypt {
            fields.extra.insert(ENCRYPT.to_owned(), encrypt);
        }
        fields
    }

    /// Notes a field of the body, for [`beside_encrypt`](Self::beside_encrypt).
    fn note(&mut self, name: &str) {
        if name != TO_USER_NAME && name != ENCRYPT {
            self.beside_encrypt = true;
        }
    }

    /// An XML field that is not a typed one: `Encrypt` to its slot, the rest to `extra`.
    fn other_xml_field(&mut self, name: &str, value: Value) {
        if name == ENCRYPT {
            match &mut self.encrypt {
                Some(existing) => xml::repeat(existing, value),
                None => self.encrypt = Some(value),
            }
        } else {
            xml::insert_field(&mut self.fields.extra, name.to_owned(), value);
        }
    }
}

/// The XML reader's fields: a repeated element is an array (of which no typed field takes one).
impl<'a> FieldSink<'a> for Parsed {
    fn text(&mut self, name: &str, text: Cow<'a, str>) {
        self.note(name);
        match Typed::of(name) {
            Some(field) => self.fields.add_text(field, text),
            None => self.other_xml_field(name, Value::String(text.into_owned())),
        }
    }

    fn value(&mut self, name: &str, value: Value) {
        self.note(name);
        match Typed::of(name) {
            Some(field) => self.fields.add_value(field, value),
            None => self.other_xml_field(name, value),
        }
    }
}

/// A JSON object, each value read straight into its slot; a repeated key's last value wins, as
/// in a `serde_json::Map`.
impl<'de> Deserialize<'de> for Parsed {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ObjectVisitor)
    }
}

struct ObjectVisitor;

impl<'de> Visitor<'de> for ObjectVisitor {
    type Value = Parsed;

    /// What a `serde_json::Map` expects, so a body that is no object is refused in the same words.
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a map")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut parsed = Parsed::default();
        while let Some(key) = map.next_key_seed(KeySeed)? {
            match key {
                Key::Typed(field) => {
                    parsed.beside_encrypt |= field != Typed::TO_USER_NAME;
                    let value = map.next_value_seed(ScalarSeed)?;
                    match field {
                        Typed::Text(index) => parsed.fields.set_text(index, value.into_text()),
                        Typed::CreateTime => parsed.fields.set_create_time(value.into_int()),
                        Typed::MsgId(name) => parsed.fields.set_msg_id(name, value.into_int()),
                    }
                }
                Key::Encrypt => parsed.encrypt = Some(map.next_value()?),
                Key::Other(name) => {
                    parsed.beside_encrypt = true;
                    let value = map.next_value()?;
                    parsed.fields.extra.insert(name, value);
                }
            }
        }
        Ok(parsed)
    }
}

/// A JSON key: a typed field and `Encrypt` need no `String`.
enum Key {
    Typed(Typed),
    Encrypt,
    Other(String),
}

impl Key {
    fn of(name: &str) -> Option<Key> {
        match Typed::of(name) {
            Some(field) => Some(Key::Typed(field)),
            None if name == ENCRYPT => Some(Key::Encrypt),
            None => None,
        }
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Key, E> {
        Ok(Key::of(name).unwrap_or_else(|| Key::Other(name.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, name: String) -> Result<Key, E> {
        Ok(Key::of(&name).unwrap_or(Key::Other(name)))
    }
}

/// A JSON value as a typed slot reads it: a string or a number directly, anything else as the
/// `serde_json::Value` it parses to (so the syntax and depth checks are serde_json's own).
enum Scalar {
    Null,
    Text(String),
    Number(Number),
    Other(Value),
}

impl Scalar {
    /// As [`TextValue::from_value`] reads the same value.
    fn into_text(self) -> Option<TextValue> {
        match self {
            Scalar::Null => None,
            Scalar::Text(text) => Some(TextValue::Text(text)),
            Scalar::Number(number) => Some(TextValue::Text(number.to_string())),
            Scalar::Other(value) => TextValue::from_value(value),
        }
    }

    /// As [`IntValue::from_value`] reads the same value.
    fn into_int(self) -> Option<IntValue> {
        match self {
            Scalar::Null => None,
            Scalar::Text(text) => Some(IntValue::from_digits(&text)),
            Scalar::Number(number) => Some(number.as_u64().map_or(IntValue::NotNonNegative, IntValue::Int)),
            Scalar::Other(value) => IntValue::from_value(value),
        }
    }
}

struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Scalar, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// Mirrors `serde_json::Value`'s own visitor, value for value.
impl<'de> Visitor<'de> for ScalarSeed {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, value: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other(Value::Bool(value)))
    }

    fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<Scalar, E> {
        Ok(Scalar::Number(value.into()))
    }

    fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<Scalar, E> {
        Ok(Scalar::Number(value.into()))
    }

    fn visit_i128<E: serde::de::Error>(self, value: i128) -> Result<Scalar, E> {
        Value::deserialize(I128Deserializer::new(value)).map(Scalar::Other)
    }

    fn visit_u128<E: serde::de::Error>(self, value: u128) -> Result<Scalar, E> {
        Value::deserialize(U128Deserializer::new(value)).map(Scalar::Other)
    }

    /// A non-finite float is `null`, as in a `serde_json::Value`.
    fn visit_f64<E: serde::de::Error>(self, value: f64) -> Result<Scalar, E> {
        Ok(Number::from_f64(value).map_or(Scalar::Null, Scalar::Number))
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<Scalar, E> {
        Ok(Scalar::Text(value.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, value: String) -> Result<Scalar, E> {
        Ok(Scalar::Text(value))
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Scalar, D::Error> {
        deserializer.deserialize_any(self)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Scalar, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Scalar::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Scalar, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Scalar::Other)
    }
}

#[cfg(test)]
mod tests;
