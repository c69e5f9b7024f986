# workerd on its own (no wrangler, no inspector, as in production): serves the bench Worker
# (target/bench-worker/build, the `bench` feature) on the address given with
# `workerd serve benches/workerd/config.capnp --socket-addr http=127.0.0.1:PORT`.
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .bench)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);

const bench :Workerd.Worker = (
  modules = [
    (name = "index.js", esModule = embed "../../target/bench-worker/build/index.js"),
    (name = "index_bg.wasm", wasm = embed "../../target/bench-worker/build/index_bg.wasm"),
  ],
  compatibilityDate = "2026-04-01",
);
