//! `wechat-sim`: runs the WeChat simulator on a local port until killed.

use std::net::IpAddr;
use std::process::ExitCode;
use wechat_sim::{AppConfig, Config, WhitelistScope};

const USAGE: &str = "\
usage: wechat-sim [--port P] [--host 127.0.0.1] [--app APPID:SECRET]... [--seed N]
                  [--token-lifetime SECS] [--stable-renew-window SECS] [--unionid] [--classic-daily-limit N]
                  [--force-refresh-grace SECS] [--freeze-clock] [--quiet]
                  [--relay-port P] [--ip-whitelist APPID[:secret|:all]]...

  --port P                  port to listen on; 0 (default) picks a free one
  --host H                  address to bind (default 127.0.0.1)
  --app APPID:SECRET        a mini-program to simulate (repeatable; the first is the default;
                            without any: wx0000000000000001:sim-secret-0001)
  --seed N                  seed every random value (tokens, codes, keys) for reproducible runs
  --token-lifetime SECS     access_token life, classic and stable (default 7200; must be
                            longer than the renewal window)
  --stable-renew-window S   a normal-mode stable_token call mints a new token once this little
                            life is left (default 300, WeChat's); shrink it to test short lives
  --unionid                 apps are bound to an Open Platform account: users get a unionid
  --classic-daily-limit N   cgi-bin/token calls per day before 45009 (default 2000)
  --force-refresh-grace S   how long a force-refreshed stable token keeps working (default 0)
  --freeze-clock            simulated time stands still; only /_sim/clock/advance moves it
  --quiet                   print only the listening line, no line per request
  --relay-port P            also listen on port P (0 picks a free one) of the same host: calls
                            arriving there count as coming from the relay's fixed, whitelisted IP
  --ip-whitelist APPID[:S]  the app has an IP whitelist (repeatable): calls not on the relay port
                            get 40164. S = secret (default: cgi-bin/token, stable_token,
                            jscode2session, as for a mini program) or all (every access_token call
                            too, as for an official account). Also POST /_sim/whitelist at run time

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
        return Err(format!("--ip-whitelist {unknown}: no such --app"));
    }
    let mut seen = std::collections::HashSet::new();
    if let Some(dup) = config.apps.iter().find(|a| !seen.insert(a.appid.clone())) {
        return Err(format!("--app {} given twice", dup.appid));
    }
    config.limits.validate()?;
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
        ])
        .unwrap()
        .unwrap();
        assert_eq!(config.port, 9000);
        assert_eq!(config.apps.len(), 2);
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
        assert!(parse(&["--frobnicate"]).is_err());
        assert!(parse(&["--relay-port", "x"]).is_err());
        assert!(parse(&["--ip-whitelist", "wx0000000000000001:tokens"]).is_err());
        assert!(parse(&["--ip-whitelist", ":all"]).is_err());
        assert!(parse(&["--app", "wx1:a", "--ip-whitelist", "wx2"]).is_err());
        assert!(parse(&["--ip-whitelist", "wx0000000000000001"]).is_ok());
        assert_eq!(parse(&["--help"]).unwrap().map(|_| ()), None);
    }
}
