//! WeChat Pay's routes: orders (your servers set the amount; the mini program only names a
//! product of `PAY_CATALOGUE`), the `wx.requestPayment` parameters, the notify webhook
//! (verified, decrypted, checked, applied once, forwarded once after the answer), order
//! queries and closes, and the reconciliation pass.

use crate::login::handler::{record_sighting, session};
use crate::pay::catalogue::Catalogue;
use crate::pay::client::{merchant, Merchant};
use crate::pay::model::Transaction;
use crate::pay::notify::{check_payment, Event, Expected, Notify, NotifyError, NotifyReply, MAX_NOTIFY_BODY};
use crate::pay::order::{close_request, query_by_out_trade_no_path, JsapiOrder, OrderInput, PrepayAnswer};
use crate::pay::sign::{nonce_from, pay_sign_message, PaymentParams};
use crate::pay::state::next_reconcile_at;
use crate::pay::store::{self, OrderRow};
use crate::pay::verify::SignedHeaders;
use crate::shared::config::AppConfig;
use crate::shared::error::{ApiError, ApiResult};
use crate::shared::fields::{opt_str, required_str, Body};
use crate::shared::http::{body_bytes, header, json, json_body, query, random_bytes, require_internal_key, Ctx};
use crate::shared::limits::{self, Limit};
use crate::shared::stats::{self, counter};
use crate::users::directory::Source;
use serde_json::{json, Value};
use worker::{Method, Request, Response};

const MAX_JSON: usize = 16 * 1024;
/// How long the forward's exactly-once claim lives (the push ledger's claims: a day).
const FORWARD_CLAIM_SECS: u64 = 24 * 3600;

/// Claims a forward to the business webhook exactly once under `key` and sends it after the
/// answer, through the push ledger's durable outbox: `(appid, key, payload)`. The router
/// passes it in (the ledger belongs to the push capability).
pub type Forward<'a> = &'a dyn Fn(String, String, String) -> futures_util::future::LocalBoxFuture<'static, ApiResult<()>>;
/// A prepay_id lives two hours; a retried create within most of that reuses it.
const PREPAY_REUSE_SECS: u64 = 6600;

fn app_of(ctx: &Ctx, appid: Option<&str>) -> ApiResult<AppConfig> {
    let app = ctx.config.app(appid)?;
    if app.is_official_account() {
        return Err(ApiError::bad_request(
            "not_a_mini_program",
            format!("app {} is an official account; JSAPI orders here are for mini programs", app.appid),
        ));
    }
    Ok(app)
}

/// Where WeChat Pay sends this app's notifies: `WECHATPAY_NOTIFY_URL`, else this worker's own
/// `/wechat/pay/notify/<appid>` as the request reached it.
pub(crate) fn notify_url(ctx: &Ctx, req: &Request, app: &AppConfig) -> ApiResult<String> {
    if let Some(url) = ctx.config.pay_var(&app.var("WECHATPAY_NOTIFY_URL")).filter(|u| !u.trim().is_empty()) {
        return Ok(url.trim().to_owned());
    }
    let origin = crate::shared::origins::origin_of(&req.inner().url())
        .ok_or_else(|| ApiError::internal("the request URL has no origin"))?;
    Ok(format!("{origin}/wechat/pay/notify/{}", app.appid))
}

/// `wx.requestPayment`'s parameters for a prepay_id, signed now.
async fn payment(ctx: &Ctx, m: &Merchant, prepay_id: &str) -> ApiResult<PaymentParams> {
    let nonce = nonce_from(&random_bytes::<24>()?);
    let pay_sign = m.sign(&pay_sign_message(&m.appid, ctx.now, &nonce, prepay_id)).await?;
    Ok(PaymentParams::new(ctx.now, &nonce, prepay_id, pay_sign))
}

fn reconcile_after(ctx: &Ctx, app: &AppConfig) -> u64 {
    ctx.config
        .pay_var(&app.var("PAY_RECONCILE_AFTER_SECONDS"))
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(crate::pay::state::RECONCILE_FIRST_AFTER)
}

