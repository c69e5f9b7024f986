// Unit tests of the built package (dist/) against a fake wx: the token on every request,
// single-flight login, one re-login and one repeat on a 401, the errors, and the routes.
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const util = require('node:util');
const { createClient, WechatEdgeError, DEFAULT_STORAGE_KEY } = require('..');
const { createWx, fakeWorker, errorAnswer } = require('./wx-shim');

const BASE = 'https://edge.example.com';

/** A fresh fake wx as the global `wx` (the client looks it up on each use). */
function setup(options) {
  const wx = createWx();
  globalThis.wx = wx;
  const worker = fakeWorker(wx, options);
  return { wx, worker };
}

test.afterEach(() => {
  delete globalThis.wx;
});

function loggedIn(wx, worker, key) {
  worker.tokens.add('tok-100');
  wx.storage.set(key || DEFAULT_STORAGE_KEY, 'tok-100');
}

function rejection(promise) {
  return promise.then(
    (v) => assert.fail('expected a rejection, got ' + util.inspect(v)),
    (e) => e,
  );
}

function toArrayBuffer(bytes) {
  const b = Buffer.from(bytes);
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.length);
}

test('the stored token is attached as a bearer token, without a login', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  const me = await createClient({ baseUrl: BASE }).me();
  assert.equal(me.openid, 'o-test-user');
  assert.equal(wx.logins, 0);
  assert.equal(wx.requests.length, 1);
  const req = wx.requests[0];
  assert.equal(req.url, BASE + '/api/me');
  assert.equal(req.header.Authorization, 'Bearer tok-100');
  assert.equal('X-WeChat-AppId' in req.header, false, 'no app id header unless configured');
});

test('appid is sent as X-WeChat-AppId on every request, the login included', async () => {
  const { wx } = setup();
  fakeWorker(wx);
  const client = createClient({ baseUrl: BASE + '/', appid: 'wx0000000000000002' });
  await client.me();
  assert.deepEqual(wx.requests.map((r) => r.method + ' ' + r.url), ['POST ' + BASE + '/api/login', 'GET ' + BASE + '/api/me']);
  for (const req of wx.requests) assert.equal(req.header['X-WeChat-AppId'], 'wx0000000000000002');
});

test('without a token the client logs in first and stores the token', async () => {
  const { wx } = setup();
  const client = createClient({ baseUrl: BASE });
  assert.equal(client.hasToken(), false);
  await client.me();
  assert.equal(wx.logins, 1);
  assert.deepEqual(wx.requests.map((r) => r.method + ' ' + r.path), ['POST /api/login', 'GET /api/me']);
  assert.deepEqual(wx.requests[0].data, { code: 'code-1' });
  assert.equal('Authorization' in wx.requests[0].header, false, 'the login carries no token');
  assert.equal(wx.requests[1].header.Authorization, 'Bearer tok-1');
  assert.equal(wx.storage.get('wechat-edge:token'), 'tok-1');
  assert.equal(client.hasToken(), true);
});

test('a custom storage key is used for reading and writing', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker, 'my-app:session');
  const client = createClient({ baseUrl: BASE, storageKey: 'my-app:session' });
  await client.me();
  assert.equal(wx.logins, 0);
  await client.login();
  assert.equal(wx.storage.get('my-app:session'), 'tok-1');
  assert.equal(wx.storage.has(DEFAULT_STORAGE_KEY), false);
});

test('login() resolves with the openid and never hands out the token', async () => {
  setup();
  const info = await createClient({ baseUrl: BASE }).login();
  assert.deepEqual(info, { openid: 'o-test-user', expires_in: 604800 });
});

