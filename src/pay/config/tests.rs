use super::*;
use std::collections::HashMap;

const KEY: &str = crate::pay::tests::keys::K_OFFICIAL;

const PUBLIC: &str = crate::pay::tests::keys::K_GO_PUBLIC;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    let mut map: HashMap<String, String> = [
        ("WECHATPAY_MCHID", "1900007291"),
        ("WECHATPAY_CERT_SERIAL", "408B07E79B8269FEC3D5D3E6AB8ED163A6A380DB"),
        ("WECHATPAY_PRIVATE_KEY", KEY),
        ("WECHATPAY_APIV3_KEY", "a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in pairs {
        if v.is_empty() {
            map.remove(*k);
        } else {
            map.insert(k.to_string(), v.to_string());
        }
    }
    map
}

fn read(pairs: &[(&str, &str)]) -> ApiResult<PayConfig> {
    let map = env(pairs);
    PayConfig::from_lookup(&|name| map.get(name).cloned(), "")
}

fn problem(pairs: &[(&str, &str)]) -> String {
    let e = read(pairs).expect_err("refused");
    assert_eq!(e.status, 500);
    e.message
}

#[test]
fn a_minimal_configuration_has_the_defaults() {
    let c = read(&[]).unwrap();
    assert_eq!(c.mchid, "1900007291");
    assert_eq!(c.api_base, DEFAULT_PAY_API_BASE);
    assert_eq!(c.timestamp_window, DEFAULT_PAY_WINDOW);
    assert_eq!(c.public_key, None);
    assert_eq!(&c.aes_key(), b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb");
    assert_eq!(c.private_key.expose().first(), Some(&0x30));
}

#[test]
fn secrets_never_show_in_debug_output() {
    let shown = format!("{:?}", read(&[]).unwrap());
    assert!(!shown.contains("a7cde1ZJ"));
    assert!(shown.contains("SecretBytes(32 bytes)"));
}

#[test]
fn every_problem_names_its_variable() {
    assert!(problem(&[("WECHATPAY_MCHID", "")]).starts_with("WECHATPAY_MCHID is not set"));
    assert!(problem(&[("WECHATPAY_MCHID", "mch-1")]).starts_with("WECHATPAY_MCHID"));
    assert!(problem(&[("WECHATPAY_CERT_SERIAL", "not hex")]).starts_with("WECHATPAY_CERT_SERIAL"));
    assert!(problem(&[("WECHATPAY_API_BASE", "api.mch.weixin.qq.com")]).starts_with("WECHATPAY_API_BASE"));
    assert!(problem(&[("WECHATPAY_PRIVATE_KEY", PUBLIC)]).starts_with("WECHATPAY_PRIVATE_KEY is a PEM \"PUBLIC KEY\" block"));
    assert!(problem(&[("WECHATPAY_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----\nAA==\n-----END RSA PRIVATE KEY-----")])
        .contains("openssl pkcs8 -topk8"));
    assert!(problem(&[("WECHATPAY_APIV3_KEY", "short")]).contains("found 5 bytes"));
    assert!(problem(&[("WECHATPAY_APIV3_KEY", "a7cde1ZJB1kG2e7VfTs3jQzaWizur8G 好")]).starts_with("WECHATPAY_APIV3_KEY"));
    assert!(problem(&[("WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_01")]).starts_with("WECHATPAY_PUBLIC_KEY is not set"));
    assert!(problem(&[("WECHATPAY_PUBLIC_KEY", PUBLIC)]).starts_with("WECHATPAY_PUBLIC_KEY_ID is not set"));
    assert!(problem(&[("WECHATPAY_PUBLIC_KEY", PUBLIC), ("WECHATPAY_PUBLIC_KEY_ID", "01")]).contains("PUB_KEY_ID_"));
    assert!(problem(&[("WECHATPAY_PUBLIC_KEY", KEY), ("WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_01")])
        .starts_with("WECHATPAY_PUBLIC_KEY is a PEM \"PRIVATE KEY\""));
    assert!(problem(&[("WECHATPAY_TIMESTAMP_WINDOW_SECONDS", "5m")]).starts_with("WECHATPAY_TIMESTAMP_WINDOW_SECONDS"));
}

#[test]
fn the_apiv3_key_is_taken_as_its_ascii_bytes_after_trimming_the_ends() {
    let c = read(&[("WECHATPAY_APIV3_KEY", " a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb\n")]).unwrap();
    assert_eq!(c.apiv3_key.expose(), b"a7cde1ZJB1kG2e7VfTs3jQzaWizur8Gb");
}

#[test]
fn public_key_mode_and_the_options_are_read() {
    let c = read(&[
        ("WECHATPAY_PUBLIC_KEY", PUBLIC),
        ("WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_0000000000000024101100397200000006"),
        ("WECHATPAY_API_BASE", "http://127.0.0.1:9000/"),
        ("WECHATPAY_CERT_SERIAL", "408b07e7"),
        ("WECHATPAY_TIMESTAMP_WINDOW_SECONDS", "0"),
    ])
    .unwrap();
    assert_eq!(c.public_key.as_ref().map(|k| k.id.as_str()), Some("PUB_KEY_ID_0000000000000024101100397200000006"));
    assert_eq!(c.api_base, "http://127.0.0.1:9000");
    assert_eq!(c.cert_serial, "408B07E7");
    assert_eq!(c.timestamp_window, 0);
}

#[test]
fn a_further_app_reads_its_suffixed_variables() {
    let map: HashMap<String, String> = env(&[]).into_iter().map(|(k, v)| (format!("{k}_wx2"), v)).collect();
    assert!(PayConfig::from_lookup(&|n| map.get(n).cloned(), "_wx2").is_ok());
    let e = PayConfig::from_lookup(&|n| map.get(n).cloned(), "").unwrap_err();
    assert!(e.message.starts_with("WECHATPAY_MCHID is not set"));
    let e = PayConfig::from_lookup(&|_| None, "_wx2").unwrap_err();
    assert!(e.message.starts_with("WECHATPAY_MCHID_wx2 is not set"));
}
