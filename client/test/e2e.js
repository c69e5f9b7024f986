// End to end: the BUILT package (dist/) against a running worker and the WeChat simulator,
// through a wx whose login asks the simulator for a code and whose request is real HTTP.
// Run by tests/e2e_client.rs; by hand:
//   WORKER_URL=http://127.0.0.1:8787 SIM_URL=http://127.0.0.1:9000 node client/test/e2e.js
// Env: WORKER_URL, SIM_URL (required); WECHAT_APPID (default wx0000000000000001),
// WECHAT_APPID_B (a second app the worker serves, default wx0000000000000002), E2E_DIR (where
// the shim's file system writes; default a new temp dir). Every check runs and prints PASS or
// FAIL; the exit status is 1 when any failed.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const util = require('util');

const WORKER = (process.env.WORKER_URL || '').replace(/\/+$/, '');
const SIM = (process.env.SIM_URL || '').replace(/\/+$/, '');
const APPID = process.env.WECHAT_APPID || 'wx0000000000000001';
const APPID_B = process.env.WECHAT_APPID_B || 'wx0000000000000002';
const STORAGE_KEY = 'wechat-edge:token';
const HTTP_TIMEOUT_MS = 30000;

if (!WORKER || !SIM) {
  process.stderr.write('e2e.js needs WORKER_URL and SIM_URL\n');
  process.exit(2);
}
const dist = path.join(__dirname, '..', 'dist', 'index.js');
if (!fs.existsSync(dist)) {
  process.stderr.write('client/dist/index.js is missing: run `npm ci && npm run build` in client/ first\n');
  process.exit(2);
}
const { createClient, WechatEdgeError } = require(dist);

// Our own report goes to stdout directly; console.* is captured to prove the client prints nothing.
const out = (line) => process.stdout.write(line + '\n');
const printed = [];
for (const m of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  console[m] = (...args) => printed.push(util.format(...args));
}

// ---- plain HTTP helpers ----

