"""schemathesis hooks for the contract run against wechat-edge under `wrangler dev`.

Loaded through SCHEMATHESIS_HOOKS by tests/e2e_openapi.rs (the ignored
`schemathesis_finds_no_response_outside_the_contract`), which starts the WeChat simulator and
the worker and passes their addresses and secrets in the environment:

  WECHAT_EDGE_URL, WECHAT_SIM_URL, INTERNAL_API_KEY, WECHAT_APPID, WECHAT_APPID_B,
  WECHAT_PUSH_TOKEN, WECHAT_PUSH_TOKEN_B

What the hooks do, and why:

- Auth. `/internal/*` gets the internal key. `/api/*` gets a session token of a user freshly
  logged in for each test case (a code from the simulator's `/_sim/login_code`, exchanged at
  `POST /api/login`): `POST /api/logout` ends the session it is given, and one shared token
  would leave every later case a 401.
- Push signatures. A `/wechat/push*` request whose generated `signature` is well formed
  (40 hex digits, what the schema asks for) is signed for real with the app's Token and the
  current time, and `msg_signature` too when the body carries `Encrypt`, so the body reaches the
  parser instead of stopping at 401. Requests the generator made malformed on purpose (a
  missing or bad `signature`) are sent as generated.
- Steering. Random app ids and openids are almost never configured ones, so most cases would
  stop at 404 or 400 `invalid_openid`, and random dates are never a range a report takes. Half
  the cases have their `appid` (query, body, header, push path) set to a configured app,
  `touser` / `openid` to the simulator user the spec's examples name (whose customer-service
  window is open and who accepted the example template), analytics dates to a valid range, and
  an official account's ticket asked for as an image (`image=1`).
- Minted credentials. Login and phone codes are single-use and open data is sealed with the
  session's own key, so no generated value is ever valid. When steered, `code`, `encryptedData`
  and `rawData` are set to a placeholder that is replaced right before the request goes out: a
  fresh code from `/_sim/login_code` or `/_sim/phone_code`, or `/_sim/open_data` for the user
  the case's session token belongs to (so `iv` / `signature` come with it).
- The simulator's quotas (customer-service sends, unlimited codes per minute, links per day)
  are raised so a long run keeps reaching WeChat's success path; 409 / 429 stay reachable and
  documented.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import time
import urllib.request

import schemathesis
from hypothesis import strategies as st

WORKER = os.environ["WECHAT_EDGE_URL"].rstrip("/")
SIM = os.environ["WECHAT_SIM_URL"].rstrip("/")
INTERNAL_KEY = os.environ["INTERNAL_API_KEY"]
APPID = os.environ["WECHAT_APPID"]
APPID_B = os.environ["WECHAT_APPID_B"]
PUSH_TOKENS = {
    None: os.environ["WECHAT_PUSH_TOKEN"],
    "": os.environ["WECHAT_PUSH_TOKEN"],
    APPID: os.environ["WECHAT_PUSH_TOKEN"],
    APPID_B: os.environ["WECHAT_PUSH_TOKEN_B"],
}

# The values the spec's examples use (WeChat's own documentation examples).
EXAMPLE_OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
EXAMPLE_TEMPLATE = {
    "priTmplId": "bDmywsp2oEHjwAadTGKkUHpC0RgBVPvfAEsw1s1nw4Q",
    "title": "订单发货提醒",
    "content": "商品名称:{{thing1.DATA}}\n快递单号:{{character_string2.DATA}}\n发货时间:{{time3.DATA}}\n订单金额:{{amount4.DATA}}\n",
    "example": "商品名称:无线键盘\n快递单号:SF1234567890\n发货时间:2024年5月1日 15:01\n订单金额:¥199.00\n",
}


def _post(url: str, body: dict, headers: dict | None = None) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read() or b"{}")


def _prepare_simulator() -> None:
    """The example user and template, and quotas a long run does not exhaust."""
    _post(f"{SIM}/_sim/limits", {"cs_message_quota": 1_000_000})
    _post(f"{SIM}/_sim/qr_quota", {"appid": APPID, "unlimited_per_minute": 1_000_000, "links_daily": 1_000_000})
    _post(f"{SIM}/_sim/templates", {"appid": APPID, "templates": [EXAMPLE_TEMPLATE]})
    _post(f"{SIM}/_sim/user_action", {"appid": APPID, "openid": EXAMPLE_OPENID, "kind": "message"})
    _post(
        f"{SIM}/_sim/subscriptions",
        {"appid": APPID, "openid": EXAMPLE_OPENID, "template_id": EXAMPLE_TEMPLATE["priTmplId"], "count": 1_000_000},
    )


_prepare_simulator()


# ---- auth ----

# Session token → the openid it was issued for (one worker thread: no locking needed).
SESSION_USERS: dict[str, str] = {}


@schemathesis.auth(refresh_interval=None).apply_to(path_regex="^/internal/")
class InternalKey:
    def get(self, case, context):
        return INTERNAL_KEY

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schemathesis.auth(refresh_interval=None).apply_to(path_regex="^/api/")
class FreshSession:
    """A new user and session for every case (see the module's doc)."""

    def get(self, case, context):
        if context.operation.path == "/api/login":
            return None
        user = _post(f"{SIM}/_sim/login_code", {"appid": APPID})
        token = _post(f"{WORKER}/api/login", {"code": user["code"]})["token"]
        SESSION_USERS[token] = user["openid"]
        return token

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


# ---- steering ----


# Body fields that get a freshly minted value (see the module's doc), by operation.
PLACEHOLDER = "minted-by-hooks"
MINTED = {
    "/api/login": ("code",),
    "/api/phone": ("code",),
    "/api/user/decrypt": ("encryptedData",),
    "/api/user/verify": ("rawData",),
}


def _valid_range(report: str) -> tuple[str, str]:
    """A range the report takes (§11): dates are Beijing's and end yesterday at the latest."""
    today = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=8)).date()
    yesterday = today - datetime.timedelta(days=1)
    if "weekly" in report:
        sunday = yesterday - datetime.timedelta(days=(yesterday.weekday() + 1) % 7)
        begin, end = sunday - datetime.timedelta(days=6), sunday
    elif "monthly" in report:
        end = today.replace(day=1) - datetime.timedelta(days=1)
        begin = end.replace(day=1)
    elif "portrait" in report:
        begin, end = yesterday - datetime.timedelta(days=6), yesterday
    else:
        begin = end = yesterday
    return begin.strftime("%Y%m%d"), end.strftime("%Y%m%d")