struct NewOrder<'a> {
    out_trade_no: &'a str,
    openid: &'a str,
    description: &'a str,
    total: u64,
    attach: Option<&'a str>,
    time_expire: Option<&'a str>,
    origin: &'a str,
    product_id: Option<&'a str>,
}

/// Creates (or, for a retry with the same parameters, finds) an order and its prepay_id.
async fn create(ctx: &Ctx, req: &Request, app: &AppConfig, n: NewOrder<'_>) -> ApiResult<Response> {
    let m = merchant(ctx, app).await?;
    let notify = notify_url(ctx, req, app)?;
    let order = JsapiOrder::new(OrderInput {
        appid: &app.appid,
        mchid: &m.config.mchid,
        description: n.description,
        out_trade_no: n.out_trade_no,
        notify_url: &notify,
        total: n.total,
        openid: n.openid,
        time_expire: n.time_expire,
        attach: n.attach,
    })?;
    let request = order.body();
    let row = OrderRow {
        out_trade_no: n.out_trade_no.to_owned(),
        appid: app.appid.clone(),
        mchid: m.config.mchid.clone(),
        openid: n.openid.to_owned(),
        description: n.description.to_owned(),
        amount: n.total,
        origin: n.origin.to_owned(),
        product_id: n.product_id.map(str::to_owned),
        attach: n.attach.map(str::to_owned),
        request: request.clone(),
        prepay_id: None,
        prepay_at: None,
        state: "created".into(),
        transaction_id: None,
        trade_state: None,
        paid_at: None,
        refunded: 0,
        created_at: ctx.now,
        updated_at: ctx.now,
        next_query_at: Some(ctx.now + reconcile_after(ctx, app)),
        queries: 0,
        shipping: None,
        shipped_at: None,
        shipping_events: None,
    };
    if !store::insert_order(&ctx.env, &row).await? {
        // The same number again: a retry of the same order, or a mistake.
        let existing = store::order(&ctx.env, n.out_trade_no)
            .await?
            .ok_or_else(|| ApiError::unavailable("the order store is settling; retry"))?;
        if existing.request != request {
            return Err(ApiError::new(
                409,
                "out_trade_no_in_use",
                "out_trade_no belongs to a different order (amount, payer or description differ)",
            ));
        }
        match existing.state.as_str() {
            "paid" | "refunded" => return Err(ApiError::new(409, "order_paid", "this order is paid already")),
            "closed" => return Err(ApiError::new(409, "order_closed", "this order is closed; create a new one")),
            _ => {}
        }
        if let (Some(prepay), Some(at)) = (&existing.prepay_id, existing.prepay_at) {
            if ctx.now < at + PREPAY_REUSE_SECS {
                return answer_order(ctx, &m, &existing, prepay).await;
            }
        }
    }
    // WeChat Pay is idempotent on out_trade_no with the same parameters: concurrent creates
    // get the same prepay_id.
    let (_, body) = m.call(ctx, Method::Post, "/v3/pay/transactions/jsapi", Some(&request)).await?;
    let prepay = PrepayAnswer::parse(&body)?;
    store::set_prepay(&ctx.env, n.out_trade_no, &prepay.prepay_id, ctx.now).await?;
    stats::count(&app.appid, counter::ORDERS_CREATED, ctx.now);
    crate::log_info!("pay order created app={} amount={}", app.appid, n.total);
    answer_order(ctx, &m, &row, &prepay.prepay_id).await
}

async fn answer_order(ctx: &Ctx, m: &Merchant, row: &OrderRow, prepay_id: &str) -> ApiResult<Response> {
    let params = payment(ctx, m, prepay_id).await?;
    json(
        200,
        &json!({
            "out_trade_no": row.out_trade_no,
            "amount": row.amount,
            "description": row.description,
            "state": "created",
            "payment": params,
        }),
    )
}

