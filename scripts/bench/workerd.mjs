// Times the push pipeline inside workerd, where the Worker really runs: the Worker built with
// the `bench` feature (POST /_bench/push, src/push/bench.rs) under `wrangler dev`.
// Usage: node workerd.mjs <base url> <inputs dir>. Prints one JSON line.
//
// Each request runs the pipeline n times in the isolate. The client times a request with n and
// one with n = 0, one after the other, and takes (t_n - t_0) / n: the runtime's per-request
// cost (HTTP, routing, JSON body) cancels, and no clock inside the isolate is needed (workerd's
// clock does not advance during pure computation). Repeated RUNS times; the figure is the
// median, with the minimum and maximum beside it.

import { loadInputs } from './timing.mjs';

const [base, dir] = process.argv.slice(2);
const { push } = loadInputs(dir);
const ENGINES = (process.env.BENCH_ENGINES || 'software,webcrypto,webcrypto-all').split(',');
const only = process.env.BENCH_CASES ? process.env.BENCH_CASES.split(',') : null;
const RUNS = Number(process.env.BENCH_RUNS || 7);
const TARGET_MS = Number(process.env.BENCH_RUN_MS || 150);

const PRIMITIVE_LENS = [32, 64, 128, 256, 512, 1024, 2048];
const PRIMITIVE_ENGINES = ['software', 'webcrypto-all'];

// One request: `path` with `job` plus n; returns the milliseconds from send to the last byte.
async function post(path, job, n, check) {
  const body = JSON.stringify({ ...job, n });
  const started = process.hrtime.bigint();
  const r = await fetch(`${base}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
  const text = await r.text();
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (r.status !== 200) throw new Error(`${path} ${JSON.stringify(job).slice(0, 80)}: status ${r.status}: ${text}`);
  check(JSON.parse(text));
  return ms;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const WARM_MS = Number(process.env.BENCH_WARM_MS || 300);

// µs per iteration: warm up for ~WARM_MS of work (V8 tiers the wasm up as it runs, so the
// first case measured must not pay for it), size n for ~TARGET_MS of work, then RUNS pairs
// (0, n).
async function time(path, job, check) {
  let n = 200;
  let probe = 0;
  for (let warmed = 0; warmed < WARM_MS; warmed += probe) {
    probe = Math.max((await post(path, job, n, check)) - (await post(path, job, 0, check)), 1);
    if (probe < TARGET_MS / 4) n *= 2;
  }
  n = Math.max(200, Math.round((n * TARGET_MS) / probe));
  const per = [];
  for (let i = 0; i < RUNS; i++) {
    const empty = await post(path, job, 0, check);
    const full = await post(path, job, n, check);
    per.push(((full - empty) * 1000) / n);
  }
  return { n, us: median(per), min_us: Math.min(...per), max_us: Math.max(...per) };
}

const results = [];
for (const c of push.filter((c) => !only || only.includes(c.name))) {
  for (const engine of ENGINES) {
    const t = await time('/_bench/push', { case: c, engine }, (a) => {
      if (a.reply_matches !== true) throw new Error(`${c.name} ${engine}: the reply differs from the native one`);
    });
    results.push({ name: c.name, engine, ...t });
    process.stderr.write(`  ${c.name.padEnd(16)} ${engine.padEnd(16)} ${t.us.toFixed(2)} µs (min ${t.min_us.toFixed(2)}, n=${t.n})\n`);
  }
}
const primitives = [];
if (!process.env.BENCH_SKIP_PRIMITIVES) {
  for (const op of ['cbc_decrypt', 'cbc_encrypt', 'sha1']) {
    for (const len of PRIMITIVE_LENS) {
      for (const engine of PRIMITIVE_ENGINES) {
        const t = await time('/_bench/primitive', { op, engine, len }, () => {});
        primitives.push({ op, len, engine, ...t });
        process.stderr.write(`  ${op.padEnd(12)} ${String(len).padStart(5)} B ${engine.padEnd(14)} ${t.us.toFixed(2)} µs\n`);
      }
    }
  }
}
console.log(JSON.stringify({ runner: 'workerd', results, primitives }));
