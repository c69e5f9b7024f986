//! Tests of [`super::Config`]: defaults, per-app secrets, and errors that name the variable.

use super::*;
use std::collections::HashMap;

fn config(vars: &[(&str, &str)]) -> Config {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(&|name| map.get(name).cloned())
}

#[test]
fn defaults_are_safe_when_nothing_is_set() {
    let c = config(&[]);
    assert_eq!(c.api_base, DEFAULT_API_BASE);
    assert_eq!(c.mp_base, DEFAULT_MP_BASE);
    assert_eq!(c.token_api(), Ok(TokenApi::Stable));
    assert_eq!(c.session_ttl(), Ok(DEFAULT_SESSION_TTL));
    assert_eq!(c.push_window(), Ok(300));
    assert_eq!(c.cs_transfer(), Ok(true));
    assert_eq!(c.log_every_push(), Ok(false));
    assert_eq!(c.cs_greeting, DEFAULT_CS_GREETING);
}

#[test]
fn a_missing_appid_is_reported_by_name_only_when_an_app_is_needed() {
    let c = config(&[]);
    let err = c.app(None).unwrap_err();
    assert_eq!(err.status, 500);
    assert!(err.message.contains("WECHAT_APPID"), "{}", err.message);
    assert!(c.internal_api_key().unwrap_err().message.contains("INTERNAL_API_KEY"));
}

#[test]
fn the_default_app_takes_its_secrets_from_the_plain_names() {
    let c = config(&[("WECHAT_APPID", "wx0000000000000001"), ("WECHAT_APP_SECRET", "s3cret")]);
    let app = c.app(None).unwrap();
    assert_eq!(app.appid, "wx0000000000000001");
    assert_eq!(app.secret(), Ok("s3cret"));
    let err = app.push_token().unwrap_err();
    assert!(err.message.starts_with("WECHAT_PUSH_TOKEN is not set"));
}