fn amount_field(body: &Body) -> ApiResult<u64> {
    match body.get("amount") {
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|a| *a > 0)
            .ok_or_else(|| ApiError::invalid_field("amount", "must be a whole number of fen above 0")),
        Some(Value::Object(o)) => o
            .get("total")
            .and_then(Value::as_u64)
            .filter(|a| *a > 0)
            .ok_or_else(|| ApiError::invalid_field("amount.total", "must be a whole number of fen above 0")),
        _ => Err(ApiError::invalid_field("amount", "is required: a whole number of fen")),
    }
}

/// `POST /internal/pay/orders[?appid=]` `{out_trade_no, openid, amount, description, attach?,
/// time_expire?}`: your server sets the amount.
pub async fn internal_order(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let body = json_body(req, MAX_JSON).await?;
    let app = app_of(ctx, query(req, "appid").as_deref().or(body.get("appid").and_then(Value::as_str)))?;
    let total = amount_field(&body)?;
    create(
        ctx,
        req,
        &app,
        NewOrder {
            out_trade_no: required_str(&body, "out_trade_no")?,
            openid: required_str(&body, "openid")?,
            description: required_str(&body, "description")?,
            total,
            attach: opt_str(&body, "attach")?,
            time_expire: opt_str(&body, "time_expire")?,
            origin: "internal",
            product_id: None,
        },
    )
    .await
}

/// `POST /api/pay/orders` `{product_id, out_trade_no?}` with a session: the price and
/// description come from `PAY_CATALOGUE`; an `amount` or `price` in the body is refused.
pub async fn api_order(ctx: &Ctx, req: &mut Request) -> ApiResult<Response> {
    let s = session(ctx, req).await?;
    let body = json_body(req, 4096).await?;
    for field in ["amount", "price", "total", "description"] {
        if body.contains_key(field) {
            return Err(ApiError::invalid_field(field, "is set by the server: send product_id only"));
        }
    }
    limits::check(ctx, Limit::Web, &format!("pay:{}:{}", s.app.appid, s.record.openid)).await?;
    let catalogue = Catalogue::parse(ctx.config.pay_var(&s.app.var("PAY_CATALOGUE")).as_deref())?;
    let product = catalogue.product(required_str(&body, "product_id")?)?;
    let generated;
    let out_trade_no = match opt_str(&body, "out_trade_no")? {
        Some(n) => n,
        None => {
            generated = format!("we{}{}", ctx.now, hex::encode(random_bytes::<8>()?));
            generated.as_str()
        }
    };
    let product_id = required_str(&body, "product_id")?;
    create(
        ctx,
        req,
        &s.app,
        NewOrder {
            out_trade_no,
            openid: &s.record.openid,
            description: &product.description,
            total: product.amount,
            attach: None,
            time_expire: None,
            origin: "catalogue",
            product_id: Some(product_id),
        },
    )
    .await
}

fn order_view(row: &OrderRow) -> Value {
    json!({
        "out_trade_no": row.out_trade_no, "appid": row.appid, "amount": row.amount, "description": row.description,
        "state": row.state, "origin": row.origin, "product_id": row.product_id, "transaction_id": row.transaction_id,
        "trade_state": row.trade_state, "paid_at": row.paid_at, "refunded": row.refunded, "created_at": row.created_at,
        "queries": row.queries, "shipped_at": row.shipped_at,
        "shipping": row.shipping.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
        "shipping_events": row.shipping_events.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()).unwrap_or_else(|| json!([])),
    })
}

async fn query_wechat(ctx: &Ctx, m: &Merchant, row: &OrderRow) -> ApiResult<Transaction> {
    let path = query_by_out_trade_no_path(&row.out_trade_no, &row.mchid)?;
    let (_, body) = m.call(ctx, Method::Get, &path, None).await?;
    Transaction::parse(&body).map_err(ApiError::upstream)
}

