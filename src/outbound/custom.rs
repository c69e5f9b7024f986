//! Customer-service messages (wechat-api.md §9): the body of `message/custom/send` and of
//! `message/custom/typing`, in WeChat's own shape (`{"touser","msgtype",<msgtype>:{..}}`).

use super::{openid, wechat_id, Body};
use crate::shared::error::ApiError;
use crate::shared::fields::{opt_str, required_object, required_str, required_str_as};
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
        let msgtype = required_str(body, "msgtype")?;
        let uploaded = media_id.map(|id| wechat_id(&id, "media_id", MEDIA_ID_MAX)).transpose()?;
        let content = match msgtype {
            "text" => {
                no_upload(&uploaded, msgtype)?;
                let text = required_object(body, "text")?;
                let content = required_str_as(text, "content", "text.content")?;
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
                        wechat_id(required_str_as(image, "media_id", "image.media_id")?, "image.media_id", MEDIA_ID_MAX)?
                    }
                };
                Content::Image { media_id }
            }
            "link" => {
                no_upload(&uploaded, msgtype)?;
                let link = required_object(body, "link")?;
                Content::Link {
                    title: required_str_as(link, "title", "link.title")?.to_owned(),
                    description: required_str_as(link, "description", "link.description")?.to_owned(),
                    url: http_url(required_str_as(link, "url", "link.url")?, "link.url")?,
                    thumb_url: http_url(required_str_as(link, "thumb_url", "link.thumb_url")?, "link.thumb_url")?,
                }
            }
            "miniprogrampage" => {
                let card = required_object(body, "miniprogrampage")?;
                let title = required_str_as(card, "title", "miniprogrampage.title")?.to_owned();
                let pagepath = required_str_as(card, "pagepath", "miniprogrampage.pagepath")?;
                if pagepath.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    return Err(ApiError::invalid_field(
                        "miniprogrampage.pagepath",
                        "must not contain spaces or control characters",
                    ));
                }
                let thumb_media_id = match uploaded {
                    Some(id) => id,
                    None => {
                        let id = required_str_as(card, "thumb_media_id", "miniprogrampage.thumb_media_id")?;
                        wechat_id(id, "miniprogrampage.thumb_media_id", MEDIA_ID_MAX)?
                    }
                };
                Content::MiniProgramPage { title, pagepath: pagepath.to_owned(), thumb_media_id }
            }
            _ => return Err(ApiError::invalid_field("msgtype", &format!("must be one of {}", MSGTYPES.join(", ")))),
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
        let command = match opt_str(body, "command")? {
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
mod tests;
