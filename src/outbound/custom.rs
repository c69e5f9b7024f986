//! Customer-service messages (wechat-api.md §9): the body of `message/custom/send` and of
//! `message/custom/typing`, in WeChat's own shape (`{"touser","msgtype",<msgtype>:{..}}`).

use super::{openid, optional_str, required_object, required_str, wechat_id, Body};
use crate::error::ApiError;
use serde_json::{json, Value};

/// WeChat answers 45002 beyond this (community-measured; counted in UTF-8 bytes to be safe).
pub const TEXT_MAX_BYTES: usize = 2048;
pub const MSGTYPES: [&str; 4] = ["text", "image", "link", "miniprogrampage"];
const MEDIA_ID_MAX: usize = 256;
const URL_MAX: usize = 2048;

/// A message ready for `custom/send`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomMessage {
    touser: String,
    content: Content,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Text { content: String },
    Image { media_id: String },
    Link { title: String, description: String, url: String, thumb_url: String },
    MiniProgramPage { title: String, pagepath: String, thumb_media_id: String },
}

impl Content {
    pub fn msgtype(&self) -> &'static str {
        match self {
            Content::Text { .. } => "text",
            Content::Image { .. } => "image",
            Content::Link { .. } => "link",
            Content::MiniProgramPage { .. } => "miniprogrampage",
        }
    }
}

impl CustomMessage {
    /// Parses `{"touser", "msgtype", <msgtype>: {...}}`; every id comes from the body.
    pub fn parse(body: &Body) -> Result<Self, ApiError> {
        Self::parse_with_media(body, None)
    }

    /// Like [`parse`](Self::parse), with a media_id the handler just got from `media/upload`.
    /// It becomes `image.media_id` (msgtype `image`) or `miniprogrampage.thumb_media_id`
    /// (msgtype `miniprogrampage`), replacing any id in the body, and the body may then leave
    /// that id (or, for `image`, the whole `image` object) out. Other msgtypes take no upload.
    pub fn parse_with_media(body: &Body, media_id: Option<String>) -> Result<Self, ApiError> {
        let touser = openid(body, "touser")?;
        let msgtype = required_str(body, "msgtype", "msgtype")?;
        let uploaded = media_id.map(|id| wechat_id(&id, "media_id", MEDIA_ID_MAX)).transpose()?;
        let content = match msgtype {
            "text" => {
                no_upload(&uploaded, msgtype)?;
                let text = required_object(body, "text")?;
                let content = required_str(text, "content", "text.content")?;
                if content.len() > TEXT_MAX_BYTES {
                    return Err(ApiError::invalid_field(
                        "text.content",
                        &format!("is longer than {TEXT_MAX_BYTES} bytes (UTF-8; a Chinese character is 3)"),
                    ));
                }
                Content::Text { content: content.to_owned() }
            }
            "image" => {
                let media_id = match uploaded {
                    Some(id) => id,
                    None => {
                        let image = required_object(body, "image")?;
                        wechat_id(required_str(image, "media_id", "image.media_id")?, "image.media_id", MEDIA_ID_MAX)?
                    }
                };
                Content::Image { media_id }
            }
            "link" => {
                no_upload(&uploaded, msgtype)?;
                let link = required_object(body, "link")?;
                Content::Link {
                    title: required_str(link, "title", "link.title")?.to_owned(),
                    description: required_str(link, "description", "link.description")?.to_owned(),
                    url: http_url(required_str(link, "url", "link.url")?, "link.url")?,
                    thumb_url: http_url(required_str(link, "thumb_url", "link.thumb_url")?, "link.thumb_url")?,
                }
            }
            "miniprogrampage" => {
                let card = required_object(body, "miniprogrampage")?;
                let title = required_str(card, "title", "miniprogrampage.title")?.to_owned();
                let pagepath = required_str(card, "pagepath", "miniprogrampage.pagepath")?;
                if pagepath.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    return Err(ApiError::invalid_field("miniprogrampage.pagepath", "must not contain spaces or control characters"));
                }
                let thumb_media_id = match uploaded {
                    Some(id) => id,
                    None => {
                        let id = required_str(card, "thumb_media_id", "miniprogrampage.thumb_media_id")?;
                        wechat_id(id, "miniprogrampage.thumb_media_id", MEDIA_ID_MAX)?
                    }
                };
                Content::MiniProgramPage { title, pagepath: pagepath.to_owned(), thumb_media_id }
            }
            _ => {
                return Err(ApiError::invalid_field(
                    "msgtype",
                    &format!("must be one of {}", MSGTYPES.join(", ")),
                ))
            }
        };
        Ok(CustomMessage { touser, content })
    }

    pub fn touser(&self) -> &str {
        &self.touser
    }

    pub fn content(&self) -> &Content {
        &self.content
    }

    pub fn msgtype(&self) -> &'static str {
        self.content.msgtype()
    }

    /// Exactly the body of `POST /cgi-bin/message/custom/send`.
    pub fn wechat_body(&self) -> Value {
        let object = match &self.content {
            Content::Text { content } => json!({ "content": content }),
            Content::Image { media_id } => json!({ "media_id": media_id }),
            Content::Link { title, description, url, thumb_url } => {
                json!({ "title": title, "description": description, "url": url, "thumb_url": thumb_url })
            }
            Content::MiniProgramPage { title, pagepath, thumb_media_id } => {
                json!({ "title": title, "pagepath": pagepath, "thumb_media_id": thumb_media_id })
            }
        };
        let msgtype = self.msgtype();
        let mut body = json!({ "touser": self.touser, "msgtype": msgtype });
        if let Some(map) = body.as_object_mut() {
            map.insert(msgtype.to_owned(), object);
        }
        body
    }
}

