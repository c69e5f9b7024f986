//! Random identifiers shaped like WeChat's own (tokens, codes, openids, session keys, rids),
//! drawn from the simulator's seeded generator so a seeded run is reproducible.

use base64::Engine;
use rand::Rng;

const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The number before the `_` of every token we mint (real ones read `63_...`, `86_...`).
pub const TOKEN_GENERATION: &str = "92";
const TOKEN_BODY_LEN: usize = 136;

fn pick(rng: &mut impl Rng, alphabet: &[u8], len: usize) -> String {
    (0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect()
}

/// `92_` + 136 characters of `[A-Za-z0-9_-]`.
pub fn access_token(rng: &mut impl Rng) -> String {
    format!("{TOKEN_GENERATION}_{}", pick(rng, URL_SAFE, TOKEN_BODY_LEN))
}

/// Whether a string could be an access_token at all. Anything else is "garbage" (40014);
/// a well-shaped token we never issued is 40001.
pub fn looks_like_access_token(s: &str) -> bool {
    let Some((generation, body)) = s.split_once('_') else {
        return false;
    };
    !generation.is_empty()
        && generation.len() <= 4
        && generation.bytes().all(|b| b.is_ascii_digit())
        && (64..=600).contains(&body.len())
        && body.bytes().all(|b| URL_SAFE.contains(&b))
}

/// A `wx.login` / getPhoneNumber code: 32 alphanumerics, like real ones.
pub fn code(rng: &mut impl Rng) -> String {
    pick(rng, ALNUM, 32)
}

/// 28 characters: `o` + 27 of `[A-Za-z0-9_-]` (openids and unionids share the shape).
pub fn openid(rng: &mut impl Rng) -> String {
    format!("o{}", pick(rng, URL_SAFE, 27))
}

/// Base64 of 16 random bytes (24 characters).
pub fn session_key(rng: &mut impl Rng) -> String {
    base64::engine::general_purpose::STANDARD.encode(rng.gen::<[u8; 16]>())
}

/// The request id WeChat appends to every errmsg: three groups of 8 hex digits.
pub fn rid(rng: &mut impl Rng) -> String {
    let [a, b, c]: [u32; 3] = rng.gen();
    format!("{a:08x}-{b:08x}-{c:08x}")
}

/// First 8 characters and an ellipsis: enough to tell tokens apart in a log line.
pub fn short(secret: &str) -> String {
    let head: String = secret.chars().take(8).collect();
    format!("{head}…")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn minted_tokens_look_like_tokens_and_garbage_does_not() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let token = access_token(&mut rng);
        assert!(token.len() > 130);
        assert!(looks_like_access_token(&token));
        for garbage in ["", "abc", "92_short", "x_".repeat(40).as_str(), &format!("{token}!")] {
            assert!(!looks_like_access_token(garbage), "{garbage}");
        }
    }

    #[test]
    fn identifiers_have_wechat_shapes() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(2);
        let openid = openid(&mut rng);
        assert_eq!(openid.len(), 28);
        assert!(openid.starts_with('o'));
        assert_eq!(session_key(&mut rng).len(), 24);
        let rid = rid(&mut rng);
        assert_eq!(rid.len(), 26);
        assert_eq!(rid.matches('-').count(), 2);
        assert_eq!(short("92_abcdefghijk"), "92_abcde…");
    }
}