fn out_trade_no_param(param: Option<&str>) -> ApiResult<&str> {
    param
        .filter(|p| !p.is_empty() && p.len() <= 32)
        .ok_or_else(|| ApiError::invalid_field("out_trade_no", "must be 6-32 characters"))
}

/// `GET /internal/pay/orders/{out_trade_no}` → `{"order": ours, "wechat": WeChat Pay's query}`;
/// a payment the query shows and we missed is applied (a lost notify).
pub async fn get_order(ctx: &Ctx, forward: Forward<'_>, req: &Request, param: Option<&str>) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let out_trade_no = out_trade_no_param(param)?;
    let row =
        store::order(&ctx.env, out_trade_no).await?.ok_or_else(|| ApiError::new(404, "order_not_found", "no such order"))?;
    let app = ctx.config.app(Some(&row.appid))?;
    let m = merchant(ctx, &app).await?;
    let wechat = match query_wechat(ctx, &m, &row).await {
        Ok(tx) => {
            settle(ctx, forward, &row, &tx).await?;
            json!({ "trade_state": tx.trade_state.as_str(), "transaction_id": tx.transaction_id, "amount": tx.total(), "success_time": tx.success_time })
        }
        Err(e) => json!({ "error": e.body()["error"] }),
    };
    let row = store::order(&ctx.env, out_trade_no).await?.unwrap_or(row);
    json(200, &json!({ "order": order_view(&row), "wechat": wechat }))
}

/// `POST /internal/pay/orders/{out_trade_no}/close` → 204 (`closed` here too). A paid order
/// cannot be closed (409).
pub async fn close_order(ctx: &Ctx, req: &Request, param: Option<&str>) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let out_trade_no = out_trade_no_param(param)?;
    let row =
        store::order(&ctx.env, out_trade_no).await?.ok_or_else(|| ApiError::new(404, "order_not_found", "no such order"))?;
    if row.state != "created" && row.state != "closed" {
        return Err(ApiError::new(409, "order_paid", "a paid order cannot be closed; refund it instead"));
    }
    let app = ctx.config.app(Some(&row.appid))?;
    let m = merchant(ctx, &app).await?;
    let (path, body) = close_request(out_trade_no, &row.mchid)?;
    m.call(ctx, Method::Post, &path, Some(&body)).await?;
    store::mark_closed(&ctx.env, out_trade_no, "CLOSED", ctx.now).await?;
    crate::shared::http::no_content()
}

/// Applies what WeChat Pay says of an order (a notify or a query): paid once, closed once,
/// and the forward claimed (exactly once through the push ledger).
async fn settle(ctx: &Ctx, forward: Forward<'_>, row: &OrderRow, tx: &Transaction) -> ApiResult<bool> {
    use crate::pay::model::TradeState;
    if tx.trade_state.is_paid() {
        let expected = Expected { mchid: &row.mchid, appid: &row.appid, out_trade_no: &row.out_trade_no, total: row.amount };
        if tx.mchid != expected.mchid || tx.appid != expected.appid || tx.total() != Some(row.amount) {
            crate::log_error!("WeChat Pay reports order {} paid with other values: not applied", row.out_trade_no);
            return Ok(false);
        }
        let transaction_id = tx.transaction_id.clone().unwrap_or_default();
        let changed = store::mark_paid(&ctx.env, &row.out_trade_no, &transaction_id, ctx.now).await?;
        let paid_at = if changed { ctx.now } else { row.paid_at.unwrap_or(ctx.now) };
        // The ledger's claim is the forward's exactly-once; within its life every redelivery
        // may claim (the first claim wins), so a crash between here and there loses nothing.
        if changed || ctx.now < paid_at + FORWARD_CLAIM_SECS - 3600 {
            forward_paid(ctx, forward, row, tx).await?;
        }
        if changed {
            stats::count(&row.appid, counter::ORDERS_PAID, ctx.now);
            crate::log_info!("pay order paid app={}", row.appid);
            if let Ok(app) = ctx.config.app(Some(&row.appid)) {
                let openid = tx.payer.as_ref().and_then(|p| p.openid.clone()).unwrap_or_else(|| row.openid.clone());
                record_sighting(ctx, &app, &openid, None, Source::Pay).await;
            }
        }
        return Ok(changed);
    }
    if matches!(tx.trade_state, TradeState::Closed | TradeState::Revoked | TradeState::PayError) {
        return store::mark_closed(&ctx.env, &row.out_trade_no, tx.trade_state.as_str(), ctx.now).await;
    }
    Ok(false)
}

