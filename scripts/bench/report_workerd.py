"""The "Safe mode inside workerd" section of BENCHMARKS.md (issue 18, item 1), from workerd.json
(scripts/bench/workerd.mjs) and the peers' in-process figures. Imported by report.py."""

import json
import os

SAFE_CASES = ["text/safe-xml", "text/safe-json", "card/safe-xml", "card/safe-json"]
CASES = ["text/plain-xml", "text/safe-xml", "text/safe-json", "card/plain-xml", "card/safe-xml", "card/safe-json"]
TARGET_SPEEDUP = 5.0
ENGINE_LABELS = {
    "software": "all in wasm (RustCrypto)",
    "webcrypto": "**the Worker's choice** (AES-CBC in WebCrypto from 512 B, SHA-1 in wasm)",
    "webcrypto-all": "all AES and SHA-1 in WebCrypto",
}


def read(results):
    path = os.path.join(results, "workerd.json")
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as f:
        lines = [line for line in f if line.strip().startswith("{")]
    return json.loads(lines[-1]) if lines else None


def fmt(x):
    return "—" if x is None else (f"{x:.2f} µs" if x < 100 else f"{x:.0f} µs")


def speedup(ours, peer):
    if ours is None or peer is None:
        return "—"
    s = peer / ours
    return f"{s:.2f}× faster" if s >= 1 else f"{1 / s:.2f}× slower"


def fastest_peers(peer_of, peers):
    """case -> (µs, peer label) of the fastest peer that ran the case."""
    out = {}
    for c in CASES:
        figures = [(peer_of(p, c), label) for p, label in peers if peer_of(p, c) is not None]
        if figures:
            out[c] = min(figures)
    return out


def target_row(results, peer_of, peers):
    """The issue-18 target row: every safe-mode case ≥ 5× faster than the fastest peer, in workerd."""
    data = read(results)
    name = f"safe mode inside workerd ≥ {TARGET_SPEEDUP:.0f}× faster than the fastest peer, every case"
    if not data:
        return f"| {name} | not measured (workerd step failed or skipped) | **no figure** |"
    ours = {r["name"]: r["us"] for r in data["results"] if r["engine"] == "webcrypto"}
    fastest = fastest_peers(peer_of, peers)
    parts, met = [], True
    for c in SAFE_CASES:
        if c in ours and c in fastest:
            s = fastest[c][0] / ours[c]
            met &= s >= TARGET_SPEEDUP
            parts.append(f"{c} {s:.2f}× ({fmt(ours[c])} vs {fastest[c][1]} {fmt(fastest[c][0])})")
        else:
            met = False
    return f"| {name} | {'; '.join(parts)} | {'**yes**' if met else '**no**'} |"


def render(results, peer_of, peers):
    data = read(results)
    out = ["## Safe mode inside workerd (issue 18, item 1)", ""]
    if not data:
        out += ["Not measured in this run (the workerd step failed or was skipped; see the script's output).", ""]
        return out
    out.append(
        "The same pipeline as the tables above (query → signatures → decrypt → parse → plan → reply → encrypt → sign), run inside "
        "`workerd` itself: `scripts/bench.sh` builds the Worker with the `bench` feature (one extra route, `POST /_bench/push`, "
        "`src/push/bench.rs`; the deployed Worker has no such route) and serves it with the `workerd` binary wrangler ships "
        "(`benches/workerd/config.capnp`: no wrangler, no inspector). Each request runs one case `n` times in the isolate; the "
        "client times a request with `n` and one with 0 and divides the difference by `n`, so the runtime's per-request cost "
        "cancels and no clock inside the isolate is needed (workerd's clock stands still during computation). The figure is the "
        "median of `BENCH_RUNS` (7) such pairs, the fastest and slowest beside it; every reply is checked byte for byte against "
        "the native one. "
        "The peers' figures are theirs in their own process (the tables above); none of them runs inside a Worker."
    )
    out.append("")
    engines = [e for e in ENGINE_LABELS if any(r["engine"] == e for r in data["results"])]
    by = {(r["name"], r["engine"]): r for r in data["results"]}
    fastest = fastest_peers(peer_of, peers)
    out.append("| case | " + " | ".join(ENGINE_LABELS[e] for e in engines) + " | fastest peer | ours ÷ fastest peer |")
    out.append("|---|" + "---:|" * len(engines) + "---|---|")
    for c in CASES:
        cells = []
        for e in engines:
            r = by.get((c, e))
            cells.append("—" if r is None else f"{fmt(r['us'])} ({fmt(r['min_us'])}–{fmt(r['max_us'])})")
        peer = fastest.get(c)
        ours = by.get((c, "webcrypto"))
        out.append(f"| {c} | " + " | ".join(cells) + f" | {'—' if peer is None else fmt(peer[0]) + ' ' + peer[1]} | "
                   f"{speedup(ours and ours['us'], peer and peer[0])} |")
    out.append("")
    prims = data.get("primitives") or []
    if prims:
        out.append("### Each primitive alone: where WebCrypto pays for its round trip")
        out.append("")
        out.append("One primitive `n` times on a buffer of the given length, inside workerd (`POST /_bench/primitive`): in wasm "
                   "(RustCrypto: bitsliced, constant-time AES; SHA-1) or through `crypto.subtle` (BoringSSL), which from wasm costs a "
                   "promise, its await through wasm-bindgen-futures and two copies. The Worker's thresholds "
                   "(`push::webcrypto::THRESHOLDS`) come from this table.")
        out.append("")
        lens = sorted({p["len"] for p in prims})
        out.append("| primitive | engine | " + " | ".join(f"{n} B" for n in lens) + " |")
        out.append("|---|---|" + "---:|" * len(lens))
        pby = {(p["op"], p["engine"], p["len"]): p["us"] for p in prims}
        for op, op_label in [("cbc_decrypt", "AES-256-CBC decrypt"), ("cbc_encrypt", "AES-256-CBC encrypt"), ("sha1", "SHA-1")]:
            for engine, engine_label in [("software", "wasm"), ("webcrypto-all", "WebCrypto")]:
                out.append(f"| {op_label} | {engine_label} | " + " | ".join(fmt(pby.get((op, engine, n))) for n in lens) + " |")
        out.append("")
    return out
