//! WeChat Pay APIv3 as the simulator plays it (wechat-pay.md §10), with crypto of its own.
//!
//! - [`keys`]: the platform key pairs (public-key mode `PUB_KEY_ID_…`, platform certificate),
//!   RSA signing/verification and AES-256-GCM; the test merchant's keys.
//! - [`merchant`]: merchants and how WeChat Pay signs for each (public key, certificate, migration).
//! - `store`: orders, refunds, the notify log, the settings; `fields`: WeChat Pay's field rules.
//! - `wire`: `/v3/…` requests: the `Authorization` check (401 SIGN_ERROR), signed answers, the
//!   call log; `orders` (JSAPI order, query, close), `refunds`, `certificates` (`/v3/certificates`).
//! - `notify`: payment and refund notifies: sealed, signed, redelivered on the §5 schedule
//!   (`time_scale` compresses it), duplicated and tampered on request.
//! - `shipping`: `wxa/sec/order/upload_shipping_info` and the user confirming receipt.
//! - `control`: the `/_sim/pay/` routes.
//!
//! # WeChat Pay routes (on the simulator's one port, beside the WeChat API)
//!
//! `POST /v3/pay/transactions/jsapi`, `GET /v3/pay/transactions/out-trade-no/{no}?mchid=`,
//! `GET /v3/pay/transactions/id/{transaction_id}?mchid=`,
//! `POST /v3/pay/transactions/out-trade-no/{no}/close`, `POST /v3/refund/domestic/refunds`,
//! `GET /v3/refund/domestic/refunds/{out_refund_no}`, `GET /v3/certificates`; and
//! `POST /wxa/sec/order/upload_shipping_info?access_token=`.
//!
//! # Control routes
//!
//! | route | body / query | answer |
//! | --- | --- | --- |
//! | `GET /_sim/pay/keys` | | `{"public_key_id","public_key_pem","certificate_serial","certificate_pem"}` |
//! | `GET`/`POST /_sim/pay/merchants` | `{"mchid","apiv3_key","serial","public_key_pem","appids"?: [],"mode"?: "public_key"\|"certificate"\|"migration","refund_notify_url"?}` | `{"merchants":[..]}` / the merchant |
//! | `GET`/`POST /_sim/pay/settings` | partial [`store::Settings`] (`time_scale`, `notify_timeout_ms`, `max_notify_deliveries`, `timestamp_window`, `require_user_agent`, `sign_errors`, `reject_unknown_fields`, `refund_outcome`, `refund_delay_ms`, `shipping_lag_seconds`, `migration_notify_ratio`) | the settings |
//! | `GET /_sim/pay/orders` | `?mchid=&out_trade_no=` | `{"orders":[{"mchid","appid","out_trade_no","trade_state","transaction_id","prepay_id","total","openid","notify_url","created_at","expires_at","shipping"}]}` |
//! | `POST /_sim/pay/pay` | `{"out_trade_no","mchid"?,"paySign"?,"timeStamp"?,"nonceStr"?,"package"?,"signType"?,"appId"?,"lose"?: false,"outcome"?: "success"\|"cancel"}` | `{"ok": true,"errMsg","transaction_id","notify": first delivery or null}` or `{"ok": false,"errMsg":"requestPayment:fail …"}` |
//! | `POST /_sim/pay/notify` | `{"out_trade_no"\|"out_refund_no","mchid"?,"times"?: 1,"concurrent"?: false,"tamper"?: "signature"\|"body"\|"serial"\|"timestamp"\|"amount"\|"mchid"\|"probe"}` | `{"deliveries":[..]}` |
//! | `GET /_sim/pay/notifies` | `?out_trade_no=&event_type=` | `{"notifies":[{"seq","notify_id","event_type","mchid","out_trade_no","out_refund_no"?,"attempt","url","at","outcome","status","answer","elapsed_ms","serial","tamper"?,"accepted"}]}` |
//! | `POST /_sim/pay/notifies/clear` | | `{"ok"}` |
//! | `POST /_sim/pay/refunds/settle` | `{"out_refund_no","mchid"?,"status":"SUCCESS"\|"ABNORMAL"\|"CLOSED","tamper"?}` | `{"refund","notify"}` |
//! | `POST /_sim/pay/shipping/confirm` | `{"transaction_id","confirm_receive_method"?: 2}` | `{"order_state": 4,"event","event_xml"}` |

mod certificates;
mod control;
mod fields;
pub mod keys;
pub mod merchant;
mod notify;
mod orders;
mod refunds;
pub mod shipping;
pub mod store;
mod wire;

pub use control::routes;
pub use merchant::{KeyMode, MerchantConfig, PaySetup};
pub use store::PayState;
pub use wire::handle;