for (const code of ['session_expired', 'malformed_token', 'missing_token']) {
  test(`a 401 ${code} causes exactly one re-login and one repeat`, async () => {
    const { wx, worker } = setup();
    wx.storage.set(DEFAULT_STORAGE_KEY, 'stale-token');
    wx.routes['GET /api/me'] = (req) => {
      if (req.header.Authorization === 'Bearer stale-token') return errorAnswer(401, code, 'log in again');
      return worker.authed(() => ({ statusCode: 200, data: { openid: 'o-test-user' } }))(req);
    };
    const res = await createClient({ baseUrl: BASE }).request({ url: '/api/me' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.data.openid, 'o-test-user');
    assert.equal(wx.logins, 1);
    assert.equal(wx.count('POST /api/login'), 1);
    assert.equal(wx.count('GET /api/me'), 2);
    assert.equal(wx.requests[2].header.Authorization, 'Bearer tok-1');
    assert.equal(wx.storage.get(DEFAULT_STORAGE_KEY), 'tok-1');
  });
}

test('20 concurrent requests with an expired token share one wx.login and one /api/login', async () => {
  // Answers arrive in a shuffled order, some 401s after the new login has finished.
  const { wx } = setup({ delay: () => 1 + Math.floor(Math.random() * 30) });
  wx.storage.set(DEFAULT_STORAGE_KEY, 'stale-token');
  const client = createClient({ baseUrl: BASE });
  const answers = await Promise.all(Array.from({ length: 20 }, () => client.me()));
  assert.equal(answers.length, 20);
  for (const me of answers) assert.equal(me.openid, 'o-test-user');
  assert.equal(wx.logins, 1, 'exactly one wx.login');
  assert.equal(wx.loginOverlaps, 0);
  assert.equal(wx.count('POST /api/login'), 1, 'exactly one /api/login');
  assert.equal(wx.count('GET /api/me'), 40, '20 refused, 20 repeated');
  const repeated = wx.requests.filter((r) => r.path === '/api/me' && r.header.Authorization === 'Bearer tok-1');
  assert.equal(repeated.length, 20);
});

test('20 concurrent requests without a token share one login', async () => {
  const { wx } = setup({ delay: () => 1 + Math.floor(Math.random() * 10) });
  const client = createClient({ baseUrl: BASE });
  const answers = await Promise.all(Array.from({ length: 20 }, () => client.me()));
  assert.equal(answers.filter((me) => me.openid === 'o-test-user').length, 20);
  assert.equal(wx.logins, 1);
  assert.equal(wx.count('POST /api/login'), 1);
  assert.equal(wx.count('GET /api/me'), 20);
});

test('concurrent login() calls share one wx.login; a later call logs in again', async () => {
  const { wx } = setup();
  const client = createClient({ baseUrl: BASE });
  await Promise.all([client.login(), client.login(), client.login(), client.login(), client.login()]);
  assert.equal(wx.logins, 1);
  assert.equal(wx.count('POST /api/login'), 1);
  await client.login();
  assert.equal(wx.logins, 2);
  assert.equal(wx.storage.get(DEFAULT_STORAGE_KEY), 'tok-2');
});

test('a second 401 after the re-login is an error, not a loop', async () => {
  const { wx } = setup();
  wx.storage.set(DEFAULT_STORAGE_KEY, 'stale-token');
  wx.routes['GET /api/me'] = () => errorAnswer(401, 'session_expired', 'log in again');
  const err = await rejection(createClient({ baseUrl: BASE }).me());
  assert.ok(err instanceof WechatEdgeError);
  assert.equal(err.code, 'session_expired');
  assert.equal(err.status, 401);
  assert.equal(wx.logins, 1);
  assert.equal(wx.count('POST /api/login'), 1);
  assert.equal(wx.count('GET /api/me'), 2);
});

test('a 401 that a login cannot fix (wrong_app) is not retried', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  wx.routes['GET /api/me'] = () => errorAnswer(401, 'wrong_app', 'this session belongs to another app');
  const err = await rejection(createClient({ baseUrl: BASE }).me());
  assert.equal(err.code, 'wrong_app');
  assert.equal(err.status, 401);
  assert.equal(wx.logins, 0);
  assert.equal(wx.count('GET /api/me'), 1);
  assert.equal(wx.storage.get(DEFAULT_STORAGE_KEY), 'tok-100', 'the token is kept');
});

test('errors carry the worker code, message, status and WeChat errcode', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  wx.routes['POST /api/phone'] = worker.authed(() => errorAnswer(400, 'invalid_phone_code', 'the code expired: ask again', 40029));
  const err = await rejection(createClient({ baseUrl: BASE }).getPhoneNumber('p-1'));
  assert.ok(err instanceof WechatEdgeError);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'WechatEdgeError');
  assert.equal(err.code, 'invalid_phone_code');
  assert.equal(err.message, 'the code expired: ask again');
  assert.equal(err.status, 400);
  assert.equal(err.wechatErrcode, 40029);
});

test('a non-2xx answer that is not the error shape is an http_error with its status', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  wx.routes['GET /api/me'] = () => ({ statusCode: 502, data: '<html>Bad gateway</html>' });
  const err = await rejection(createClient({ baseUrl: BASE }).me());
  assert.equal(err.code, 'http_error');
  assert.equal(err.status, 502);
  assert.equal(err.wechatErrcode, undefined);
  assert.match(err.message, /GET \/api\/me answered HTTP 502/);
});

