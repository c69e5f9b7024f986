"""The Python peer, wechatpy, on the same inputs, through its public API as its users write it.

Usage: python peer_wechatpy.py <inputs dir>  (inside the throwaway venv bench.sh makes).
Prints one JSON line. Timing as in timing.mjs: a warm-up of ~BENCH_WARM_MS, then BENCH_RUNS
timed runs of ~BENCH_RUN_MS each (time.perf_counter_ns); the median.

XML pushes: check_signature, WeChatCrypto.decrypt_message, parse_message,
TransferCustomerServiceReply(...).render(), WeChatCrypto.encrypt_message.
JSON pushes: wechatpy has no JSON push support. decrypt_message accepts the envelope as a dict,
and the JSON reply is encrypted with its public PrpCrypto and WeChatSigner, which is how a
wechatpy user would have to assemble it.
Login: WeChatWxaCrypto.decrypt_message (decrypts, parses, checks the watermark) and
check_wxa_signature; wechatpy has nothing for the session signature, so that row is the
standard library's hmac.
"""

import hashlib
import hmac
import json
import os
import resource
import sys
import time
from importlib.metadata import version
from urllib.parse import parse_qsl

from wechatpy import parse_message
from wechatpy.crypto import PrpCrypto, WeChatCrypto, WeChatWxaCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.replies import TransferCustomerServiceReply
from wechatpy.utils import WeChatSigner, check_signature, check_wxa_signature

RUN_MS = float(os.environ.get("BENCH_RUN_MS", 150))
WARM_MS = float(os.environ.get("BENCH_WARM_MS", 300))
RUNS = int(os.environ.get("BENCH_RUNS", 7))
TRANSFER = {"text", "image", "miniprogrampage"}


