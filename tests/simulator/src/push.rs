//! Message push to the worker's webhook (wechat-api.md §8, §15.15–19) and `cgi-bin/media/upload`
//! (§9.3). Routed already; not simulated yet (501, logged). A delivered user message or
//! enter-session event must call `custom_message::open_window`, as `/_sim/user_action` does.

use crate::state::Sim;
use crate::wx::{Call, Reply, WxErr};

pub fn not_yet(_sim: &Sim, call: &Call) -> Result<Reply, WxErr> {
    Ok(crate::wx::not_simulated(call))
}