fn no_upload(uploaded: &Option<String>, msgtype: &str) -> Result<(), ApiError> {
    match uploaded {
        Some(_) => Err(ApiError::invalid_field(
            "msgtype",
            &format!("is {msgtype}, which takes no uploaded image (use image or miniprogrampage)"),
        )),
        None => Ok(()),
    }
}

/// An absolute `http://` or `https://` URL with a host, without spaces.
fn http_url(url: &str, field: &str) -> Result<String, ApiError> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        url.get(8..)
    } else if lower.starts_with("http://") {
        url.get(7..)
    } else {
        None
    };
    let host_present = rest.is_some_and(|r| !r.is_empty() && !r.starts_with('/'));
    if !host_present || url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.len() > URL_MAX {
        return Err(ApiError::invalid_field(field, "must be an http:// or https:// URL"));
    }
    Ok(url.to_owned())
}

/// `Typing` shows "typing..." for 15 s; `CancelTyping` hides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypingCommand {
    Typing,
    CancelTyping,
}

/// A body for `custom/typing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typing {
    touser: String,
    command: TypingCommand,
}

impl Typing {
    /// Parses `{"touser", "command": "Typing" | "CancelTyping"}`.
    pub fn parse(body: &Body) -> Result<Self, ApiError> {
        let touser = openid(body, "touser")?;
        let command = match optional_str(body, "command", "command")? {
            Some("Typing") => TypingCommand::Typing,
            Some("CancelTyping") => TypingCommand::CancelTyping,
            None => return Err(ApiError::invalid_field("command", "is required (Typing or CancelTyping)")),
            Some(_) => return Err(ApiError::invalid_field("command", "must be Typing or CancelTyping")),
        };
        Ok(Typing { touser, command })
    }

    pub fn touser(&self) -> &str {
        &self.touser
    }

    pub fn command(&self) -> TypingCommand {
        self.command
    }

