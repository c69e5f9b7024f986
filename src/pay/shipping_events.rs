//! The `trade_manage_*` push events of the shipping service (wechat-pay.md §7.3), recorded
//! against their order in `pay_orders.shipping_events` (a JSON array). Run by the push ledger's
//! outbox after the push was answered; appending is a compare-and-set on the column and skips
//! an event already there (same `CreateTime` and `Event`), so running it twice records once.

use crate::pay::shipping::TradeManageEvent;
use crate::pay::store::{self, number, optional, text, OrderRow};
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::http::{now, Ctx};
use worker::Env;

/// Compare-and-set attempts against concurrent appends to the same order.
const ATTEMPTS: usize = 4;

/// Records one push (`payload`: the push message's JSON) of `appid` against its order. An event
/// that names no order of ours (`trade_manage_remind_access_api`, another merchant's) is logged
/// and dropped.
pub async fn record(env: &Env, appid: &str, payload: &str) -> ApiResult<()> {
    let Some(event) = TradeManageEvent::parse(payload) else {
        crate::log_warn!("a trade_manage push of app {appid} could not be read: not recorded");
        return Ok(());
    };
    let ctx = Ctx::new(env.clone());
    for _ in 0..ATTEMPTS {
        let Some(order) = find_order(&ctx, appid, &event).await? else {
            crate::log_info!("{} of app {appid} names no order here: not recorded", event.event);
            return Ok(());
        };
        if event.merchant_id.as_deref().is_some_and(|m| m != order.mchid) {
            crate::log_warn!("{} of app {appid} names another merchant than its order's: not recorded", event.event);
            return Ok(());
        }
        let Some(updated) = event.append_to(order.shipping_events.as_deref()) else {
            return Ok(());
        };
        let sql = "UPDATE pay_orders SET shipping_events = ?2, updated_at = ?3 \
                   WHERE out_trade_no = ?1 AND shipping_events IS ?4";
        let args = [text(&order.out_trade_no), text(&updated), number(now()), optional(order.shipping_events.as_deref())];
        if store::run(env, "order shipping event", sql, &args).await? == 1 {
            crate::log_info!("{} recorded against an order of app {appid}", event.event);
            return Ok(());
        }
    }
    Err(ApiError::unavailable("the order's shipping events kept changing; retry"))
}

/// The order an event names: by `merchant_trade_no` (our `out_trade_no`), else by
/// `transaction_id`; only this app's orders.
async fn find_order(ctx: &Ctx, appid: &str, event: &TradeManageEvent) -> ApiResult<Option<OrderRow>> {
    if let Some(no) = &event.out_trade_no {
        if let Some(order) = store::order(&ctx.env, no).await?.filter(|o| o.appid == appid) {
            return Ok(Some(order));
        }
    }
    if let Some(id) = &event.transaction_id {
        let sql = "SELECT * FROM pay_orders WHERE transaction_id = ?1 AND appid = ?2 LIMIT 1";
        let found: Vec<OrderRow> = store::rows(&ctx.env, "order by transaction", sql, &[text(id), text(appid)]).await?;
        return Ok(found.into_iter().next());
    }
    Ok(None)
}