def bench(name, fn):
    # As timing.mjs: grow n to ~10 ms calls, warm up, size the runs from the warmed-up rate.
    n = 1
    while True:
        t0 = time.perf_counter_ns()
        fn(n)
        if time.perf_counter_ns() - t0 >= 10e6 or n >= 1 << 24:
            break
        n *= 2
    best_ns_per_op = float("inf")
    warm_end = time.perf_counter_ns() + WARM_MS * 1e6
    while True:
        t0 = time.perf_counter_ns()
        fn(n)
        best_ns_per_op = min(best_ns_per_op, (time.perf_counter_ns() - t0) / n)
        if time.perf_counter_ns() >= warm_end:
            break
    n = max(1, int(RUN_MS * 1e6 / best_ns_per_op) + 1)
    per_op = []
    for _ in range(RUNS):
        t0 = time.perf_counter_ns()
        fn(n)
        per_op.append((time.perf_counter_ns() - t0) / n / 1e3)
    per_op.sort()
    median = per_op[len(per_op) // 2]
    sys.stderr.write(f"  {name:<40} {median:9.2f} µs/op  (n={n})\n")
    return {
        "workload": name,
        "n": n,
        "runs": RUNS,
        "us_median": median,
        "us_min": per_op[0],
        "us_max": per_op[-1],
        "ops_per_s": 1e6 / median,
    }


def pipeline(c, crypto):
    q = dict(parse_qsl(c["query"]))
    check_signature(c["token"], q["signature"], q["timestamp"], q["nonce"])
    now = str(int(time.time()))
    if c["format"] == "xml":
        if "msg_signature" in q:
            xml = crypto.decrypt_message(c["body"], q["msg_signature"], q["timestamp"], q["nonce"])
        else:
            xml = c["body"]
        msg = parse_message(xml)
        if msg.type not in TRANSFER:
            return "success"
        reply = TransferCustomerServiceReply(message=msg).render()
        if "msg_signature" in q:
            return crypto.encrypt_message(reply, c["reply_nonce"], now)
        return reply
    # JSON (safe mode only in the inputs).
    inner = crypto.decrypt_message(json.loads(c["body"]), q["msg_signature"], q["timestamp"], q["nonce"])
    msg = json.loads(inner)
    if msg["MsgType"] not in TRANSFER:
        return "success"
    reply = json.dumps(
        {"ToUserName": msg["FromUserName"], "FromUserName": msg["ToUserName"], "CreateTime": int(now), "MsgType": "transfer_customer_service"},
        ensure_ascii=False,
    )
    encrypt = PrpCrypto(crypto.key).encrypt(reply, c["appid"]).decode()
    signer = WeChatSigner()
    signer.add_data(c["token"], now, c["reply_nonce"], encrypt)
    return json.dumps({"Encrypt": encrypt, "MsgSignature": signer.signature, "TimeStamp": int(now), "Nonce": c["reply_nonce"]})


def check_reply(c, crypto, reply):
    """Opens the reply (checking its signature) and checks it transfers the sender."""
    text = reply
    if c["mode"] == "safe":
        if c["format"] == "json":
            w = json.loads(reply)
            text = crypto.decrypt_message({"Encrypt": w["Encrypt"]}, w["MsgSignature"], str(w["TimeStamp"]), w["Nonce"])
        else:
            import xmltodict

            w = xmltodict.parse(reply)["xml"]
            text = crypto.decrypt_message(reply, w["MsgSignature"], w["TimeStamp"], w["Nonce"])
    sender = json.loads(c["plain_body"])["FromUserName"] if c["format"] == "json" else parse_message(c["plain_body"]).source
    if "transfer_customer_service" not in text or sender not in text:
        raise SystemExit(f"{c['name']}: not a transfer reply to the sender: {text}")


def max_rss_kb():
    """Peak RSS in KiB: VmHWM of this process image (getrusage's maximum survives exec)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    d = sys.argv[1]
    with open(os.path.join(d, "index.json")) as f:
        index = json.load(f)
    results = []
    for entry in index["push"]:
        with open(os.path.join(d, entry["file"]), encoding="utf-8") as f:
            c = json.load(f)
        crypto = WeChatCrypto(c["token"], c["encoding_aes_key"], c["appid"])
        check_reply(c, crypto, pipeline(c, crypto))

        def run(n, c=c, crypto=crypto):
            for _ in range(n):
                pipeline(c, crypto)

        results.append(bench(f"push {c['name']}", run))

    with open(os.path.join(d, index["login"]), encoding="utf-8") as f:
        lg = json.load(f)
    wxa = WeChatWxaCrypto(lg["session_key"], lg["iv"], lg["appid"])
    if wxa.decrypt_message(lg["encrypted_data"]) != json.loads(lg["expected_plaintext"]):
        raise SystemExit("open data: wrong plaintext")

    def raw_sig():
        try:
            check_wxa_signature(lg["session_key"], lg["raw_data"], lg["raw_data_signature"])
            return True
        except InvalidSignatureException:
            return False

    def session_sig():
        mac = hmac.new(lg["session_key"].encode(), lg["session_message"].encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(mac, lg["session_signature"])

    if not raw_sig() or not session_sig():
        raise SystemExit("login signatures do not match")

    def loop(f):
        def run(n):
            for _ in range(n):
                f()

        return run

    # WeChatWxaCrypto is built per request: the key and iv are the user's.
    results.append(bench("login open-data-decrypt+watermark", loop(lambda: WeChatWxaCrypto(lg["session_key"], lg["iv"], lg["appid"]).decrypt_message(lg["encrypted_data"]))))
    results.append(bench("login rawdata-signature", loop(raw_sig)))
    results.append(bench("login session-signature", loop(session_sig)))

    print(
        json.dumps(
            {
                "runner": "wechatpy",
                "label": f"wechatpy {version('wechatpy')} (cryptography {version('cryptography')})",
                "login_label": "wechatpy (session: stdlib hmac)",
                "versions": {
                    "python": sys.version.split()[0],
                    "wechatpy": version("wechatpy"),
                    "cryptography": version("cryptography"),
                    "xmltodict": version("xmltodict"),
                },
                "max_rss_kb": max_rss_kb(),
                "results": results,
            }
        )
    )


if __name__ == "__main__":
    main()