test('a network failure rejects with network_error and status 0', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  wx.routes['GET /api/me'] = () => ({ fail: 'request:fail timeout' });
  const err = await rejection(createClient({ baseUrl: BASE }).me());
  assert.ok(err instanceof WechatEdgeError);
  assert.equal(err.code, 'network_error');
  assert.equal(err.status, 0);
  assert.match(err.message, /request:fail timeout/);
  assert.equal(wx.count('GET /api/me'), 1, 'network failures are not repeated');
});

test('a lost /api/login answer is asked for once more with the same code', async () => {
  const { wx } = setup();
  const login = wx.routes['POST /api/login'];
  let calls = 0;
  wx.routes['POST /api/login'] = (req) => (++calls === 1 ? { fail: 'request:fail socket hang up' } : login(req));
  await createClient({ baseUrl: BASE }).me();
  assert.equal(wx.logins, 1);
  assert.deepEqual(wx.requests.filter((r) => r.path === '/api/login').map((r) => r.data.code), ['code-1', 'code-1']);
});

test('a /api/login that keeps failing rejects with network_error after one repeat', async () => {
  const { wx } = setup();
  wx.routes['POST /api/login'] = () => ({ fail: 'request:fail' });
  const err = await rejection(createClient({ baseUrl: BASE }).me());
  assert.equal(err.code, 'network_error');
  assert.equal(wx.count('POST /api/login'), 2);
  assert.equal(wx.count('GET /api/me'), 0);
});

test('a refused login code is an error with the worker code, and the next call logs in afresh', async () => {
  const { wx } = setup();
  wx.nextLogin = () => ({ code: 'same-code' });
  const client = createClient({ baseUrl: BASE });
  await client.login();
  const err = await rejection(client.login());
  assert.equal(err.code, 'invalid_login_code');
  assert.equal(err.status, 401);
  assert.equal(err.wechatErrcode, 40163);
  wx.nextLogin = null;
  await client.login();
  assert.equal(wx.logins, 3);
});

test('a wx.login failure rejects with wx_login_failed and does not stick', async () => {
  const { wx } = setup();
  wx.nextLogin = () => ({ fail: 'login:fail timeout' });
  const client = createClient({ baseUrl: BASE });
  const err = await rejection(client.me());
  assert.equal(err.code, 'wx_login_failed');
  assert.equal(err.status, 0);
  assert.equal(wx.requests.length, 0);
  wx.nextLogin = null;
  await client.me();
  assert.equal(wx.logins, 2);
});

test('logout revokes the session and clears the token', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  await createClient({ baseUrl: BASE }).logout();
  assert.equal(wx.count('POST /api/logout'), 1);
  assert.equal(wx.requests[0].header.Authorization, 'Bearer tok-100');
  assert.equal(worker.tokens.has('tok-100'), false);
  assert.equal(wx.storage.has(DEFAULT_STORAGE_KEY), false);
});

test('logout clears the token even when the request fails, and never logs in', async () => {
  for (const answer of [{ fail: 'request:fail' }, errorAnswer(401, 'session_expired', 'gone'), errorAnswer(500, 'internal', 'boom')]) {
    const { wx, worker } = setup();
    loggedIn(wx, worker);
    wx.routes['POST /api/logout'] = () => answer;
    await createClient({ baseUrl: BASE }).logout();
    assert.equal(wx.storage.has(DEFAULT_STORAGE_KEY), false, util.inspect(answer));
    assert.equal(wx.count('POST /api/logout'), 1);
    assert.equal(wx.logins, 0);
  }
});

test('logout without a token sends nothing', async () => {
  const { wx } = setup();
  await createClient({ baseUrl: BASE }).logout();
  assert.equal(wx.requests.length, 0);
  assert.equal(wx.logins, 0);
});

