// The Worker's wasm startup cost in Node's V8 (issue 18, item 4; run by examples/worker_cpu.rs
// in fresh processes, since V8 caches a module compiled earlier in the same process):
//   compile_ms      `await WebAssembly.compile(bytes)` of build/index_bg.wasm, wall time
//   compile_cpu_ms  the process's CPU time (all threads) over that compile
//   instantiate_ms  `new WebAssembly.Instance(module, imports)` with stub imports (nothing the
//                   instance calls while it is created; the Worker's shim then calls
//                   __wbindgen_start, which is left out)
// Node's V8 is not workerd's (both are printed), and V8 compiles wasm lazily by default (a
// function is compiled fully on its first call), so this is the up-front part only: what an
// isolate pays before its first request runs any of our code.
// Usage: node wasm_startup.mjs <wasm file>. Prints one JSON line.

import { readFileSync } from 'node:fs';

const path = process.argv[2];
const bytes = readFileSync(path);

function stubImports(module) {
  const imports = {};
  for (const { module: m, name, kind } of WebAssembly.Module.imports(module)) {
    imports[m] ??= {};
    if (kind === 'function') imports[m][name] = () => { throw new Error(`stub import ${m}.${name} called`); };
    else if (kind === 'memory') imports[m][name] = new WebAssembly.Memory({ initial: 17 });
    else if (kind === 'table') imports[m][name] = new WebAssembly.Table({ initial: 0, element: 'anyfunc' });
    else if (kind === 'global') imports[m][name] = new WebAssembly.Global({ value: 'i32', mutable: true }, 0);
    else if (kind === 'tag') imports[m][name] = WebAssembly.JSTag ?? new WebAssembly.Tag({ parameters: ['externref'] });
  }
  return imports;
}

const out = { node: process.version, v8: process.versions.v8, wasm_bytes: bytes.length };
// Node does not wait for V8's background compile jobs (with eager compilation the process would
// exit with the await unsettled): keep the event loop alive until the end.
const keepAlive = setInterval(() => {}, 1000);
try {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const module = await WebAssembly.compile(bytes);
  const t1 = process.hrtime.bigint();
  const cpu = process.cpuUsage(cpu0);
  out.compile_ms = Number(t1 - t0) / 1e6;
  // CPU of the whole process over the compile, every thread (V8 compiles on background threads).
  out.compile_cpu_ms = (cpu.user + cpu.system) / 1e3;
  const imports = stubImports(module);
  const t2 = process.hrtime.bigint();
  new WebAssembly.Instance(module, imports);
  out.instantiate_ms = Number(process.hrtime.bigint() - t2) / 1e6;
} catch (e) {
  out.error = String(e && e.message ? e.message : e);
}
clearInterval(keepAlive);
console.log(JSON.stringify(out));
