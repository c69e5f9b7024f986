//! The `config` driver: `Config::from_lookup` with an arbitrary value (or none) for every
//! variable it reads, then every accessor. The invariant: no secret value shows anywhere, which
//! is checked differentially (the same configuration with every secret replaced must print and
//! report exactly the same).

use super::input::{fields, join_fields};
use std::collections::HashMap;
use wechat_edge::shared::config::{valid_appid, AppConfig, Config};

/// Every variable `from_lookup` reads, in input order; per-app secrets of further apps are
/// derived from the base name's value (`WECHAT_APP_SECRET_<appid>` = its value + `_<appid>`).
const NAMES: [&str; 19] = [
    "WECHAT_APPID",
    "WECHAT_APPS",
    "WECHAT_APP_TYPE",
    "WECHAT_APP_SECRET",
    "WECHAT_PUSH_TOKEN",
    "WECHAT_ENCODING_AES_KEY",
    "INTERNAL_API_KEY",
    "BUSINESS_WEBHOOK_URL",
    "BUSINESS_WEBHOOK_SECRET",
    "CS_KEYWORDS",
    "CS_GREETING",
    "CS_TRANSFER",
    "WECHAT_TOKEN_API",
    "SESSION_TTL_SECONDS",
    "PUSH_TIMESTAMP_WINDOW_SECONDS",
    "TOKEN_REFRESH_MARGIN_SECONDS",
    "TOKEN_SAFETY_MARGIN_SECONDS",
    "WECHAT_API_BASE",
    "WECHAT_MP_BASE",
];

/// The variables whose values are secrets.
const SECRETS: [&str; 5] =
    ["WECHAT_APP_SECRET", "WECHAT_PUSH_TOKEN", "WECHAT_ENCODING_AES_KEY", "INTERNAL_API_KEY", "BUSINESS_WEBHOOK_SECRET"];

/// A field of exactly this byte leaves its variable unset (an empty field sets it to "").
const UNSET: &[u8] = &[0xFF];

/// Input: one value per name in [`NAMES`], separated by NUL.
pub fn config(data: &[u8]) {
    let mut vars: HashMap<&str, String> = HashMap::new();
    for (name, value) in NAMES.iter().zip(fields(data, NAMES.len())) {
        if value != UNSET {
            vars.insert(name, String::from_utf8_lossy(value).into_owned());
        }
    }
    let real = build(&vars);
    let mut redacted_vars = vars.clone();
    for name in SECRETS {
        if let Some(value) = redacted_vars.get_mut(name).filter(|v| !v.is_empty()) {
            *value = "<redacted>".to_owned();
        }
    }
    let redacted = build(&redacted_vars);
    assert_eq!(report(&real), report(&redacted), "a secret's value changes what the configuration shows");

    assert!(!real.api_base.is_empty() && !real.api_base.ends_with('/'), "api_base {:?}", real.api_base);
    assert!(!real.mp_base.is_empty() && !real.mp_base.ends_with('/'), "mp_base {:?}", real.mp_base);
    if let Ok(ttl) = real.session_ttl() {
        assert!(ttl >= 60);
    }
    if let Ok(Some((url, _))) = real.business_webhook() {
        assert!(url.starts_with("https://") || url.starts_with("http://"));
    }
    for id in real.app_ids() {
        assert!(valid_appid(&id), "app id {id:?} accepted");
        match real.app(Some(&id)) {
            Ok(app) => assert_eq!(app.appid, id),
            Err(e) => panic!("listed app {id} cannot be found: {e:?}"),
        }
    }
}

fn build(vars: &HashMap<&str, String>) -> Config {
    Config::from_lookup(&|name: &str| {
        if let Some(value) = vars.get(name) {
            return Some(value.clone());
        }
        // `WECHAT_APP_SECRET_<appid>` and friends.
        SECRETS.iter().find_map(|base| {
            let suffix = name.strip_prefix(base)?.strip_prefix('_')?;
            vars.get(base).map(|value| format!("{value}_{suffix}"))
        })
    })
}

/// Everything a configuration shows: its Debug form, its problems, every accessor's result and
/// every error message, with secret values replaced by whether they are set.
fn report(config: &Config) -> String {
    let mut out = format!("{config:?}\n{:?}\n", config.problems());
    let show = |r: Result<&str, wechat_edge::shared::error::ApiError>| match r {
        Ok(value) => format!("set({})", value.is_empty()),
        Err(e) => format!("{e:?}"),
    };
    out.push_str(&show(config.internal_api_key()));
    out.push_str(&format!("{:?}", config.business_webhook().map(|w| w.map(|(url, _)| url))));
    let mut apps: Vec<Result<AppConfig, _>> = vec![config.app(None), config.app(Some("wxdddddddddddddddd"))];
    apps.extend(config.app_ids().iter().map(|id| config.app(Some(id))));
    for app in apps {
        match app {
            Ok(app) => {
                out.push_str(&format!("{app:?} {} {} ", show(app.secret()), show(app.push_token())));
                out.push_str(&format!("{:?} {} ", app.aes_key().is_some(), app.aes_key_var()));
                out.push_str(&format!(
                    "{:?}\n",
                    wechat_edge::push::rules::Rules::for_app(config, &app)
                        .map(|r| (r.greeting, r.transfer, r.keywords, r.forward))
                ));
            }
            Err(e) => out.push_str(&format!("{e:?}\n")),
        }
    }
    out
}

pub fn config_seeds() -> Vec<Vec<u8>> {
    let full: [&[u8]; 19] = [
        b"wxaaaaaaaaaaaaaaaa",
        br#"["wxbbbbbbbbbbbbbbbb", {"appid": "wxcccccccccccccccc", "app_type": "official_account"}]"#,
        b"miniprogram",
        b"app-secret",
        b"push-token",
        b"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        b"internal-key",
        b"https://example.com/hook/",
        b"hook-secret",
        br#"[{"match": "hi", "reply": "hello", "exact": true}]"#,
        "您好".as_bytes(),
        b"off",
        b"classic",
        b"3600",
        b"0",
        b"600",
        b"120",
        b"http://127.0.0.1:9000/",
        b" ",
    ];
    let unset: Vec<&[u8]> = vec![UNSET; NAMES.len()];
    let mut bad = full;
    bad[0] = b"wx";
    bad[1] = b"[1]";
    bad[7] = b"ftp://x";
    bad[11] = b"maybe";
    bad[13] = b"59";
    vec![join_fields(&full), join_fields(&unset), join_fields(&bad), Vec::new()]
}
