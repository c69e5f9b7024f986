//! The two cheapest token-checked endpoints, used by tests as a plain round trip:
//! `cgi-bin/get_api_domain_ip` (WeChat API servers) and `cgi-bin/getcallbackip` (push
//! servers). Both answer `{"ip_list":[...]}` like the real ones.

use crate::state::Sim;
use crate::tokens::authorize;
use crate::wx::{Call, Reply, WxErr};
use serde_json::json;

/// Documentation-range addresses (RFC 5737): plausible, and never anyone's real server.
const API_DOMAIN_IPS: &[&str] = &["192.0.2.10", "192.0.2.11", "198.51.100.20", "203.0.113.30"];
const CALLBACK_IPS: &[&str] = &["203.0.113.100", "203.0.113.101", "198.51.100.0/24"];

/// `GET /cgi-bin/get_api_domain_ip?access_token=`
pub fn api_domain_ip(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    ip_list(sim, call, API_DOMAIN_IPS)
}

/// `GET /cgi-bin/getcallbackip?access_token=`
pub fn callback_ip(sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    ip_list(sim, call, CALLBACK_IPS)
}

fn ip_list(sim: &Sim, call: &Call, ips: &[&str]) -> Result<Reply, WxErr> {
    let now = sim.clock.now();
    authorize(&sim.lock(), call, now)?;
    Ok(Reply::json(json!({"ip_list": ips})))
}