test('decryptUserData, verifyUserInfo and getPhoneNumber send exactly their fields', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  wx.routes['POST /api/user/decrypt'] = worker.authed(() => ({ statusCode: 200, data: { nickName: 'Ada', watermark: { appid: 'wx1' } } }));
  wx.routes['POST /api/user/verify'] = worker.authed(() => ({ statusCode: 204, data: '' }));
  wx.routes['POST /api/phone'] = worker.authed(() => ({ statusCode: 200, data: { phoneNumber: '+86 138', purePhoneNumber: '138', countryCode: '86' } }));
  const client = createClient({ baseUrl: BASE });
  const detail = { encryptedData: 'ENC', iv: 'IV', rawData: '{"nickName":"Ada"}', signature: 'SIG', userInfo: { nickName: 'Ada' }, errMsg: 'getUserProfile:ok' };

  assert.equal((await client.decryptUserData(detail)).nickName, 'Ada');
  assert.equal(await client.verifyUserInfo(detail), undefined);
  assert.equal((await client.getPhoneNumber({ code: 'p-1', errMsg: 'getPhoneNumber:ok' })).purePhoneNumber, '138');
  assert.equal((await client.getPhoneNumber('p-2')).countryCode, '86');
  assert.deepEqual(
    wx.requests.map((r) => [r.path, r.data]),
    [
      ['/api/user/decrypt', { encryptedData: 'ENC', iv: 'IV' }],
      ['/api/user/verify', { rawData: '{"nickName":"Ada"}', signature: 'SIG' }],
      ['/api/phone', { code: 'p-1' }],
      ['/api/phone', { code: 'p-2' }],
    ],
  );
});

test('unusable arguments are refused before anything is sent', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  const client = createClient({ baseUrl: BASE });
  for (const p of [
    client.decryptUserData({ iv: 'x' }),
    client.verifyUserInfo({ rawData: 'x' }),
    client.getPhoneNumber({ errMsg: 'getPhoneNumber:fail user deny' }),
    client.qrcode(null),
    client.payment({ timeStamp: '1', nonceStr: 'n', package: 'prepay_id=x', signType: 'RSA' }),
    client.request({ url: 'https://edge.example.com.evil.test/api/me' }),
    client.request({ url: 'https://other.example.com/api/me' }),
  ]) {
    assert.equal((await rejection(p)).code, 'invalid_argument');
  }
  assert.equal(wx.requests.length, 0, 'no token left for another origin');
  assert.equal(wx.payments.length, 0);
  assert.throws(() => createClient({}), WechatEdgeError);
});

test('an absolute URL under baseUrl is accepted', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  await createClient({ baseUrl: BASE }).request({ url: BASE + '/api/me' });
  assert.equal(wx.requests[0].header.Authorization, 'Bearer tok-100');
});

const JPEG = [0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00];

test('qrcode asks for an arraybuffer and writes the image under USER_DATA_PATH', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  wx.routes['POST /api/qrcode'] = worker.authed((req) =>
    req.data.is_hyaline
      ? { statusCode: 200, data: toArrayBuffer(PNG), header: { 'content-type': 'image/png' } }
      : { statusCode: 200, data: toArrayBuffer(JPEG), header: { 'Content-Type': 'image/jpeg' } },
  );
  const client = createClient({ baseUrl: BASE });

  const jpg = await client.qrcode({ scene: 'id=42', page: 'pages/detail/detail' });
  assert.match(jpg, /^wxfile:\/\/usr\/wechat-edge-qrcode-[0-9a-f]{8}\.jpg$/);
  assert.deepEqual([...new Uint8Array(wx.files.get(jpg))], JPEG);
  assert.equal(wx.requests[0].responseType, 'arraybuffer');
  assert.deepEqual(wx.requests[0].data, { scene: 'id=42', page: 'pages/detail/detail' });

  const png = await client.qrcode({ scene: 'id=42', is_hyaline: true });
  assert.match(png, /\.png$/);
  assert.deepEqual([...new Uint8Array(wx.files.get(png))], PNG);
  assert.equal(await client.qrcode({ scene: 'id=42', page: 'pages/detail/detail' }), jpg, 'the same parameters, the same file');
});

test('qrcode reads errors out of the arraybuffer and re-logs in on a 401 there too', async () => {
  const { wx, worker } = setup();
  wx.storage.set(DEFAULT_STORAGE_KEY, 'stale-token');
  wx.routes['POST /api/qrcode'] = worker.authed((req) =>
    req.data.scene === '中文' ? errorAnswer(400, 'invalid_field', '`scene` may hold only ASCII: 中文') : { statusCode: 200, data: toArrayBuffer(JPEG), header: { 'content-type': 'image/jpeg' } },
  );
  const client = createClient({ baseUrl: BASE });
  const path = await client.qrcode({ scene: 'a' });
  assert.ok(wx.files.has(path));
  assert.equal(wx.logins, 1);
  assert.equal(wx.count('POST /api/qrcode'), 2);

  const err = await rejection(client.qrcode({ scene: '中文' }));
  assert.equal(err.code, 'invalid_field');
  assert.equal(err.status, 400);
  assert.equal(err.message, '`scene` may hold only ASCII: 中文');
});

