// Times our pipeline compiled to wasm32 (benches/wasm) inside Node's V8, the engine the Worker
// runs on. Usage: node wasm.mjs <inputs dir> <harness.wasm>. Prints one JSON line.
//
// The harness links the whole wechat-edge crate, so the Worker's wasm-bindgen imports come
// along; none is reachable from the benchmarked functions, so each is a stub that throws.

import fs from 'node:fs';
import { bench, checkReply, emit, loadInputs, maxRssKb } from './timing.mjs';

const [dir, wasmPath] = process.argv.slice(2);
const { push, login } = loadInputs(dir);

const module = await WebAssembly.compile(fs.readFileSync(wasmPath));
const imports = {};
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.kind !== 'function') throw new Error(`unexpected ${imp.kind} import ${imp.module}.${imp.name}`);
  (imports[imp.module] ??= {})[imp.name] = () => {
    throw new Error(`stub import ${imp.name} was called`);
  };
}
const wasm = (await WebAssembly.instantiate(module, imports)).exports;

function pass(json) {
  const bytes = Buffer.from(json, 'utf8');
  const ptr = wasm.bench_alloc(bytes.length);
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return [ptr, bytes.length];
}

const results = [];
for (const c of push) {
  const handle = wasm.push_load(...pass(JSON.stringify(c)));
  if (handle < 0) throw new Error(`${c.name}: the harness refused the case`);
  const same = wasm.push_check(handle);
  const reply = Buffer.from(new Uint8Array(wasm.memory.buffer, wasm.out_ptr(), wasm.out_len())).toString('utf8');
  if (same !== 1) throw new Error(`${c.name}: the wasm reply differs from the native one:\n${reply}\n${c.expected_reply}`);
  checkReply(c, reply);
  results.push(
    bench(`push ${c.name}`, (n) => {
      if (wasm.push_run(handle, n) !== n) throw new Error(`${c.name}: a run failed`);
    }),
  );
}

if (wasm.login_load(...pass(JSON.stringify(login))) !== 0) throw new Error('login case refused');
const loginKinds = ['open-data-decrypt', 'open-data-decrypt+watermark', 'rawdata-signature', 'session-signature'];
loginKinds.forEach((name, kind) => {
  results.push(
    bench(`login ${name}`, (n) => {
      if (wasm.login_run(kind, n) !== n) throw new Error(`${name}: a run failed`);
    }),
  );
});

emit({
  runner: 'wasm',
  label: 'ours, wasm32 in V8',
  versions: { node: process.version, v8: process.versions.v8 },
  max_rss_kb: maxRssKb(),
  wasm_memory_bytes: wasm.memory.buffer.byteLength,
  wasm_file_bytes: fs.statSync(wasmPath).size,
  results,
});
