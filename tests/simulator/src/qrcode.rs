//! Mini-program codes (wechat-api.md §7, §15.8): `wxa/getwxacodeunlimit`, `wxa/getwxacode`,
//! `cgi-bin/wxaapp/createwxaqrcode`. Routed already; not simulated yet (501, logged).

use crate::state::Sim;
use crate::wx::{Call, Reply, WxErr};

pub fn not_yet(_sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    Ok(crate::wx::not_simulated(call))
}
