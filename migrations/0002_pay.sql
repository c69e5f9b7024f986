-- WeChat Pay orders and refunds (issue 15). Amounts are integers in fen. Our state moves only
-- by conditional UPDATEs (… WHERE state = 'created'), so a notify redelivered any number of
-- times, concurrently or not, changes an order once.
CREATE TABLE pay_orders (
  out_trade_no   TEXT    PRIMARY KEY,
  appid          TEXT    NOT NULL,
  mchid          TEXT    NOT NULL,
  openid         TEXT    NOT NULL,
  description    TEXT    NOT NULL,
  amount         INTEGER NOT NULL CHECK (amount > 0),
  -- internal (your server set the amount) | catalogue (the mini program chose a product)
  origin         TEXT    NOT NULL,
  product_id     TEXT,
  attach         TEXT,
  -- The JSAPI order exactly as sent: a retried create must repeat it (idempotency).
  request        TEXT    NOT NULL,
  prepay_id      TEXT,
  prepay_at      INTEGER,
  -- created | paid | closed | refunded
  state          TEXT    NOT NULL,
  transaction_id TEXT,
  -- WeChat's trade_state as last seen (notify or query).
  trade_state    TEXT,
  paid_at        INTEGER,
  refunded       INTEGER NOT NULL DEFAULT 0,
  created_at     INTEGER NOT NULL,
  updated_at     INTEGER NOT NULL,
  -- Reconciliation: when an unpaid order is next queried, and how often it was.
  next_query_at  INTEGER,
  queries        INTEGER NOT NULL DEFAULT 0,
  -- Shipping information (发货信息管理): uploaded, and the trade_manage_* events seen.
  shipping       TEXT,
  shipped_at     INTEGER,
  shipping_events TEXT
) WITHOUT ROWID;

CREATE INDEX pay_orders_to_reconcile ON pay_orders (next_query_at) WHERE state = 'created';
CREATE INDEX pay_orders_by_transaction ON pay_orders (transaction_id) WHERE transaction_id IS NOT NULL;

CREATE TABLE pay_refunds (
  out_refund_no TEXT    PRIMARY KEY,
  out_trade_no  TEXT    NOT NULL REFERENCES pay_orders (out_trade_no),
  amount        INTEGER NOT NULL CHECK (amount > 0),
  reason        TEXT,
  -- PROCESSING | SUCCESS | ABNORMAL | CLOSED
  status        TEXT    NOT NULL,
  refund_id     TEXT,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX pay_refunds_by_order ON pay_refunds (out_trade_no);
