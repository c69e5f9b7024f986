// The status page (/admin) in headless Chromium, as an operator uses it: a wrong key first,
// then the right one; reads every number the page shows and saves a full-page screenshot.
// Run by tests/e2e_admin.rs, which compares the numbers with GET /internal/stats.
//
//   BASE_URL=http://127.0.0.1:8787 INTERNAL_KEY=... CHROMIUM=/usr/bin/chromium \
//   SCREENSHOT=target/admin-status.png node tests/browser/admin.mjs
//
// Optional: WRONG_KEY (default: the key with a character changed), TIMEOUT_MS (default 90000:
// the whole run). Prints one JSON object on stdout:
//   {"chromium", "login_page": {"status"}, "wrong_key": {"status", "error", "url"},
//    "login": {"status", "redirects", "url", "cookie"}, "stats_json": [status, ...],
//    "apps": {APPID: {STAT: "text", ...}}, "duplicates": [...], "page_errors": [...],
//    "console_errors": [...], "key_in_url": [...], "screenshot"}
// and exits 0; on a failure it says why on stderr, saves SCREENSHOT with "-failed" before its
// extension when it can, and exits 1. The browser's pid goes to stderr as `chromium pid N`
// (its own process group), so a caller that has to kill this script can kill it too.
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    console.error(`admin.mjs: set ${name}`);
    process.exit(2);
  }
  return value;
};
const base = env('BASE_URL').replace(/\/+$/, '');
const key = env('INTERNAL_KEY');
const chromium = env('CHROMIUM');
const screenshot = path.resolve(env('SCREENSHOT'));
const wrongKey = process.env.WRONG_KEY || `${key.slice(0, -1)}${key.endsWith('x') ? 'y' : 'x'}`;
const timeoutMs = Number(process.env.TIMEOUT_MS || 90000);
const step = Math.min(30000, timeoutMs);

let browser;
let closing;
const closeBrowser = () => {
  closing ??= (async () => {
    if (!browser) return;
    try {
      await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 5000))]);
    } catch {
      // below
    }
    try {
      browser.process()?.kill('SIGKILL');
    } catch {
      // already gone
    }
  })();
  return closing;
};
const fail = async (why) => {
  console.error(`admin.mjs: ${why}`);
  process.exitCode = 1;
  await closeBrowser();
  process.exit(1);
};
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => void fail(`stopped by ${signal}`));
}
setTimeout(() => void fail(`not done within ${timeoutMs} ms`), timeoutMs).unref();

const check = (ok, why) => {
  if (!ok) throw new Error(why);
};

const result = {
  chromium: null,
  login_page: null,
  wrong_key: null,
  login: null,
  stats_json: [],
  apps: {},
  duplicates: [],
  page_errors: [],
  console_errors: [],
  key_in_url: [],
  screenshot,
};