async fn forward_paid(ctx: &Ctx, forward: Forward<'_>, row: &OrderRow, tx: &Transaction) -> ApiResult<()> {
    if !matches!(ctx.config.business_webhook(), Ok(Some(_))) {
        return Ok(());
    }
    let payload = json!({
        "type": "pay.transaction.success",
        "appid": row.appid,
        "out_trade_no": row.out_trade_no,
        "transaction_id": tx.transaction_id,
        "amount": row.amount,
        "openid": row.openid,
        "product_id": row.product_id,
        "attach": row.attach,
        "success_time": tx.success_time,
    })
    .to_string();
    forward(row.appid.clone(), format!("pay:{}:paid", row.out_trade_no), payload).await
}

fn notify_response(reply: NotifyReply) -> ApiResult<Response> {
    let status = reply.status();
    let mut resp = match reply.body() {
        None => Response::empty(),
        Some(body) => Response::ok(body),
    }
    .map_err(|_| ApiError::internal("could not build a response"))?
    .with_status(status);
    if status != 204 {
        let _ = resp.headers_mut().set("Content-Type", "application/json");
    }
    Ok(resp)
}

fn refuse(error: NotifyError) -> ApiResult<Response> {
    crate::log_warn!("pay notify refused: {error}");
    notify_response(NotifyReply::refuse(&error))
}

/// `POST /wechat/pay/notify[/<appid>]`: WeChat Pay's notify (§5). Every answer but the 204 is
/// WeChat Pay's `{"code":"FAIL","message"}` (ours name the problem's code, never a variable).
pub async fn notify(ctx: &Ctx, forward: Forward<'_>, req: &mut Request, appid: Option<&str>) -> ApiResult<Response> {
    match receive_notify(ctx, forward, req, appid).await {
        Ok(resp) => Ok(resp),
        Err(e) => {
            if e.status >= 500 {
                crate::log_error!("pay notify: {e}");
            }
            notify_response(NotifyReply::Fail { status: e.status, message: e.code.to_string() })
        }
    }
}

async fn receive_notify(ctx: &Ctx, forward: Forward<'_>, req: &mut Request, appid: Option<&str>) -> ApiResult<Response> {
    let app = ctx.config.app(appid)?;
    let m = merchant(ctx, &app).await?;
    let body = body_bytes(req, MAX_NOTIFY_BODY).await?;
    let headers = match SignedHeaders::read(&|n| header(req, n)) {
        Ok(h) => h,
        Err(e) => return refuse(e.into()),
    };
    if let Err(e) = m.verify(ctx, &headers, &body).await {
        return refuse(e.into());
    }
    let notify = match Notify::parse(&body) {
        Ok(n) => n,
        Err(e) => return refuse(e),
    };
    stats::count(&app.appid, counter::NOTIFIES, ctx.now);
    let outcome = match notify.event() {
        Event::TransactionSuccess => payment_notify(ctx, forward, &m, &notify).await,
        Event::RefundSuccess | Event::RefundAbnormal | Event::RefundClosed => {
            crate::pay::refunds::refund_notify(ctx, &m, &notify).await
        }
        Event::Other(kind) => {
            crate::log_info!("pay notify {kind} acknowledged (not handled)");
            Ok(Ok(()))
        }
    };
    match outcome {
        Ok(Ok(())) => notify_response(NotifyReply::Ack),
        Ok(Err(e)) => refuse(e),
        Err(e) => {
            crate::log_error!("pay notify could not be applied: {e}");
            notify_response(NotifyReply::busy())
        }
    }
}