    /// Exactly the body of `POST /cgi-bin/message/custom/typing`.
    pub fn wechat_body(&self) -> Value {
        let command = match self.command {
            TypingCommand::Typing => "Typing",
            TypingCommand::CancelTyping => "CancelTyping",
        };
        json!({ "touser": self.touser, "command": command })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

    fn body(v: Value) -> Body {
        v.as_object().cloned().unwrap_or_default()
    }

    fn parse(v: Value) -> Result<CustomMessage, ApiError> {
        CustomMessage::parse(&body(v))
    }

    #[test]
    fn a_text_message_keeps_wechats_shape() {
        let msg = parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": "Hello World"}, "appid": "wx1"})).unwrap();
        assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "msgtype": "text", "text": {"content": "Hello World"}}));
        assert_eq!(msg.msgtype(), "text");
        assert_eq!(msg.touser(), OPENID);
    }

    #[test]
    fn text_may_carry_a_mini_program_link_and_newlines() {
        let content = "see <a href=\"https://x\" data-miniprogram-appid=\"wx1\" data-miniprogram-path=\"pages/index/index\">here</a>\nbye";
        assert!(parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": content}})).is_ok());
    }

    #[test]
    fn text_is_limited_to_2048_bytes_not_characters() {
        let fits = "a".repeat(2048);
        let too_long = "a".repeat(2049);
        let chinese = "微".repeat(683); // 2049 bytes
        assert!(parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": fits}})).is_ok());
        for c in [too_long, chinese] {
            let e = parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": c}})).unwrap_err();
            assert_eq!((e.status, e.code.as_ref()), (400, "invalid_field"));
            assert!(e.message.starts_with("`text.content` is longer than 2048 bytes"), "{}", e.message);
        }
    }

    #[test]
    fn text_needs_its_object_and_content() {
        let e = parse(json!({"touser": OPENID, "msgtype": "text"})).unwrap_err();
        assert_eq!(e.message, "`text` is required");
        let e = parse(json!({"touser": OPENID, "msgtype": "text", "content": "shorthand"})).unwrap_err();
        assert_eq!(e.message, "`text` is required");
        let e = parse(json!({"touser": OPENID, "msgtype": "text", "text": "hi"})).unwrap_err();
        assert_eq!(e.message, "`text` must be an object");
        let e = parse(json!({"touser": OPENID, "msgtype": "text", "text": {"content": ""}})).unwrap_err();
        assert_eq!(e.message, "`text.content` must not be empty");
    }

    #[test]
    fn touser_must_be_an_openid() {
        assert_eq!(parse(json!({"msgtype": "text", "text": {"content": "x"}})).unwrap_err().message, "`touser` is required");
        let e = parse(json!({"touser": "not an openid", "msgtype": "text", "text": {"content": "x"}})).unwrap_err();
        assert!(e.message.starts_with("`touser` must be an openid"));
    }

    #[test]
    fn an_unknown_msgtype_lists_the_allowed_ones() {
        let e = parse(json!({"touser": OPENID, "msgtype": "news", "news": {}})).unwrap_err();
        assert_eq!(e.message, "`msgtype` must be one of text, image, link, miniprogrampage");
        assert_eq!(parse(json!({"touser": OPENID})).unwrap_err().message, "`msgtype` is required");
    }

    #[test]
    fn an_image_needs_a_media_id_from_the_body_or_an_upload() {
        let msg = parse(json!({"touser": OPENID, "msgtype": "image", "image": {"media_id": "MEDIA_ID"}})).unwrap();
        assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "msgtype": "image", "image": {"media_id": "MEDIA_ID"}}));
        assert_eq!(parse(json!({"touser": OPENID, "msgtype": "image"})).unwrap_err().message, "`image` is required");
        let e = parse(json!({"touser": OPENID, "msgtype": "image", "image": {}})).unwrap_err();
        assert_eq!(e.message, "`image.media_id` is required");

        let uploaded = CustomMessage::parse_with_media(&body(json!({"touser": OPENID, "msgtype": "image"})), Some("UP".into())).unwrap();
        assert_eq!(uploaded.content(), &Content::Image { media_id: "UP".into() });
        let replaced =
            CustomMessage::parse_with_media(&body(json!({"touser": OPENID, "msgtype": "image", "image": {"media_id": "OLD"}})), Some("UP".into()))
                .unwrap();
        assert_eq!(replaced.wechat_body()["image"]["media_id"], "UP");
    }

    #[test]
    fn an_upload_with_a_text_message_is_refused() {
        let e = CustomMessage::parse_with_media(&body(json!({"touser": OPENID, "msgtype": "text", "text": {"content": "x"}})), Some("UP".into()))
            .unwrap_err();
        assert!(e.message.starts_with("`msgtype` is text, which takes no uploaded image"));
        let e = CustomMessage::parse_with_media(&body(json!({"touser": OPENID, "msgtype": "image"})), Some("bad id".into())).unwrap_err();
        assert!(e.message.starts_with("`media_id`"));
    }

    #[test]
    fn a_link_needs_all_four_fields_and_http_urls() {
        let link = json!({"title": "Happy Day", "description": "Is Really A Happy Day", "url": "https://example.com/a?b=1", "thumb_url": "http://example.com/t.jpg"});
        let msg = parse(json!({"touser": OPENID, "msgtype": "link", "link": link})).unwrap();
        assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "msgtype": "link", "link": link}));
        for (field, bad) in [("url", "ftp://example.com"), ("url", "https://"), ("thumb_url", "example.com/t.jpg"), ("url", "https://a b")] {
            let mut l = link.clone();
            l[field] = json!(bad);
            let e = parse(json!({"touser": OPENID, "msgtype": "link", "link": l})).unwrap_err();
            assert_eq!(e.message, format!("`link.{field}` must be an http:// or https:// URL"), "{bad}");
        }
        for field in ["title", "description", "url", "thumb_url"] {
            let mut l = link.clone();
            l.as_object_mut().unwrap().remove(field);
            let e = parse(json!({"touser": OPENID, "msgtype": "link", "link": l})).unwrap_err();
            assert_eq!(e.message, format!("`link.{field}` is required"));
        }
        assert!(parse(json!({"touser": OPENID, "msgtype": "link", "link": {"title": "t", "description": "d", "url": "HTTPS://X.COM", "thumb_url": "https://x/t.png"}})).is_ok());
    }

    #[test]
    fn a_mini_program_card_keeps_its_page_query() {
        let card = json!({"title": "title", "pagepath": "pages/index/index?foo=bar", "thumb_media_id": "THUMB"});
        let msg = parse(json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": card})).unwrap();
        assert_eq!(msg.wechat_body(), json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": card}));
        let e = parse(json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "pagepath": "p"}})).unwrap_err();
        assert_eq!(e.message, "`miniprogrampage.thumb_media_id` is required");
        let e = parse(json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "pagepath": "a b", "thumb_media_id": "T"}}))
            .unwrap_err();
        assert!(e.message.starts_with("`miniprogrampage.pagepath`"));
        let uploaded = CustomMessage::parse_with_media(
            &body(json!({"touser": OPENID, "msgtype": "miniprogrampage", "miniprogrampage": {"title": "t", "pagepath": "p"}})),
            Some("UP".into()),
        )
        .unwrap();
        assert_eq!(uploaded.wechat_body()["miniprogrampage"]["thumb_media_id"], "UP");
    }

    #[test]
    fn typing_takes_exactly_two_commands() {
        let t = Typing::parse(&body(json!({"touser": OPENID, "command": "Typing"}))).unwrap();
        assert_eq!(t.wechat_body(), json!({"touser": OPENID, "command": "Typing"}));
        assert_eq!(t.command(), TypingCommand::Typing);
        let c = Typing::parse(&body(json!({"touser": OPENID, "command": "CancelTyping"}))).unwrap();
        assert_eq!(c.wechat_body()["command"], "CancelTyping");
        assert!(Typing::parse(&body(json!({"touser": OPENID, "command": "typing"}))).is_err());
        assert!(Typing::parse(&body(json!({"touser": OPENID}))).unwrap_err().message.starts_with("`command` is required"));
        assert!(Typing::parse(&body(json!({"command": "Typing"}))).is_err());
    }

    #[test]
    fn nothing_panics_on_odd_input() {
        for v in [json!({}), json!({"touser": 1}), json!({"touser": OPENID, "msgtype": 7}), json!({"touser": OPENID, "msgtype": "link", "link": []})] {
            assert!(parse(v).is_err());
        }
    }
}
