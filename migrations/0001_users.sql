-- The user directory (issue 14): one row per account, i.e. per (appid, openid). A person is
-- every row that shares a unionid (wechat-oa.md §5: one unionid per user and Open Platform
-- account). Users are never keyed on unionid alone: apps that are not bound have none, and
-- a row can gain one later (a follow, a web login), which links it to the others.
CREATE TABLE accounts (
  appid       TEXT    NOT NULL,
  openid      TEXT    NOT NULL,
  unionid     TEXT,
  -- miniprogram | official_account, as configured when the row was written.
  app_type    TEXT    NOT NULL,
  -- How we first and last learned of the account: login | oa_follow | oa_web_login |
  -- oa_scan_login | pay.
  source      TEXT    NOT NULL,
  last_source TEXT    NOT NULL,
  first_seen  INTEGER NOT NULL,
  last_seen   INTEGER NOT NULL,
  -- Official accounts only: 1 following, 0 not (a template message needs a follower), NULL unknown.
  following   INTEGER,
  PRIMARY KEY (appid, openid)
) WITHOUT ROWID;

CREATE INDEX accounts_by_unionid ON accounts (unionid) WHERE unionid IS NOT NULL;