/// A payment notify: decrypted, checked against our order, applied once.
async fn payment_notify(ctx: &Ctx, forward: Forward<'_>, m: &Merchant, notify: &Notify) -> ApiResult<Result<(), NotifyError>> {
    let sealed = match notify.resource.sealed() {
        Ok(s) => s,
        Err(e) => return Ok(Err(e)),
    };
    let Some(plain) = m.open(&sealed.nonce, &sealed.aad, &sealed.ciphertext).await else {
        return Ok(Err(NotifyError::Decrypt));
    };
    let tx = match Transaction::parse(&plain) {
        Ok(tx) => tx,
        Err(e) => return Ok(Err(NotifyError::Plaintext(e))),
    };
    let Some(row) = store::order(&ctx.env, &tx.out_trade_no).await? else {
        return Ok(Err(NotifyError::UnknownOrder));
    };
    let expected = Expected { mchid: &row.mchid, appid: &row.appid, out_trade_no: &row.out_trade_no, total: row.amount };
    if row.appid != m.appid {
        return Ok(Err(NotifyError::Mismatch("appid")));
    }
    let tx = match check_payment(&plain, expected) {
        Ok(tx) => tx,
        Err(e) => return Ok(Err(e)),
    };
    settle(ctx, forward, &row, &tx).await?;
    Ok(Ok(()))
}

/// One reconciliation pass: unpaid orders due for a query are asked of WeChat Pay (bounded,
/// backed off) and settled; an order past its queries is closed. → `(queried, settled)`.
pub async fn reconcile(ctx: &Ctx, forward: Forward<'_>, limit: u32) -> ApiResult<(u32, u32)> {
    let due = store::due_for_query(&ctx.env, ctx.now, limit).await?;
    let (mut queried, mut settled) = (0, 0);
    for row in due {
        let Ok(app) = ctx.config.app(Some(&row.appid)) else { continue };
        let m = match merchant(ctx, &app).await {
            Ok(m) => m,
            Err(e) => {
                crate::log_warn!("reconciliation: app {} has no usable merchant: {e}", row.appid);
                continue;
            }
        };
        queried += 1;
        match query_wechat(ctx, &m, &row).await {
            Ok(tx) => {
                if settle(ctx, forward, &row, &tx).await? {
                    settled += 1;
                    continue;
                }
                let next = next_reconcile_at(row.created_at, row.queries + 1);
                if next.is_none() {
                    // Past its queries: close it at WeChat Pay, so a late payment cannot happen.
                    if let Ok((path, body)) = close_request(&row.out_trade_no, &row.mchid) {
                        if m.call(ctx, Method::Post, &path, Some(&body)).await.is_ok() {
                            store::mark_closed(&ctx.env, &row.out_trade_no, "CLOSED", ctx.now).await?;
                            settled += 1;
                            continue;
                        }
                    }
                }
                store::queried(&ctx.env, &row.out_trade_no, tx.trade_state.as_str(), next, ctx.now).await?;
            }
            Err(e) => {
                crate::log_warn!("reconciliation query of an order of app {} failed: {e}", row.appid);
                let next = next_reconcile_at(row.created_at, row.queries + 1);
                store::queried(&ctx.env, &row.out_trade_no, row.trade_state.as_deref().unwrap_or("UNKNOWN"), next, ctx.now)
                    .await?;
            }
        }
    }
    Ok((queried, settled))
}

/// `POST /internal/pay/reconcile` → `{"queried", "settled"}`: the cron's pass, now.
pub async fn reconcile_now(ctx: &Ctx, forward: Forward<'_>, req: &Request) -> ApiResult<Response> {
    require_internal_key(ctx, req)?;
    let (queried, settled) = reconcile(ctx, forward, 50).await?;
    json(200, &json!({ "queried": queried, "settled": settled }))
}