test('qrcode rejects with file_write_failed when the file cannot be written', async () => {
  const { wx, worker } = setup();
  loggedIn(wx, worker);
  wx.routes['POST /api/qrcode'] = worker.authed(() => ({ statusCode: 200, data: toArrayBuffer(JPEG), header: { 'content-type': 'image/jpeg' } }));
  wx.writeFail = 'writeFile:fail the maximum size of the file storage limit is exceeded';
  const err = await rejection(createClient({ baseUrl: BASE }).qrcode({ scene: 'a' }));
  assert.equal(err.code, 'file_write_failed');
  assert.match(err.message, /storage limit/);
});

test('payment passes exactly the five fields to wx.requestPayment', async () => {
  const { wx } = setup();
  const order = {
    timeStamp: '1714000000',
    nonceStr: 'n0nce',
    package: 'prepay_id=wx201410272009395522657a690389285100',
    signType: 'RSA',
    paySign: 'c2lnbmF0dXJl',
    appId: 'wx0000000000000001',
    out_trade_no: 'order-1',
  };
  const res = await createClient({ baseUrl: BASE }).payment(order);
  assert.equal(res.errMsg, 'requestPayment:ok');
  assert.deepEqual(wx.payments, [
    { timeStamp: '1714000000', nonceStr: 'n0nce', package: 'prepay_id=wx201410272009395522657a690389285100', signType: 'RSA', paySign: 'c2lnbmF0dXJl' },
  ]);
  assert.equal(wx.requests.length, 0);
});

test('a cancelled payment rejects with payment_cancelled, another failure with payment_failed', async () => {
  const { wx } = setup();
  const order = { timeStamp: 1714000000, nonceStr: 'n', package: 'prepay_id=x', signType: 'RSA', paySign: 's' };
  const client = createClient({ baseUrl: BASE });
  wx.paymentFail = 'requestPayment:fail cancel';
  assert.equal((await rejection(client.payment(order))).code, 'payment_cancelled');
  assert.equal(wx.payments[0].timeStamp, '1714000000', 'a numeric timeStamp is passed as a string');
  wx.paymentFail = 'requestPayment:fail (detail message)';
  assert.equal((await rejection(client.payment(order))).code, 'payment_failed');
});

test('an injected wx is used instead of the global one', async () => {
  const wx = createWx();
  fakeWorker(wx);
  delete globalThis.wx;
  const client = createClient({ baseUrl: BASE, wx });
  await client.me();
  assert.equal(wx.logins, 1);
  assert.equal(wx.storage.get(DEFAULT_STORAGE_KEY), 'tok-1');
});

test('without any wx the client rejects with invalid_argument', async () => {
  delete globalThis.wx;
  const err = await rejection(createClient({ baseUrl: BASE }).me());
  assert.equal(err.code, 'invalid_argument');
});

test('the token never appears in console output or in an error', async () => {
  const captured = [];
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
  const saved = methods.map((m) => console[m]);
  methods.forEach((m) => {
    console[m] = (...args) => captured.push(util.format(...args));
  });
  try {
    const { wx, worker } = setup({ delay: () => 1 + Math.floor(Math.random() * 5) });
    wx.storage.set(DEFAULT_STORAGE_KEY, 'stale-token');
    wx.routes['GET /api/fails'] = worker.authed(() => errorAnswer(500, 'internal', 'boom'));
    wx.routes['GET /api/wrong-app'] = worker.authed(() => errorAnswer(401, 'wrong_app', 'another app'));
    wx.routes['GET /api/down'] = () => ({ fail: 'request:fail' });
    const client = createClient({ baseUrl: BASE });
    // Everything the client does, failures included: it prints nothing itself...
    await Promise.all(Array.from({ length: 5 }, () => client.me()));
    const errors = [];
    for (const url of ['/api/fails', '/api/wrong-app', '/api/down']) errors.push(await rejection(client.request({ url })));
    await client.logout();
    assert.deepEqual(captured, [], 'the client itself prints nothing');

    // ...and an app that prints what it gets (errors, answers, the login result) prints no token.
    const info = await client.login();
    const tokens = [...worker.tokens, 'tok-1', 'tok-2', 'stale-token'];
    for (const e of errors) {
      console.error(e);
      console.log(util.inspect(e, { showHidden: true, depth: 10 }), JSON.stringify(e), String(e));
    }
    console.log(info, JSON.stringify(info));
    const text = captured.join('\n');
    assert.ok(text.includes('WechatEdgeError'), 'the errors were printed');
    for (const token of tokens) assert.equal(text.includes(token), false, 'a token was printed');
  } finally {
    methods.forEach((m, i) => {
      console[m] = saved[i];
    });
  }
});