#[test]
fn further_apps_take_secrets_suffixed_with_their_appid() {
    let c = config(&[
        ("WECHAT_APPID", "wxaaaaaaaaaaaaaaaa"),
        ("WECHAT_APPS", r#"["wxbbbbbbbbbbbbbbbb", {"appid": "wxcccccccccccccccc", "app_type": "official_account"}]"#),
        ("WECHAT_APP_SECRET_wxbbbbbbbbbbbbbbbb", "b-secret"),
    ]);
    assert_eq!(c.app(Some("wxbbbbbbbbbbbbbbbb")).unwrap().secret(), Ok("b-secret"));
    let oa = c.app(Some("wxcccccccccccccccc")).unwrap();
    assert_eq!(oa.app_type, AppType::OfficialAccount);
    assert!(oa.secret().unwrap_err().message.contains("WECHAT_APP_SECRET_wxcccccccccccccccc"));
    assert_eq!(c.app_ids().len(), 3);
}

#[test]
fn an_unknown_appid_is_not_found() {
    let c = config(&[("WECHAT_APPID", "wxaaaaaaaaaaaaaaaa")]);
    assert_eq!(c.app(Some("wxdddddddddddddddd")).unwrap_err().status, 404);
}

#[test]
fn malformed_values_are_errors_that_name_the_variable() {
    let c = config(&[
        ("WECHAT_APPID", "wx0000000000000001"),
        ("WECHAT_APPS", "{not json"),
        ("SESSION_TTL_SECONDS", "a week"),
        ("WECHAT_TOKEN_API", "fast"),
        ("CS_TRANSFER", "maybe"),
        ("LOG_EVERY_PUSH", "loud"),
    ]);
    assert!(c.session_ttl().unwrap_err().message.contains("SESSION_TTL_SECONDS"));
    assert!(c.token_api().unwrap_err().message.contains("WECHAT_TOKEN_API"));
    assert!(c.cs_transfer().unwrap_err().message.contains("CS_TRANSFER"));
    assert!(c.log_every_push().unwrap_err().message.contains("LOG_EVERY_PUSH"));
    assert!(c.app(Some("wxbbbbbbbbbbbbbbbb")).unwrap_err().message.contains("WECHAT_APPS"));
    // The default app still works: one bad variable does not take the rest down.
    assert!(c.app(None).is_ok());
    assert_eq!(c.problems().len(), 5);
}

#[test]
fn secrets_never_show_in_debug_output() {
    let c = config(&[
        ("WECHAT_APPID", "wx0000000000000001"),
        ("WECHAT_APP_SECRET", "topsecretvalue"),
        ("INTERNAL_API_KEY", "k-123456"),
    ]);
    let shown = format!("{c:?}");
    assert!(!shown.contains("topsecretvalue") && !shown.contains("k-123456"), "{shown}");
}

#[test]
fn base_urls_lose_their_trailing_slash() {
    let c = config(&[("WECHAT_API_BASE", "http://127.0.0.1:9000/")]);
    assert_eq!(c.api_base, "http://127.0.0.1:9000");
}

#[test]
fn a_business_webhook_needs_its_signing_secret() {
    let c = config(&[("WECHAT_APPID", "wx0000000000000001"), ("BUSINESS_WEBHOOK_URL", "https://example.com/hook")]);
    assert!(c.business_webhook().unwrap_err().message.contains("BUSINESS_WEBHOOK_SECRET"));
    let c = config(&[("BUSINESS_WEBHOOK_URL", "https://example.com/hook"), ("BUSINESS_WEBHOOK_SECRET", "k")]);
    assert_eq!(c.business_webhook().unwrap(), Some(("https://example.com/hook".into(), "k".into())));
    let c = config(&[("CS_KEYWORDS", "[oops")]);
    assert!(c.problems().iter().any(|p| p.contains("CS_KEYWORDS")));
}

#[test]
fn the_push_mode_is_safe_by_default_when_a_key_is_set() {
    let key = ("WECHAT_ENCODING_AES_KEY", "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG");
    let app = |vars: &[(&str, &str)]| config(vars).app(None).unwrap();
    let id = ("WECHAT_APPID", "wx0000000000000001");
    assert_eq!(app(&[id, key]).push_mode().unwrap(), PushMode::Safe);
    assert_eq!(app(&[id]).push_mode().unwrap(), PushMode::Plain);
    assert_eq!(app(&[id, key, ("WECHAT_PUSH_MODE", "compatible")]).push_mode().unwrap(), PushMode::Compatible);
    assert_eq!(app(&[id, key, ("WECHAT_PUSH_MODE", "plain")]).push_mode().unwrap(), PushMode::Plain);
    let e = app(&[id, ("WECHAT_PUSH_MODE", "safe")]).push_mode().unwrap_err();
    assert!(e.message.starts_with("WECHAT_ENCODING_AES_KEY is not set"), "{}", e.message);
    let e = app(&[id, key, ("WECHAT_PUSH_MODE", "aes")]).push_mode().unwrap_err();
    assert!(e.message.starts_with("WECHAT_PUSH_MODE must be"), "{}", e.message);
    let c = config(&[id, key, ("WECHAT_PUSH_MODE", "aes")]);
    assert!(c.problems().iter().any(|p| p.starts_with("WECHAT_PUSH_MODE")));
}

#[test]
fn a_relay_takes_the_secret_calls_or_every_call() {
    let id = ("WECHAT_APPID", "wx0000000000000001");
    let base = "https://api.weixin.qq.com";
    let app = |vars: &[(&str, &str)]| config(vars).app(None).unwrap();
    let direct = app(&[id]);
    assert_eq!(direct.relay().unwrap(), None);
    assert_eq!(direct.upstream(base, CallKind::Secret).unwrap().0, base);

    let relayed = app(&[id, ("WECHAT_RELAY_URL", "https://relay.example.com/"), ("WECHAT_RELAY_KEY", "k")]);
    let (to, relay) = relayed.upstream(base, CallKind::Secret).unwrap();
    assert_eq!((to.as_str(), relay.map(|r| r.calls)), ("https://relay.example.com", Some(RelayCalls::Secret)));
    assert_eq!(relayed.upstream(base, CallKind::Api).unwrap().0, base, "api calls go direct by default");
    let all =
        app(&[id, ("WECHAT_RELAY_URL", "https://relay.example.com"), ("WECHAT_RELAY_KEY", "k"), ("WECHAT_RELAY_CALLS", "all")]);
    assert_eq!(all.upstream(base, CallKind::Api).unwrap().0, "https://relay.example.com");
    assert!(!format!("{:?}", all.relay().unwrap()).contains("\"k\""), "the key is not printed");

    let e = app(&[id, ("WECHAT_RELAY_URL", "https://relay.example.com")]).relay().unwrap_err();
    assert!(e.message.starts_with("WECHAT_RELAY_KEY is not set"), "{}", e.message);
    let e = app(&[id, ("WECHAT_RELAY_URL", "relay.example.com"), ("WECHAT_RELAY_KEY", "k")]).relay().unwrap_err();
    assert!(e.message.starts_with("WECHAT_RELAY_URL must be"), "{}", e.message);
}

#[test]
fn a_further_app_names_its_relay_in_its_entry() {
    let c = config(&[
        ("WECHAT_APPID", "wx0000000000000001"),
        ("WECHAT_APPS", r#"[{"appid": "wx0000000000000002", "relay": "https://r.example.com", "relay_calls": "all"}]"#),
        ("WECHAT_RELAY_KEY_wx0000000000000002", "k2"),
    ]);
    let b = c.app(Some("wx0000000000000002")).unwrap();
    let relay = b.relay().unwrap().unwrap();
    assert_eq!((relay.url.as_str(), relay.key.expose(), relay.calls), ("https://r.example.com", "k2", RelayCalls::All));
    assert_eq!(c.app(None).unwrap().relay().unwrap(), None, "the default app goes direct");
}
