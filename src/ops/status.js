// The status page: renders GET /admin/stats.json (the cookie authorises it). No build step.
"use strict";

const CELLS = [
  ["token.state", "access_token"], ["token.expires_in", "token expires in (min)"], ["token.refreshes", "token refreshes"],
  ["token.failures", "token refresh failures"], ["jsapi_ticket.state", "jsapi_ticket"], ["jsapi_ticket.expires_in", "ticket expires in (min)"],
  ["pushes.received", "pushes (24 h)"], ["pushes.redeliveries", "redeliveries"], ["pushes.refused", "refused pushes"],
  ["outbox.pending", "outbox pending"], ["outbox.uncertain", "outbox uncertain"], ["outbox.failed", "outbox failed"],
  ["qr.made", "QR codes made"], ["qr.cached", "QR from cache"], ["qr.limited_quota_left", "A+C quota left"],
  ["logins", "logins"], ["web_logins", "web logins"], ["scan_logins", "scan logins"],
  ["orders.created", "orders"], ["orders.paid", "paid"], ["notifies", "pay notifies"], ["refunds", "refunds"],
  ["wechat.errors", "WeChat errors"],
];

function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = String(text);
  return e;
}

let generatedAt = 0;

function minutesLeft(t) {
  return t && t.expires_at ? Math.max(0, Math.floor((t.expires_at - generatedAt) / 60)) : null;
}

function value(app, key) {
  if (key === "token.state") return app.token.state;
  if (key === "token.expires_in") return minutesLeft(app.token);
  if (key === "token.refreshes") return app.token.refreshes;
  if (key === "token.failures") return app.token.failures;
  if (key === "jsapi_ticket.state") return app.jsapi_ticket ? app.jsapi_ticket.state : null;
  if (key === "jsapi_ticket.expires_in") return minutesLeft(app.jsapi_ticket);
  if (key.startsWith("outbox.")) return app.outbox[key.slice(7)];
  if (key === "qr.limited_quota_left") return app.qr.limited_quota_left;
  return app.totals[key] ?? 0;
}

// Counters per hour for the last 24 hours as SVG bars, one colour per series.
function chart(app, label, series) {
  const ns = "http://www.w3.org/2000/svg";
  const svg = document.createElementNS(ns, "svg");
  svg.setAttribute("viewBox", "0 0 240 90");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", `${label} per hour, last 24 hours`);
  const max = Math.max(1, ...app.hours.flatMap((h) => series.map(([name]) => h.counters[name] || 0)));
  app.hours.forEach((h, i) => {
    series.forEach(([name, colour], j) => {
      const n = h.counters[name] || 0;
      const height = Math.round((n / max) * 80);
      const r = document.createElementNS(ns, "rect");
      r.setAttribute("x", String(i * 10 + j * 3));
      r.setAttribute("y", String(85 - height));
      r.setAttribute("width", "3");
      r.setAttribute("height", String(height));
      r.setAttribute("fill", colour);
      const t = document.createElementNS(ns, "title");
      t.textContent = `${new Date(h.hour * 1000).toISOString().slice(11, 16)} ${name}: ${n}`;
      r.appendChild(t);
      svg.appendChild(r);
    });
  });
  return svg;
}

function render(data) {
  const main = document.getElementById("apps");
  main.textContent = "";
  generatedAt = data.generated_at;
  document.getElementById("generated").textContent = new Date(data.generated_at * 1000).toISOString();
  for (const app of data.apps) {
    const section = el("section", { class: "app", "data-appid": app.appid });
    section.appendChild(el("h2", {}, `${app.appid} · ${app.app_type}`));
    const grid = el("div", { class: "grid" });
    for (const [key, label] of CELLS) {
      const v = value(app, key);
      if (v === null || v === undefined) continue;
      const cell = el("div", { class: "cell" });
      const b = el("b", { "data-stat": key }, v);
      if (key.endsWith(".state")) b.className = v;
      cell.appendChild(b);
      cell.appendChild(el("span", {}, label));
      grid.appendChild(cell);
    }
    section.appendChild(grid);
    if (app.token.refreshing) section.appendChild(el("p", { class: "due" }, "the access token is being refreshed"));
    if (app.token.last_error) section.appendChild(el("p", { class: "failing" }, `last token error: ${app.token.last_error}`));
    const kinds = Object.entries(app.totals).filter(([k, n]) => k.startsWith("pushes.kind.") && n > 0);
    if (kinds.length) {
      section.appendChild(el("p", { "data-kinds": app.appid }, "pushes by kind: " + kinds.map(([k, n]) => `${k.slice(12)} ${n}`).join(", ")));
    }
    section.appendChild(el("h3", {}, "pushes per hour: received, redeliveries, refused"));
    section.appendChild(chart(app, "pushes", [["pushes.received", "#9aa4ae"], ["pushes.redeliveries", "#d99a00"], ["pushes.refused", "#b3261e"]]));
    section.appendChild(el("h3", {}, "logins per hour: mini program, web, scan"));
    section.appendChild(chart(app, "logins", [["logins", "#2f6fde"], ["web_logins", "#1b7f3b"], ["scan_logins", "#7a3fb0"]]));
    if (app.errcodes.length) {
      const table = el("table", { "data-errcodes": app.appid });
      table.appendChild(el("tr", {})).append(el("th", {}, "errcode"), el("th", {}, "call"), el("th", {}, "when"));
      for (const e of app.errcodes) {
        table.appendChild(el("tr", {})).append(el("td", {}, e.errcode), el("td", {}, e.path), el("td", {}, new Date(e.at * 1000).toISOString()));
      }
      section.appendChild(table);
    }
    main.appendChild(section);
  }
  document.body.dataset.ready = "1";
}

async function load() {
  const r = await fetch("/admin/stats.json", { credentials: "same-origin", cache: "no-store" });
  if (r.status === 401) { location.href = "/admin"; return; }
  render(await r.json());
}

load().catch((e) => { document.getElementById("apps").textContent = `Could not load the stats: ${e}`; });
