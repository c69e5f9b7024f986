// A fake `wx` for the unit tests: login, request, storage, the file system manager and
// requestPayment, each recorded and programmable per test. Callbacks always arrive later
// (never synchronously), as in the mini-program.
'use strict';

function later(ms, fn) {
  setTimeout(fn, ms || 0);
}

/**
 * createWx() → a wx object with, besides the wx methods:
 * - `routes`: `'METHOD /path'` → handler(req) returning `{statusCode, data, header}`,
 *   `{fail: 'errMsg'}`, or a promise of either; `req` is what wx.request was called with,
 *   plus `path` (the URL without origin and query).
 * - `requests`: every wx.request call, in order; `count('POST /api/login')`.
 * - `logins`: how many times wx.login was called; `loginOverlaps`: calls made while another
 *   was still pending (a real device would invalidate the first code).
 * - `nextLogin`: () → `{code}` or `{fail}` (default: code-1, code-2, ...); `loginDelay` ms.
 * - `storage` (a Map), `files` (path → data), `writeFail` (errMsg or null),
 *   `payments` (params of each requestPayment), `paymentFail` (errMsg or null).
 */
function createWx() {
  const wx = {
    routes: {},
    requests: [],
    logins: 0,
    loginOverlaps: 0,
    pendingLogins: 0,
    loginDelay: 5,
    nextLogin: null,
    storage: new Map(),
    files: new Map(),
    writeFail: null,
    payments: [],
    paymentFail: null,
    env: { USER_DATA_PATH: 'wxfile://usr' },

    count(key) {
      return wx.requests.filter((r) => r.method + ' ' + r.path === key).length;
    },

    login(opts) {
      wx.logins += 1;
      if (wx.pendingLogins > 0) wx.loginOverlaps += 1;
      wx.pendingLogins += 1;
      const n = wx.logins;
      const outcome = wx.nextLogin ? wx.nextLogin(n) : { code: 'code-' + n };
      later(wx.loginDelay, () => {
        wx.pendingLogins -= 1;
        if (outcome.fail) opts.fail && opts.fail({ errMsg: outcome.fail });
        else opts.success && opts.success({ code: outcome.code, errMsg: 'login:ok' });
      });
    },

    request(opts) {
      const url = new URL(opts.url);
      const req = Object.assign({}, opts, {
        method: (opts.method || 'GET').toUpperCase(),
        path: url.pathname,
        origin: url.origin,
        header: Object.assign({}, opts.header),
      });
      wx.requests.push(req);
      const handler = wx.routes[req.method + ' ' + req.path];
      Promise.resolve()
        .then(() => (handler ? handler(req) : { statusCode: 404, data: { error: { code: 'not_found', message: 'no route' } } }))
        .then((answer) => {
          later(answer.delay || 1, () => {
            if (answer.fail) {
              opts.fail && opts.fail({ errMsg: answer.fail });
              return;
            }
            let data = answer.data;
            if (opts.responseType === 'arraybuffer' && !(data instanceof ArrayBuffer)) {
              const bytes = Buffer.from(typeof data === 'string' ? data : JSON.stringify(data));
              data = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
            }
            opts.success && opts.success({ statusCode: answer.statusCode, data, header: answer.header || {}, errMsg: 'request:ok' });
          });
        });
      return { abort() {} };
    },

    getStorageSync(key) {
      return wx.storage.has(key) ? wx.storage.get(key) : '';
    },
    setStorageSync(key, value) {
      wx.storage.set(key, value);
    },
    removeStorageSync(key) {
      wx.storage.delete(key);
    },

    getFileSystemManager() {
      return {
        writeFile(opts) {
          later(1, () => {
            if (wx.writeFail) {
              opts.fail && opts.fail({ errMsg: wx.writeFail });
              return;
            }
            wx.files.set(opts.filePath, opts.data);
            opts.success && opts.success({ errMsg: 'writeFile:ok' });
          });
        },
      };
    },

    requestPayment(opts) {
      const params = {};
      for (const key of Object.keys(opts)) {
        if (typeof opts[key] !== 'function') params[key] = opts[key];
      }
      wx.payments.push(params);
      later(1, () => {
        if (wx.paymentFail) opts.fail && opts.fail({ errMsg: wx.paymentFail });
        else opts.success && opts.success({ errMsg: 'requestPayment:ok' });
      });
    },
  };
  return wx;
}

function errorAnswer(statusCode, code, message, wechatErrcode) {
  const error = { code, message: message || code };
  if (wechatErrcode !== undefined) error.wechat_errcode = wechatErrcode;
  return { statusCode, data: { error }, header: { 'Content-Type': 'application/json' } };
}

/**
 * A model of the worker's session routes on top of a fake wx: single-use login codes become
 * tokens (`tok-1`, ...); other routes check the bearer token as the worker does. `delay` is
 * the answer delay in ms (a number or a function of the request).
 */
function fakeWorker(wx, options) {
  const opts = options || {};
  const worker = { tokens: new Set(), usedCodes: new Set(), issued: 0, openid: 'o-test-user' };
  const delay = (req) => (typeof opts.delay === 'function' ? opts.delay(req) : opts.delay || 1);

  worker.check = (req) => {
    const auth = req.header.Authorization || '';
    if (!auth) return errorAnswer(401, 'missing_token', 'log in first');
    const m = /^Bearer (\S+)$/.exec(auth);
    if (!m || !/^tok-\d+$/.test(m[1]) && !/^stale/.test(m[1])) return errorAnswer(401, 'malformed_token', 'log in again');
    if (!worker.tokens.has(m[1])) return errorAnswer(401, 'session_expired', 'log in again');
    return null;
  };
  worker.authed = (fn) => (req) => {
    const refused = worker.check(req);
    const answer = refused || fn(req);
    return Object.assign({ delay: delay(req) }, answer);
  };

  wx.routes['POST /api/login'] = (req) => {
    const code = req.data && req.data.code;
    if (!code || worker.usedCodes.has(code)) {
      return Object.assign({ delay: delay(req) }, errorAnswer(401, 'invalid_login_code', 'call wx.login again', 40163));
    }
    worker.usedCodes.add(code);
    worker.issued += 1;
    const token = 'tok-' + worker.issued;
    worker.tokens.add(token);
    return { delay: delay(req), statusCode: 200, data: { token, openid: worker.openid, expires_in: 604800 } };
  };
  wx.routes['GET /api/me'] = worker.authed(() => ({ statusCode: 200, data: { openid: worker.openid, expires_at: 1900000000 } }));
  wx.routes['POST /api/logout'] = worker.authed((req) => {
    worker.tokens.delete(/^Bearer (\S+)$/.exec(req.header.Authorization)[1]);
    return { statusCode: 204, data: '' };
  });
  return worker;
}

module.exports = { createWx, fakeWorker, errorAnswer };