let page;
try {
  const args = [
    '--disable-gpu',
    '--disable-dev-shm-usage',
    '--disable-quic',
    // Nothing but loopback is reachable here: no background calls to Google's hosts.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-domain-reliability',
    '--no-first-run',
    '--no-default-browser-check',
    '--lang=en-US',
  ];
  // Chromium's sandbox refuses to start as root.
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    pipe: true,
    args,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
    timeout: step,
    protocolTimeout: step,
    defaultViewport: { width: 1280, height: 800, deviceScaleFactor: 1 },
  });
  console.error(`chromium pid ${browser.process()?.pid}`);
  result.chromium = await browser.version();

  page = await browser.newPage();
  page.setDefaultTimeout(step);
  page.setDefaultNavigationTimeout(step);
  page.on('pageerror', (e) => result.page_errors.push(String(e?.message ?? e)));
  page.on('console', (m) => {
    if (m.type() === 'error') result.console_errors.push(m.text());
  });
  page.on('request', (r) => {
    const url = r.url();
    if (url.includes(key) || url.includes(encodeURIComponent(key))) result.key_in_url.push(url);
  });
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/admin/stats.json') result.stats_json.push(r.status());
  });

  // Submits the login form with `value`, as a person would: types it and clicks the button.
  const submit = async (value) => {
    const form = await page.$('form#login');
    check(form, `no form#login on ${page.url()}`);
    const how = await form.evaluate((f) => ({
      method: (f.getAttribute('method') || '').toLowerCase(),
      action: f.getAttribute('action'),
      password: !!f.querySelector('input[name="key"][type="password"]'),
      button: !!f.querySelector('button:not([type]), button[type="submit"], input[type="submit"]'),
    }));
    check(how.method === 'post', `form#login's method is ${JSON.stringify(how.method)}, not post`);
    check(how.action === '/admin/login', `form#login's action is ${JSON.stringify(how.action)}, not /admin/login`);
    check(how.password, 'form#login has no <input name="key" type="password">');
    check(how.button, 'form#login has no submit button');
    const input = await form.$('input[name="key"]');
    await input.click({ count: 3 });
    await input.evaluate((i) => {
      i.value = '';
    });
    await input.type(value);
    const button = await form.$('button:not([type]), button[type="submit"], input[type="submit"]');
    const [response] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
    check(response, 'the form submitted, but no document loaded');
    return response;
  };

  const first = await page.goto(`${base}/admin`, { waitUntil: 'load' });
  result.login_page = { status: first?.status() ?? null };
  check(first?.status() === 200, `GET /admin without a session answered ${first?.status()}, not 200`);

  // A wrong key: refused, and the form again with a message.
  const refused = await submit(wrongKey);
  const error = await page.$eval('#error', (e) => e.textContent.trim()).catch(() => null);
  result.wrong_key = { status: refused.status(), error, url: page.url() };
  check(refused.status() === 401, `a wrong key answered ${refused.status()}, not 401`);
  check(error, 'a wrong key shows no #error text');
  check(await page.$('form#login'), 'a wrong key shows no login form again');

  // The right key: 303 to /admin with the session cookie, then the status page.
  const accepted = await submit(key);
  const redirects = accepted.request().redirectChain().map((r) => ({
    url: r.url(),
    method: r.method(),
    status: r.response()?.status() ?? null,
    location: r.response()?.headers().location ?? null,
  }));
  const cookie = (await page.cookies()).find((c) => c.name === 'wechat_edge_admin');
  result.login = {
    status: accepted.status(),
    redirects,
    url: page.url(),
    cookie: cookie && {
      httpOnly: cookie.httpOnly,
      sameSite: cookie.sameSite ?? null,
      path: cookie.path,
      session: cookie.session,
      expires: cookie.expires,
    },
  };
  check(accepted.status() === 200, `after the login, /admin answered ${accepted.status()}, not 200`);
  check(new URL(page.url()).pathname === '/admin', `the login landed on ${page.url()}, not /admin`);
  check(
    redirects.length === 1 && redirects[0].status === 303 && redirects[0].method === 'POST',
    `the login was not one 303 from POST /admin/login: ${JSON.stringify(redirects)}`,
  );
  check(cookie, 'no wechat_edge_admin cookie after the login');

  await page.waitForSelector('body[data-ready="1"]').catch(async (e) => {
    throw new Error(`the status page never set body[data-ready="1"] (${e.message}); page errors: ${JSON.stringify(result.page_errors)}`);
  });

  const sections = await page.$$eval('section.app', (all) =>
    all.map((s) => ({
      appid: s.getAttribute('data-appid'),
      stats: [...s.querySelectorAll('[data-stat]')].map((e) => [e.getAttribute('data-stat'), e.textContent.trim()]),
    })),
  );
  check(sections.length > 0, 'the status page has no section.app');
  for (const { appid, stats } of sections) {
    check(appid, 'a section.app without data-appid');
    check(!(appid in result.apps), `two sections for ${appid}`);
    const seen = {};
    for (const [name, text] of stats) {
      if (name in seen) {
        if (seen[name] !== text) result.duplicates.push({ appid, stat: name, texts: [seen[name], text] });
      } else {
        seen[name] = text;
      }
    }
    result.apps[appid] = seen;
  }

  fs.mkdirSync(path.dirname(screenshot), { recursive: true });
  await page.screenshot({ path: screenshot, fullPage: true });
  await closeBrowser();
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
} catch (e) {
  if (page) {
    const failed = screenshot.replace(/(\.[a-z]+)?$/i, (ext) => `-failed${ext || '.png'}`);
    try {
      fs.mkdirSync(path.dirname(failed), { recursive: true });
      await page.screenshot({ path: failed, fullPage: true });
      console.error(`admin.mjs: the page at the failure: ${failed}`);
    } catch {
      // no page to show
    }
  }
  process.stdout.write(`${JSON.stringify({ ...result, failure: String(e?.message ?? e) })}\n`);
  await fail(e?.stack ?? String(e));
}
