// Timing and checks shared by the Node runners (wasm.mjs, peer_node.mjs): every runner times
// its workloads the same way, so the figures side by side are comparable.
//
// bench(name, fn): fn(n) performs the workload n times. A warm-up of ~BENCH_WARM_MS (300 ms),
// then BENCH_RUNS (7) timed runs of ~BENCH_RUN_MS (150 ms) each with process.hrtime.bigint();
// the figure is the median µs per op over those runs.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const RUN_MS = Number(process.env.BENCH_RUN_MS || 150);
const WARM_MS = Number(process.env.BENCH_WARM_MS || 300);
const RUNS = Number(process.env.BENCH_RUNS || 7);

const now = () => process.hrtime.bigint();

export function bench(name, fn) {
  // Grow n until one call takes ~10 ms; then warm up in such calls for WARM_MS; then size the
  // timed runs from the fastest warm-up call (the warmed-up rate, not the cold first calls).
  let n = 1;
  for (;;) {
    const t0 = now();
    fn(n);
    if (Number(now() - t0) >= 10e6 || n >= 1 << 24) break;
    n *= 2;
  }
  let bestNsPerOp = Infinity;
  const warmEnd = now() + BigInt(Math.round(WARM_MS * 1e6));
  do {
    const t0 = now();
    fn(n);
    bestNsPerOp = Math.min(bestNsPerOp, Number(now() - t0) / n);
  } while (now() < warmEnd);
  n = Math.max(1, Math.ceil((RUN_MS * 1e6) / bestNsPerOp));
  const perOp = [];
  for (let r = 0; r < RUNS; r++) {
    const t0 = now();
    fn(n);
    perOp.push(Number(now() - t0) / n / 1e3);
  }
  perOp.sort((a, b) => a - b);
  const median = perOp[Math.floor(perOp.length / 2)];
  const result = {
    workload: name,
    n,
    runs: RUNS,
    us_median: median,
    us_min: perOp[0],
    us_max: perOp[perOp.length - 1],
    ops_per_s: 1e6 / median,
  };
  process.stderr.write(`  ${name.padEnd(40)} ${median.toFixed(2).padStart(9)} µs/op  (n=${n})\n`);
  return result;
}

export function loadInputs(dir) {
  const index = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8'));
  const push = index.push.map((e) => JSON.parse(fs.readFileSync(path.join(dir, e.file), 'utf8')));
  const login = JSON.parse(fs.readFileSync(path.join(dir, index.login), 'utf8'));
  return { push, login };
}

/// Opens a passive reply independently of any SDK (node:crypto, by the §8.5 rules) and checks it
/// transfers the case's sender to customer service; throws otherwise.
export function checkReply(c, reply) {
  let text = String(reply);
  if (c.mode === 'safe') {
    const encrypt = c.format === 'json' ? JSON.parse(text).Encrypt : /<Encrypt>(?:<!\[CDATA\[)?([^<\]]+)/.exec(text)?.[1];
    if (!encrypt) throw new Error(`${c.name}: the reply has no Encrypt: ${text}`);
    const key = Buffer.from(c.encoding_aes_key + '=', 'base64');
    const d = crypto.createDecipheriv('aes-256-cbc', key, key.subarray(0, 16));
    d.setAutoPadding(false);
    const plain = Buffer.concat([d.update(Buffer.from(encrypt, 'base64')), d.final()]);
    const len = plain.readUInt32BE(16);
    text = plain.subarray(20, 20 + len).toString('utf8');
  }
  const user = c.format === 'json' ? JSON.parse(c.plain_body).FromUserName : /<FromUserName><!\[CDATA\[([^\]]+)/.exec(c.plain_body)[1];
  if (!text.includes('transfer_customer_service') || !text.includes(user)) {
    throw new Error(`${c.name}: not a transfer reply to the sender: ${text}`);
  }
}

/// Peak RSS in KiB: VmHWM of this process image (getrusage's maximum survives exec, so it can
/// report the parent's footprint), falling back to process.resourceUsage() off Linux.
export function maxRssKb() {
  try {
    const m = /^VmHWM:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]);
  } catch {}
  return process.resourceUsage().maxRSS;
}

export function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}
