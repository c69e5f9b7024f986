"""Peer (c) of the HTTP comparison (issue 18, item 3; examples/http_compare.rs): a wechatpy
webhook as it is usually deployed, a Flask app under gunicorn's sync workers.

Run: gunicorn --chdir scripts/bench -w <workers> -b 127.0.0.1:<port> http_flask:app
with WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY and WECHAT_APPID in the environment.

POST /wechat/push does per push what scripts/bench/peer_wechatpy.py does: check_signature,
WeChatCrypto.decrypt_message (safe mode), parse_message, TransferCustomerServiceReply(...).render()
for a user message (text, image, mini-program card) or "success" for anything else, and
WeChatCrypto.encrypt_message in safe mode, with the request's nonce and a current timestamp (as
wechatpy's own Flask example does). wechatpy has no JSON push support: a JSON body is
json.loads-ed and the envelope dict given to decrypt_message (which accepts one); the JSON reply
is encrypted with its PrpCrypto and signed with WeChatSigner, as a wechatpy user would have to.
"""

import json
import os
import time

from flask import Flask, Response, request
from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException, InvalidSignatureException
from wechatpy.replies import TransferCustomerServiceReply
from wechatpy.utils import WeChatSigner, check_signature

TOKEN = os.environ["WECHAT_TOKEN"]
AES_KEY = os.environ["WECHAT_ENCODING_AES_KEY"]
APPID = os.environ["WECHAT_APPID"]
TRANSFER = {"text", "image", "miniprogrampage"}

crypto = WeChatCrypto(TOKEN, AES_KEY, APPID)
app = Flask(__name__)


def json_reply(msg, nonce):
    now = str(int(time.time()))
    reply = json.dumps(
        {"ToUserName": msg["FromUserName"], "FromUserName": msg["ToUserName"], "CreateTime": int(now), "MsgType": "transfer_customer_service"},
        ensure_ascii=False,
    )
    encrypt = PrpCrypto(crypto.key).encrypt(reply, APPID).decode()
    signer = WeChatSigner()
    signer.add_data(TOKEN, now, nonce, encrypt)
    return json.dumps({"Encrypt": encrypt, "MsgSignature": signer.signature, "TimeStamp": int(now), "Nonce": nonce})


@app.post("/wechat/push")
def push():
    q = request.args
    try:
        check_signature(TOKEN, q.get("signature", ""), q.get("timestamp", ""), q.get("nonce", ""))
    except InvalidSignatureException:
        return Response("invalid signature", status=403)
    encrypted = q.get("encrypt_type") == "aes"
    body = request.get_data()
    try:
        if body.lstrip()[:1] == b"{":
            # JSON: safe mode only (wechatpy could not parse a plaintext JSON push either).
            inner = crypto.decrypt_message(json.loads(body), q["msg_signature"], q["timestamp"], q["nonce"])
            msg = json.loads(inner)
            if msg.get("MsgType") not in TRANSFER:
                return "success"
            return Response(json_reply(msg, q["nonce"]), content_type="application/json")
        xml = crypto.decrypt_message(body, q["msg_signature"], q["timestamp"], q["nonce"]) if encrypted else body
        msg = parse_message(xml)
        if msg.type not in TRANSFER:
            return "success"
        reply = TransferCustomerServiceReply(message=msg).render()
        if encrypted:
            reply = crypto.encrypt_message(reply, q["nonce"], str(int(time.time())))
        return Response(reply, content_type="application/xml")
    except (InvalidSignatureException, InvalidAppIdException):
        return Response("invalid message signature", status=403)
