//! `wechat-sim`: runs the WeChat simulator on a local port until killed.

use std::net::IpAddr;
use std::process::ExitCode;
use wechat_sim::{AppConfig, AppKind, Config, WhitelistScope};

const USAGE: &str = "\
usage: wechat-sim [--port P] [--host 127.0.0.1] [--app APPID:SECRET]... [--oa APPID:SECRET]... [--seed N]
                  [--token-lifetime SECS] [--stable-renew-window SECS] [--unionid] [--classic-daily-limit N]
                  [--force-refresh-grace SECS] [--freeze-clock] [--quiet]
                  [--relay-port P] [--ip-whitelist APPID[:secret|:all]]...
                  [--ticket-lifetime SECS] [--unionid-on-base]
                  [--mch MCHID:APIV3KEY:SERIAL [--mch-public-key FILE] [--mch-appid APPID]... [--mch-mode M]]...
                  [--pay-test-merchant] [--pay-time-scale F]

  --port P                  port to listen on; 0 (default) picks a free one
  --host H                  address to bind (default 127.0.0.1)
  --app APPID:SECRET        a mini-program to simulate (repeatable; the first --app or --oa is
                            the default app; without any: wx0000000000000001:sim-secret-0001)
  --oa APPID:SECRET         an official account (service account) to simulate (repeatable): web
                            authorization (/connect/oauth2/authorize, sns/oauth2/*, sns/userinfo,
                            sns/auth), JS-SDK tickets, template messages, bizsend, user/info, scan
                            events; a mini-program's credentials get 48001 there
  --seed N                  seed every random value (tokens, codes, keys) for reproducible runs
  --token-lifetime SECS     access_token life, classic and stable (default 7200; must be
                            longer than the renewal window)
  --stable-renew-window S   a normal-mode stable_token call mints a new token once this little
                            life is left (default 300, WeChat's); shrink it to test short lives
  --unionid                 apps (mini-programs and official accounts) are bound to one Open
                            Platform account: users get a unionid, the same person the same one
  --ticket-lifetime SECS    life of a JS-SDK ticket (jsapi, wx_card), independent of the token's
                            (default 7200; a superseded ticket works 300 s more)
  --unionid-on-base         sns/oauth2/access_token gives the unionid for snsapi_base too (seen in
                            captures; the doc says snsapi_userinfo only, the default)
  --classic-daily-limit N   cgi-bin/token calls per day before 45009 (default 2000)
  --force-refresh-grace S   how long a force-refreshed stable token keeps working (default 0)
  --freeze-clock            simulated time stands still; only /_sim/clock/advance moves it
  --quiet                   print only the listening line, no line per request
  --relay-port P            also listen on port P (0 picks a free one) of the same host: calls
                            arriving there count as coming from the relay's fixed, whitelisted IP
  --ip-whitelist APPID[:S]  the app has an IP whitelist (repeatable): calls not on the relay port
                            get 40164. S = secret (default: cgi-bin/token, stable_token,
                            jscode2session, sns/oauth2/access_token, as for a mini program) or all
                            (every access_token call too, as for an official account; user tokens
                            of sns/userinfo, sns/auth are not checked). Also POST /_sim/whitelist
  --mch MCHID:KEY:SERIAL    a WeChat Pay merchant (repeatable): its mchid, APIv3 key (32 chars)
                            and merchant API certificate serial; the three options below apply
                            to the --mch before them. Also POST /_sim/pay/merchants at run time
  --mch-public-key FILE     the merchant API certificate's public key (SPKI PEM), which checks
                            the merchant's Authorization and paySign (required for each --mch)
  --mch-appid APPID         an app bound to the merchant (repeatable; default: every app)
  --mch-mode M              how WeChat Pay signs for it: public_key (default; PUB_KEY_ID_…),
                            certificate (platform certificate, /v3/certificates) or migration
  --pay-test-merchant       adds merchant 1900007291 with the official doc's test key (wechat-pay.md
                            §9 K-official; keys in wechat_sim::pay::keys, GET /_sim/pay/keys)
  --pay-time-scale F        WeChat Pay notify retry intervals and refund delays times F (default 1;
                            0.001 runs the 24 h retry schedule in under 90 s)

Prints `wechat-sim listening on http://HOST:PORT` first, then with --relay-port
`wechat-sim relay port on http://HOST:PORT`, then one line per request (`via relay` marks a
call that came in on the relay port; /_sim/log gives each call its via: relay or direct).
Control API under /_sim/ (see the crate docs).";

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)) {
        Ok(Some(config)) => config,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("wechat-sim: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let quiet = !config.print_log;
    let wechat_sim::Running { addr, relay_addr, handle } = match wechat_sim::start(config).await {
        Ok(started) => started,
        Err(e) => {
            eprintln!("wechat-sim: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    if quiet {
        println!("{}", wechat_sim::listening_lines(addr, relay_addr));
    }
    match handle.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("wechat-sim: server task failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `Ok(None)` means `--help`.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Option<Config>, String> {
    let mut config = Config { print_log: true, apps: Vec::new(), ..Config::default() };
    let mut unionid = false;
    let mut args = args.peekable();
    while let Some(flag) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--port" => config.port = number(&value("--port")?, "--port")?,
            "--host" => {
                let host = value("--host")?;
                config.host = host.parse::<IpAddr>().map_err(|_| format!("--host: not an IP address: {host}"))?;
            }
            "--app" => config.apps.push(AppConfig::parse(&value("--app")?)?),
            "--oa" => config.apps.push(AppConfig::parse_as(&value("--oa")?, AppKind::OfficialAccount)?),
            "--ticket-lifetime" => config.limits.ticket_lifetime = number(&value("--ticket-lifetime")?, "--ticket-lifetime")?,
            "--unionid-on-base" => config.limits.oauth_unionid_on_base = true,
            "--seed" => config.seed = Some(number(&value("--seed")?, "--seed")?),
            "--token-lifetime" => config.limits.token_lifetime = number(&value("--token-lifetime")?, "--token-lifetime")?,
            "--stable-renew-window" => {
                config.limits.stable_renew_window = number(&value("--stable-renew-window")?, "--stable-renew-window")?
            }
            "--classic-daily-limit" => {
                config.limits.classic_daily = number(&value("--classic-daily-limit")?, "--classic-daily-limit")?
            }
            "--force-refresh-grace" => {
                config.limits.stable_force_grace = number(&value("--force-refresh-grace")?, "--force-refresh-grace")?
            }
            "--unionid" => unionid = true,
            "--quiet" => config.print_log = false,
            "--freeze-clock" => config.freeze_clock = true,
            "--relay-port" => config.relay_port = Some(number(&value("--relay-port")?, "--relay-port")?),
            "--ip-whitelist" => {
                let spec = value("--ip-whitelist")?;
                let (appid, scope) = spec.split_once(':').unwrap_or((&spec, "secret"));
                let scope = WhitelistScope::parse(scope).map_err(|e| format!("--ip-whitelist: {e}"))?;
                if appid.is_empty() {
                    return Err(format!("--ip-whitelist expects APPID[:secret|:all], got {spec:?}"));
                }
                config.ip_whitelist.insert(appid.to_string(), scope);
            }
            "--mch" => config.pay.merchants.push(wechat_sim::MerchantConfig::parse(&value("--mch")?)?),
            "--mch-public-key" | "--mch-appid" | "--mch-mode" => {
                let given = value(&flag)?;
                let Some(merchant) = config.pay.merchants.last_mut() else {
                    return Err(format!("{flag} needs a --mch before it"));
                };
                match flag.as_str() {
                    "--mch-public-key" => {
                        merchant.public_key_pem =
                            std::fs::read_to_string(&given).map_err(|e| format!("--mch-public-key {given}: {e}"))?
                    }
                    "--mch-appid" => merchant.appids.push(given),
                    _ => merchant.mode = wechat_sim::PayKeyMode::parse(&given).map_err(|e| format!("--mch-mode: {e}"))?,
                }
            }
            "--pay-test-merchant" => config.pay.merchants.push(wechat_sim::MerchantConfig::test_merchant()),
            "--pay-time-scale" => {
                let scale: f64 = number(&value("--pay-time-scale")?, "--pay-time-scale")?;
                if !(scale > 0.0 && scale <= 10.0) {
                    return Err("--pay-time-scale must be in (0, 10]".into());
                }
                config.pay.time_scale = Some(scale);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if config.apps.is_empty() {
        config.apps = Config::default().apps;
    }
    for app in &mut config.apps {
        app.unionid = unionid;
    }
    if let Some(unknown) = config.ip_whitelist.keys().find(|id| !config.apps.iter().any(|a| &a.appid == *id)) {
        return Err(format!("--ip-whitelist {unknown}: no such --app or --oa"));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = config.apps.iter().find(|a| !seen.insert(a.appid.clone())) {
        return Err(format!("app {} given twice (--app, --oa)", dup.appid));
    }
    config.limits.validate()?;
    for merchant in &config.pay.merchants {
        merchant.validate().map_err(|e| format!("--mch: {e}"))?;
    }
    Ok(Some(config))
}

fn number<T: std::str::FromStr>(text: &str, name: &str) -> Result<T, String> {
    text.parse().map_err(|_| format!("{name}: not a valid number: {text}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Option<Config>, String> {
        parse_args(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn no_arguments_give_the_default_app_on_a_free_port() {
        let config = parse(&[]).unwrap().unwrap();
        assert_eq!(config.port, 0);
        assert_eq!(config.apps, vec![AppConfig::new("wx0000000000000001", "sim-secret-0001")]);
        assert!(config.print_log);
    }

    #[test]
    fn every_option_is_read() {
        let config = parse(&[
            "--port",
            "9000",
            "--host",
            "0.0.0.0",
            "--app",
            "wxa:sa",
            "--app",
            "wxb:sb",
            "--seed",
            "7",
            "--token-lifetime",
            "400",
            "--unionid",
            "--classic-daily-limit",
            "3",
            "--force-refresh-grace",
            "5",
            "--quiet",
            "--freeze-clock",
            "--relay-port",
            "0",
            "--ip-whitelist",
            "wxa",
            "--ip-whitelist",
            "wxb:all",
            "--oa",
            "wxo:so",
            "--ticket-lifetime",
            "600",
            "--unionid-on-base",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(config.port, 9000);
        assert_eq!(config.apps.len(), 3);
        assert_eq!(config.apps[2], AppConfig { unionid: true, ..AppConfig::official_account("wxo", "so") });
        assert_eq!(config.limits.ticket_lifetime, 600);
        assert!(config.limits.oauth_unionid_on_base);
        assert!(config.apps.iter().all(|a| a.unionid));
        assert_eq!(config.seed, Some(7));
        assert_eq!(config.limits.token_lifetime, 400);
        assert_eq!(config.limits.classic_daily, 3);
        assert_eq!(config.limits.stable_force_grace, 5);
        assert!(!config.print_log);
        assert!(config.freeze_clock);
        assert_eq!(config.relay_port, Some(0));
        assert_eq!(config.ip_whitelist.get("wxa"), Some(&WhitelistScope::Secret));
        assert_eq!(config.ip_whitelist.get("wxb"), Some(&WhitelistScope::All));
    }

    #[test]
    fn bad_arguments_are_reported() {
        assert!(parse(&["--port"]).is_err());
        assert!(parse(&["--port", "x"]).is_err());
        assert!(parse(&["--app", "nosecret"]).is_err());
        assert!(parse(&["--token-lifetime", "300"]).is_err());
        assert!(parse(&["--app", "wx1:a", "--app", "wx1:b"]).is_err());
        assert!(parse(&["--app", "wx1:a", "--oa", "wx1:b"]).is_err());
        assert!(parse(&["--oa", "wxo"]).is_err());
        assert!(parse(&["--ticket-lifetime", "-1"]).is_err());
        assert!(parse(&["--frobnicate"]).is_err());
        assert!(parse(&["--relay-port", "x"]).is_err());
        assert!(parse(&["--ip-whitelist", "wx0000000000000001:tokens"]).is_err());
        assert!(parse(&["--ip-whitelist", ":all"]).is_err());
        assert!(parse(&["--app", "wx1:a", "--ip-whitelist", "wx2"]).is_err());
        assert!(parse(&["--ip-whitelist", "wx0000000000000001"]).is_ok());
        assert_eq!(parse(&["--help"]).unwrap().map(|_| ()), None);
    }

    #[test]
    fn wechat_pay_merchants_are_read_with_their_options() {
        let dir = std::env::temp_dir().join(format!("wechat-sim-mch-{}.pem", std::process::id()));
        std::fs::write(&dir, wechat_sim::pay::keys::TEST_MERCHANT_PUBLIC_KEY_PEM).unwrap();
        let key = dir.to_str().unwrap();
        let spec = "1900000109:simAPIv3Key0123456789abcdefABCDE:408b07e7";
        let config =
            parse(&["--mch", spec, "--mch-public-key", key, "--mch-appid", "wx0000000000000001", "--mch-mode", "migration"])
                .unwrap()
                .unwrap();
        let merchant = &config.pay.merchants[0];
        assert_eq!((merchant.mchid.as_str(), merchant.serial.as_str()), ("1900000109", "408B07E7"));
        assert_eq!(merchant.appids, vec!["wx0000000000000001".to_string()]);
        assert_eq!(merchant.mode, wechat_sim::PayKeyMode::Migration);
        let test = parse(&["--pay-test-merchant", "--pay-time-scale", "0.001"]).unwrap().unwrap();
        assert_eq!(test.pay.merchants[0].mchid, "1900007291");
        assert_eq!(test.pay.time_scale, Some(0.001));
        assert!(parse(&["--mch", spec]).unwrap_err().contains("--mch-public-key"), "a merchant needs its public key");
        assert!(parse(&["--mch-appid", "wx1"]).is_err(), "options need a --mch before them");
        assert!(parse(&["--mch", spec, "--mch-public-key", key, "--mch-mode", "both"]).is_err());
        assert!(parse(&["--pay-time-scale", "0"]).is_err());
        let _ = std::fs::remove_file(&dir);
    }
}
