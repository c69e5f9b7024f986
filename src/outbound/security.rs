//! Content security (wechat-api.md §12.1): the body of `wxa/msg_sec_check` version 2, which
//! checks a user's text in the context it will appear in (`scene`).

use super::{openid, optional_str, required_str, Body};
use crate::error::ApiError;
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
        let content = required_str(body, "content", "content")?;
        if content.chars().count() > CONTENT_MAX_CHARS {
            return Err(ApiError::invalid_field("content", &format!("is longer than {CONTENT_MAX_CHARS} characters")));
        }
        let openid = openid(body, "openid")?;
        let scene = match body.get("scene") {
            None | Some(Value::Null) => return Err(ApiError::invalid_field("scene", "is required: 1 profile, 2 comment, 3 forum, 4 social log")),
            Some(v) => v.as_i64().and_then(Scene::from_number).ok_or_else(|| {
                ApiError::invalid_field("scene", "must be 1 (profile), 2 (comment), 3 (forum) or 4 (social log)")
            })?,
        };
        let extra = |field: &str| optional_str(body, field, field).map(|v| v.map(str::to_owned));
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
mod tests {
    use super::*;
    use serde_json::json;

    const OPENID: &str = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o";

    fn parse(v: Value) -> Result<TextCheck, ApiError> {
        TextCheck::parse(&v.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn a_comment_check_becomes_a_version_2_body() {
        let check = parse(json!({"content": "hello world", "openid": OPENID, "scene": 2, "appid": "wx1"})).unwrap();
        assert_eq!(check.wechat_body(), json!({"content": "hello world", "version": 2, "scene": 2, "openid": OPENID}));
        assert_eq!((check.openid(), check.scene()), (OPENID, Scene::Comment));
    }

    #[test]
    fn a_profile_check_may_carry_title_nickname_and_signature() {
        let v = json!({"content": "c", "openid": OPENID, "scene": 1, "title": "t", "nickname": "n", "signature": "s"});
        let body = parse(v).unwrap().wechat_body();
        assert_eq!(body, json!({"content": "c", "version": 2, "scene": 1, "openid": OPENID, "title": "t", "nickname": "n", "signature": "s"}));
    }

    #[test]
    fn a_signature_is_only_for_profiles() {
        let e = parse(json!({"content": "c", "openid": OPENID, "scene": 3, "signature": "s"})).unwrap_err();
        assert_eq!(e.message, "`signature` is only for scene 1 (profile)");
        assert!(parse(json!({"content": "c", "openid": OPENID, "scene": 3, "title": "t"})).is_ok());
    }

    #[test]
    fn content_is_1_to_2500_characters() {
        assert!(parse(json!({"content": "字".repeat(2500), "openid": OPENID, "scene": 4})).is_ok());
        let e = parse(json!({"content": "字".repeat(2501), "openid": OPENID, "scene": 4})).unwrap_err();
        assert_eq!(e.message, "`content` is longer than 2500 characters");
        assert_eq!(parse(json!({"content": "", "openid": OPENID, "scene": 4})).unwrap_err().message, "`content` must not be empty");
        assert_eq!(parse(json!({"openid": OPENID, "scene": 4})).unwrap_err().message, "`content` is required");
    }

    #[test]
    fn scene_is_required_and_between_1_and_4() {
        assert!(parse(json!({"content": "c", "openid": OPENID})).unwrap_err().message.starts_with("`scene` is required"));
        for bad in [json!(0), json!(5), json!("2"), json!(2.5), json!(-1)] {
            let e = parse(json!({"content": "c", "openid": OPENID, "scene": bad})).unwrap_err();
            assert!(e.message.starts_with("`scene` must be 1"), "{bad}");
        }
        for n in 1..=4 {
            assert_eq!(parse(json!({"content": "c", "openid": OPENID, "scene": n})).unwrap().scene().number(), n);
        }
    }

    #[test]
    fn openid_is_required() {
        assert_eq!(parse(json!({"content": "c", "scene": 2})).unwrap_err().message, "`openid` is required");
        assert!(parse(json!({"content": "c", "scene": 2, "openid": "bad id"})).is_err());
        assert!(parse(json!({"content": "c", "scene": 2, "openid": OPENID, "title": 5})).is_err());
    }
}
