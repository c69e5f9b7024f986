//! Content security (wechat-api.md §12.1): the body of `wxa/msg_sec_check` version 2, which
//! checks a user's text in the context it will appear in (`scene`).

use super::{openid, Body};
use crate::shared::error::ApiError;
use crate::shared::fields::{opt_str, required_str};
use serde_json::{json, Map, Value};

pub const CONTENT_MAX_CHARS: usize = 2500;

/// Where the text will appear; WeChat judges it by that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// 1: a profile (nickname, signature).
    Profile = 1,
    /// 2: a comment.
    Comment = 2,
    /// 3: a forum post.
    Forum = 3,
    /// 4: a social log.
    SocialLog = 4,
}

impl Scene {
    pub fn from_number(n: i64) -> Option<Scene> {
        match n {
            1 => Some(Scene::Profile),
            2 => Some(Scene::Comment),
            3 => Some(Scene::Forum),
            4 => Some(Scene::SocialLog),
            _ => None,
        }
    }

    pub fn number(self) -> i64 {
        self as i64
    }
}

/// A text to check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextCheck {
    content: String,
    openid: String,
    scene: Scene,
    title: Option<String>,
    nickname: Option<String>,
    signature: Option<String>,
}

impl TextCheck {
    /// Parses `{content, openid, scene, title?, nickname?, signature?}`: content 1–2500
    /// characters; scene (an integer 1–4) is required, as version 2 requires it; signature
    /// only with scene 1. A `version` field, if sent, is ignored (we always send 2).
    pub fn parse(body: &Body) -> Result<Self, ApiError> {
        let content = required_str(body, "content")?;
        if content.chars().count() > CONTENT_MAX_CHARS {
            return Err(ApiError::invalid_field("content", &format!("is longer than {CONTENT_MAX_CHARS} characters")));
        }
        let openid = openid(body, "openid")?;
        let scene = match body.get("scene") {
            None | Some(Value::Null) => {
                return Err(ApiError::invalid_field("scene", "is required: 1 profile, 2 comment, 3 forum, 4 social log"))
            }
            Some(v) => v.as_i64().and_then(Scene::from_number).ok_or_else(|| {
                ApiError::invalid_field("scene", "must be 1 (profile), 2 (comment), 3 (forum) or 4 (social log)")
            })?,
        };
        let extra = |field: &str| opt_str(body, field).map(|v| v.map(str::to_owned));
        let (title, nickname, signature) = (extra("title")?, extra("nickname")?, extra("signature")?);
        if signature.is_some() && scene != Scene::Profile {
            return Err(ApiError::invalid_field("signature", "is only for scene 1 (profile)"));
        }
        Ok(TextCheck { content: content.to_owned(), openid, scene, title, nickname, signature })
    }

    pub fn openid(&self) -> &str {
        &self.openid
    }

    pub fn scene(&self) -> Scene {
        self.scene
    }

    /// Exactly the body of `POST /wxa/msg_sec_check` (version 2).
    pub fn wechat_body(&self) -> Value {
        let mut body = Map::new();
        body.insert("content".into(), json!(self.content));
        body.insert("version".into(), json!(2));
        body.insert("scene".into(), json!(self.scene.number()));
        body.insert("openid".into(), json!(self.openid));
        for (name, value) in [("title", &self.title), ("nickname", &self.nickname), ("signature", &self.signature)] {
            if let Some(v) = value {
                body.insert(name.into(), json!(v));
            }
        }
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests;