def _steer(case, draw_app) -> None:
    report = (case.path_parameters or {}).get("report")
    if isinstance(report, str) and isinstance(case.body, dict):
        case.body["begin_date"], case.body["end_date"] = _valid_range(report)
    if isinstance(case.query, dict) and "appid" in case.query:
        case.query["appid"] = draw_app
    if isinstance(case.query, dict) and "image" in case.query:
        case.query["image"] = "1"
    if isinstance(case.body, dict):
        if "appid" in case.body:
            case.body["appid"] = draw_app
        for field in MINTED.get(case.operation.path, ()):
            if field in case.body:
                case.body[field] = PLACEHOLDER
        for field in ("touser", "openid"):
            if field in case.body:
                case.body[field] = EXAMPLE_OPENID
    if isinstance(case.headers, dict) and "X-WeChat-AppId" in case.headers:
        case.headers["X-WeChat-AppId"] = draw_app
    if isinstance(case.path_parameters, dict) and "appid" in case.path_parameters:
        case.path_parameters["appid"] = draw_app


@schemathesis.hook
def flatmap_case(context, case):
    def choose(choice):
        steer, app = choice
        if steer:
            _steer(case, app)
        return case

    # Ticket QR codes are for official accounts: the second app is the one.
    apps = [APPID_B] if case.operation.path == "/internal/oa/qrcode" else [APPID, APPID_B]
    return st.tuples(st.booleans(), st.sampled_from(apps)).map(choose)


# ---- push signatures ----


def _sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _is_sha1_hex(value) -> bool:
    return isinstance(value, str) and len(value) == 40 and all(c in "0123456789abcdefABCDEF" for c in value)


def _as_xml_text(value: str) -> str:
    """What the worker reads back from schemathesis's XML serializer, which drops the characters
    XML 1.0 cannot carry."""
    return "".join(
        c
        for c in value
        if c in "\t\n\r" or 0x20 <= ord(c) <= 0xD7FF or 0xE000 <= ord(c) <= 0xFFFD or 0x10000 <= ord(c) <= 0x10FFFF
    )


def _mint(case) -> None:
    """Replaces the placeholders `_steer` left with values the simulator issues now."""
    body = case.body
    if not isinstance(body, dict) or PLACEHOLDER not in body.values():
        return
    headers = case.headers or {}
    app = str(headers.get("X-WeChat-AppId") or "").strip() or APPID
    if app not in (APPID, APPID_B):
        return  # an app that is not configured: 404 whatever the body
    path = case.operation.path
    if path == "/api/login":
        body["code"] = _post(f"{SIM}/_sim/login_code", {"appid": app})["code"]
        return
    bearer = str(headers.get("Authorization") or "").removeprefix("Bearer ")
    openid = SESSION_USERS.get(bearer)
    if openid is None:
        return
    if path == "/api/phone":
        body["code"] = _post(f"{SIM}/_sim/phone_code", {"appid": APPID, "openid": openid})["code"]
    else:
        data = _post(f"{SIM}/_sim/open_data", {"appid": APPID, "openid": openid})
        if path == "/api/user/decrypt":
            body["encryptedData"], body["iv"] = data["encryptedData"], data["iv"]
        else:
            body["rawData"], body["signature"] = data["rawData"], data["signature"]


@schemathesis.hook
def before_call(context, case, kwargs):
    _mint(case)
    if not case.operation.path.startswith("/wechat/push") or not isinstance(case.query, dict):
        return
    if not _is_sha1_hex(case.query.get("signature")):
        return
    appid = (case.path_parameters or {}).get("appid")
    token = PUSH_TOKENS.get(appid)
    if token is None:
        return  # an app that is not configured: 404 whatever the signature
    timestamp = str(int(time.time()))
    nonce = case.query.get("nonce")
    if not isinstance(nonce, str):
        return
    case.query["timestamp"] = timestamp
    case.query["signature"] = _sha1_sorted(token, timestamp, nonce)
    encrypt = case.body.get("Encrypt") if isinstance(case.body, dict) else None
    if isinstance(encrypt, str) and "xml" in (case.media_type or ""):
        encrypt = _as_xml_text(encrypt)
    if isinstance(encrypt, str) and _is_sha1_hex(case.query.get("msg_signature")):
        case.query["msg_signature"] = _sha1_sorted(token, timestamp, nonce, encrypt)