async function http(method, url, { body, token, headers } = {}) {
  const h = Object.assign({}, headers);
  if (body !== undefined) h['Content-Type'] = 'application/json';
  if (token) h.Authorization = 'Bearer ' + token;
  const res = await fetch(url, {
    method,
    headers: h,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  const text = await res.text();
  let data = text;
  try {
    data = JSON.parse(text);
  } catch (e) {
    // not JSON: keep the text
  }
  return { status: res.status, data };
}

async function sim(method, p, body) {
  const r = await http(method, SIM + p, { body });
  if (r.status !== 200) throw new Error(`simulator ${method} ${p}: ${r.status} ${JSON.stringify(r.data)}`);
  return r.data;
}

async function code2sessionCalls() {
  const log = await sim('GET', '/_sim/log?path=/sns/jscode2session');
  return log.calls.length;
}

// ---- the wx shim: the simulator plays the device, fetch plays wx.request ----

function realWx(fileDir) {
  const wx = {
    storage: new Map(),
    logins: 0,
    pendingLogins: 0,
    loginOverlaps: 0,
    openid: null,
    requests: [],
    env: { USER_DATA_PATH: fileDir },
    count(key) {
      return wx.requests.filter((r) => r === key).length;
    },

    // One device, one user: the first code creates the user, later ones are for the same openid.
    login(opts) {
      wx.logins += 1;
      if (wx.pendingLogins > 0) wx.loginOverlaps += 1;
      wx.pendingLogins += 1;
      const body = { appid: APPID };
      if (wx.openid) body.openid = wx.openid;
      sim('POST', '/_sim/login_code', body).then(
        (v) => {
          wx.pendingLogins -= 1;
          wx.openid = v.openid;
          opts.success && opts.success({ code: v.code, errMsg: 'login:ok' });
        },
        (e) => {
          wx.pendingLogins -= 1;
          opts.fail && opts.fail({ errMsg: 'login:fail ' + e.message });
        },
      );
    },

    request(opts) {
      const method = (opts.method || 'GET').toUpperCase();
      let url = opts.url;
      const headers = Object.assign({}, opts.header);
      let body;
      if (opts.data !== undefined && opts.data !== null) {
        if (method === 'GET' || method === 'HEAD') {
          const q = new URLSearchParams(opts.data).toString();
          if (q) url += (url.includes('?') ? '&' : '?') + q;
        } else if (typeof opts.data === 'string' || opts.data instanceof ArrayBuffer) {
          body = opts.data;
        } else {
          body = JSON.stringify(opts.data);
          if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type')) headers['Content-Type'] = 'application/json';
        }
      }
      wx.requests.push(method + ' ' + new URL(url).pathname);
      fetch(url, { method, headers, body, signal: AbortSignal.timeout(opts.timeout || HTTP_TIMEOUT_MS) })
        .then(async (res) => {
          const header = {};
          res.headers.forEach((v, k) => {
            header[k] = v;
          });
          let data;
          if (opts.responseType === 'arraybuffer') {
            data = await res.arrayBuffer();
          } else {
            data = await res.text();
            if (opts.dataType === undefined || opts.dataType === 'json') {
              try {
                data = JSON.parse(data);
              } catch (e) {
                // wx.request hands over the text when it is no JSON
              }
            }
          }
          opts.success && opts.success({ statusCode: res.status, data, header, errMsg: 'request:ok' });
        })
        .catch((e) => opts.fail && opts.fail({ errMsg: 'request:fail ' + e.message }));
      return { abort() {} };
    },

    getStorageSync: (k) => (wx.storage.has(k) ? wx.storage.get(k) : ''),
    setStorageSync: (k, v) => void wx.storage.set(k, v),
    removeStorageSync: (k) => void wx.storage.delete(k),

    getFileSystemManager() {
      return {
        writeFile(opts) {
          const data = opts.data instanceof ArrayBuffer ? Buffer.from(opts.data) : opts.data;
          fs.writeFile(opts.filePath, data, (err) =>
            err ? opts.fail && opts.fail({ errMsg: 'writeFile:fail ' + err.message }) : opts.success && opts.success({ errMsg: 'writeFile:ok' }),
          );
        },
      };
    },

    requestPayment(opts) {
      opts.fail && opts.fail({ errMsg: 'requestPayment:fail not available in the e2e shim' });
    },
  };
  return wx;
}

// ---- the checks ----

const results = [];

async function check(name, fn) {
  const started = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    out(`PASS ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    const why =
      e instanceof WechatEdgeError ? `WechatEdgeError ${e.code} (${e.status}): ${e.message}` : e instanceof Unmet ? e.message : e && e.stack ? e.stack : String(e);
    out(`FAIL ${name}: ${why}`);
  }
}

/** A check that did not hold: reported by its message alone (anything else with its stack). */
class Unmet extends Error {}

function expect(cond, what) {
  if (!cond) throw new Unmet(what);
}

function expectEq(actual, expected, what) {
  if (actual !== expected) throw new Unmet(`${what}: expected ${util.inspect(expected)}, got ${util.inspect(actual)}`);
}

async function rejectionOf(promise) {
  try {
    const v = await promise;
    throw new Unmet('expected a rejection, got ' + util.inspect(v));
  } catch (e) {
    if (!(e instanceof WechatEdgeError)) throw e;
    return e;
  }
}

async function main() {
  const fileDir = process.env.E2E_DIR || fs.mkdtempSync(path.join(os.tmpdir(), 'wechat-edge-client-'));
  fs.mkdirSync(fileDir, { recursive: true });
  const wx = realWx(fileDir);
  const client = createClient({ baseUrl: WORKER, wx });
  const issued = new Set();
  const remember = () => {
    const t = wx.storage.get(STORAGE_KEY);
    if (t) issued.add(t);
    return t;
  };

  await check('login: wx.login, /api/login, the token stored, /api/me answers for that user', async () => {
    const before = await code2sessionCalls();
    const info = await client.login();
    expectEq(info.openid, wx.openid, 'the openid the simulator gave the device');
    expect(!('token' in info), 'login() hands out no token');
    const token = remember();
    expect(typeof token === 'string' && token.length >= 32, 'a session token in storage under ' + STORAGE_KEY);
    expectEq((await client.me()).openid, wx.openid, '/api/me openid');
    expectEq((await code2sessionCalls()) - before, 1, 'jscode2session calls');
  });

  await check('20 concurrent requests after the session was revoked: 1 wx.login, 1 /api/login, 1 jscode2session, 20 answers', async () => {
    const stale = remember();
    const r = await http('POST', WORKER + '/api/logout', { token: stale });
    expectEq(r.status, 204, 'logout of the stored token behind the client');
    const gone = await http('GET', WORKER + '/api/me', { token: stale });
    expectEq(gone.status, 401, 'the revoked token is refused');
    expectEq(gone.data.error && gone.data.error.code, 'session_expired', 'the refusal code');

    const j2s = await code2sessionCalls();
    const logins = wx.logins;
    const loginPosts = wx.count('POST /api/login');
    const answers = await Promise.all(Array.from({ length: 20 }, () => client.me()));
    expectEq(answers.filter((me) => me.openid === wx.openid).length, 20, 'good answers');
    expectEq(wx.logins - logins, 1, 'wx.login calls');
    expectEq(wx.loginOverlaps, 0, 'wx.login calls while one was pending');
    expectEq(wx.count('POST /api/login') - loginPosts, 1, '/api/login requests');
    expectEq((await code2sessionCalls()) - j2s, 1, 'jscode2session calls');
    const fresh = remember();
    expect(fresh && fresh !== stale, 'a new token in storage');
  });

  await check('the same login body sent twice at once gives one session', async () => {
    const { code } = await sim('POST', '/_sim/login_code', { appid: APPID });
    const [a, b] = await Promise.all([
      http('POST', WORKER + '/api/login', { body: { code } }),
      http('POST', WORKER + '/api/login', { body: { code } }),
    ]);
    const show = (x) => `${x.status} ${x.data && x.data.error ? x.data.error.code : ''}`;
    expect(a.status === 200 && b.status === 200, `both answers 200: got ${show(a)} and ${show(b)}`);
    expect(a.data.token === b.data.token, 'the same session token in both answers');
    expectEq(a.data.openid, b.data.openid, 'openid');
    const again = await http('POST', WORKER + '/api/login', { body: { code } });
    expect(again.status === 200 && again.data.token === a.data.token, `a retry after the answer gets the same session: got ${show(again)}`);
    const me = await http('GET', WORKER + '/api/me', { token: a.data.token });
    expectEq(me.status, 200, 'the session works');
    await http('POST', WORKER + '/api/logout', { token: a.data.token });
  });

  await check('user data: decrypted and verified server-side; a tampered rawData is refused without a re-login', async () => {
    const data = await sim('POST', '/_sim/open_data', { appid: APPID, openid: wx.openid });
    const user = await client.decryptUserData(data);
    expectEq(user.watermark && user.watermark.appid, APPID, 'watermark.appid');
    expectEq(await client.verifyUserInfo(data), undefined, 'verify resolves');
    const logins = wx.logins;
    const e = await rejectionOf(client.verifyUserInfo({ rawData: '{"nickName":"Mallory"}', signature: data.signature }));
    expectEq(e.code, 'signature_mismatch', 'code');
    expectEq(e.status, 401, 'status');
    expectEq(wx.logins, logins, 'no re-login for signature_mismatch');
  });

  await check('phone number from a getPhoneNumber code', async () => {
    const { code } = await sim('POST', '/_sim/phone_code', { appid: APPID, openid: wx.openid, phone: '+8613800138000' });
    const phone = await client.getPhoneNumber({ code, errMsg: 'getPhoneNumber:ok' });
    expectEq(phone.purePhoneNumber, '13800138000', 'purePhoneNumber');
    expectEq(String(phone.countryCode), '86', 'countryCode');
    const e = await rejectionOf(client.getPhoneNumber(code));
    expectEq(e.code, 'invalid_phone_code', 'a used phone code');
    expectEq(e.status, 400, 'its status');
    expectEq(e.wechatErrcode, 40029, 'its WeChat errcode');
  });

  await check('QR codes saved under USER_DATA_PATH: JPEG, and PNG when transparent; an invalid field is a 400 naming it', async () => {
    const jpg = await client.qrcode({ scene: 'id=42&src=client', width: 300 });
    expect(jpg.startsWith(fileDir + '/') && jpg.endsWith('.jpg'), 'a .jpg under USER_DATA_PATH: ' + jpg);
    const jb = fs.readFileSync(jpg);
    expect(jb.length > 100 && jb[0] === 0xff && jb[1] === 0xd8 && jb[2] === 0xff, 'JPEG magic bytes');
    const png = await client.qrcode({ scene: 'clear', is_hyaline: true });
    expect(png.endsWith('.png'), 'a .png: ' + png);
    const pb = fs.readFileSync(png);
    expect(pb.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'PNG magic bytes');
    const e = await rejectionOf(client.qrcode({ scene: 'x', width: 100 }));
    expectEq(e.code, 'invalid_field', 'code');
    expectEq(e.status, 400, 'status');
    expect(e.message.startsWith('`width`'), 'the message names the field: ' + e.message);
  });

  await check('a session of one app used for another (X-WeChat-AppId) is wrong_app, not retried', async () => {
    const other = createClient({ baseUrl: WORKER, appid: APPID_B, wx });
    const logins = wx.logins;
    const e = await rejectionOf(other.me());
    expectEq(e.code, 'wrong_app', 'code');
    expectEq(e.status, 401, 'status');
    expectEq(wx.logins, logins, 'no re-login');
  });

  await check('logout: the session is revoked at the worker and the token forgotten', async () => {
    const token = remember();
    await client.logout();
    expectEq(client.hasToken(), false, 'hasToken after logout');
    expect(!wx.storage.has(STORAGE_KEY), 'storage cleared');
    const r = await http('GET', WORKER + '/api/me', { token });
    expectEq(r.status, 401, 'the old token');
    expectEq(r.data.error && r.data.error.code, 'session_expired', 'its code');
  });

  await check('the client printed nothing, and no token reached the console', async () => {
    expectEq(printed.length, 0, 'console lines from the client');
    const text = printed.join('\n');
    for (const t of issued) expect(!text.includes(t), 'a token was printed');
  });

  const failed = results.filter((r) => !r.ok).length;
  out(`client e2e: ${results.length - failed} passed, ${failed} failed`);
  process.exitCode = failed ? 1 : 0;
}

const watchdog = setTimeout(() => {
  out('client e2e: gave up after 180 s');
  process.exit(1);
}, 180000);
watchdog.unref();

main().catch((e) => {
  out('client e2e: crashed: ' + (e && e.stack ? e.stack : e));
  process.exitCode = 1;
});
