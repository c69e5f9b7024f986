// The client: `wx.login` → `POST /api/login` → a session token in storage, attached to every
// request; one login at a time however many requests need it, and one re-login and one
// repeat when the worker says the session is gone.

import { imageKind, shortHash } from './bytes';
import { CLIENT_CODES, WechatEdgeError, errorBody, errorFromResponse } from './errors';
import { PayParams, WxApi, WxRequestResult } from './wx';

// The global `wx` of the mini-program, looked up on each use (never declared in the typings).
declare const wx: WxApi | undefined;

export const DEFAULT_STORAGE_KEY = 'wechat-edge:token';

/** The 401 codes after which a new login helps (README: "log in again"). */
const RELOGIN_CODES = ['session_expired', 'malformed_token', 'missing_token'];

export interface ClientOptions {
  /** The worker's origin, e.g. `https://api.example.com` (no trailing path needed). */
  baseUrl: string;
  /** Sent as `X-WeChat-AppId` on every request: for a further app served by the same worker. */
  appid?: string;
  /** Where `wx.setStorageSync` keeps the session token (default `wechat-edge:token`). */
  storageKey?: string;
  /** `timeout` for `wx.request`, in milliseconds (default: the app's `networkTimeout`). */
  timeout?: number;
  /** The `wx` object to use (default: the global `wx`); for tests and wrappers. */
  wx?: WxApi;
}

export interface RequestOptions {
  /** A path under `baseUrl` (`/api/me`); an absolute URL must start with `baseUrl`. */
  url: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';
  data?: unknown;
  header?: Record<string, string>;
  responseType?: 'text' | 'arraybuffer';
  timeout?: number;
}

export interface Response<T = any> {
  statusCode: number;
  data: T;
  header: Record<string, string>;
}

export interface LoginResult {
  openid: string;
  unionid?: string;
  expires_in?: number;
}

export interface Me {
  openid: string;
  unionid?: string;
  expires_at: number;
  session_key_valid?: boolean;
}

export interface PhoneNumber {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

/** A getUserProfile / getUserInfo result, or a button's `e.detail`. */
export interface UserDataDetail {
  encryptedData?: string;
  iv?: string;
  rawData?: string;
  signature?: string;
}

/** The body of `POST /api/qrcode` (README, HTTP API). */
export interface QrcodeParams {
  scene: string;
  page?: string;
  width?: number;
  env_version?: 'release' | 'trial' | 'develop';
  check_path?: boolean;
  auto_color?: boolean;
  line_color?: { r: number; g: number; b: number };
  is_hyaline?: boolean;
}

export interface WechatEdgeClient {
  /** Logs in (`wx.login` then `POST /api/login`); concurrent calls share one login. */
  login(): Promise<LoginResult>;
  /** `wx.request` against the worker with the session token; see the README for the retry rule. */
  request<T = any>(options: RequestOptions): Promise<Response<T>>;
  /** `POST /api/logout`, then forgets the token (also when the request fails). */
  logout(): Promise<void>;
  /** `GET /api/me` (`check` adds `session_key_valid`). */
  me(check?: boolean): Promise<Me>;
  /** `POST /api/user/decrypt` with the detail's `encryptedData` and `iv`. */
  decryptUserData<T = any>(detail: UserDataDetail): Promise<T>;
  /** `POST /api/user/verify` with the detail's `rawData` and `signature`; rejects on a mismatch. */
  verifyUserInfo(detail: UserDataDetail): Promise<void>;
  /** `POST /api/phone` with the code of a getPhoneNumber button (the code or the button's detail). */
  getPhoneNumber(code: string | { code?: string }): Promise<PhoneNumber>;
  /** `POST /api/qrcode`; saves the image under `wx.env.USER_DATA_PATH` and resolves with its path. */
  qrcode(params: QrcodeParams): Promise<string>;
  /** `wx.requestPayment` with the five fields the worker's pay route returned. */
  payment(order: PayParams): Promise<{ errMsg: string }>;
  /** Whether a session token is stored (the token itself is never handed out). */
  hasToken(): boolean;
}

interface Session {
  token: string;
  info: LoginResult;
}

function pick(header: Record<string, string> | undefined, name: string): string {
  if (!header) {
    return '';
  }
  const wanted = name.toLowerCase();
  for (const key of Object.keys(header)) {
    if (key.toLowerCase() === wanted) {
      return String(header[key]);
    }
  }
  return '';
}

function invalid(message: string): WechatEdgeError {
  return new WechatEdgeError(CLIENT_CODES.invalidArgument, message, 0);
}

class Client implements WechatEdgeClient {
  private readonly baseUrl: string;
  private readonly appid: string | undefined;
  private readonly storageKey: string;
  private readonly timeout: number | undefined;
  private readonly injectedWx: WxApi | undefined;
  /** The login in progress; every caller that needs a token meanwhile waits for this one. */
  private inFlight: Promise<Session> | null = null;
  /** Used only when storage throws (full, or unavailable), so a session still works. */
  private fallbackToken = '';

  constructor(options: ClientOptions) {
    if (!options || typeof options.baseUrl !== 'string' || !/^https?:\/\/[^/]/i.test(options.baseUrl)) {
      throw invalid('createClient needs baseUrl, e.g. https://api.example.com');
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.appid = options.appid || undefined;
    this.storageKey = options.storageKey || DEFAULT_STORAGE_KEY;
    this.timeout = options.timeout;
    this.injectedWx = options.wx;
  }

  private wx(): WxApi {
    if (this.injectedWx) {
      return this.injectedWx;
    }
    if (typeof wx !== 'undefined' && wx) {
      return wx;
    }
    throw invalid('no wx object: run inside a mini-program or pass createClient({ wx })');
  }

  // ---- the token in storage ----

  private readToken(): string {
    try {
      const value = this.wx().getStorageSync(this.storageKey);
      return typeof value === 'string' && value ? value : this.fallbackToken;
    } catch (e) {
      return this.fallbackToken;
    }
  }

  private storeToken(token: string): void {
    try {
      this.wx().setStorageSync(this.storageKey, token);
      this.fallbackToken = '';
    } catch (e) {
      this.fallbackToken = token;
    }
  }

  private clearToken(): void {
    this.fallbackToken = '';
    try {
      this.wx().removeStorageSync(this.storageKey);
    } catch (e) {
      // Nothing more to do: the token is gone from memory, and storage was unusable anyway.
    }
  }

  hasToken(): boolean {
    return this.readToken() !== '';
  }

  // ---- one wx.request, no retries ----

  private url(path: string): string | null {
    if (/^https?:\/\//i.test(path)) {
      // The token goes to the worker only, never to an origin that merely shares a prefix.
      const base = this.baseUrl;
      return path === base || path.indexOf(base + '/') === 0 || path.indexOf(base + '?') === 0 ? path : null;
    }
    return this.baseUrl + (path.charAt(0) === '/' ? path : '/' + path);
  }

  /** Resolves with any answer the worker gave; rejects only when none came. */
  private send(options: RequestOptions, token: string): Promise<WxRequestResult> {
    return new Promise<WxRequestResult>((resolve, reject) => {
      const url = this.url(options.url);
      if (url === null) {
        reject(invalid('request url must be a path under baseUrl, got another origin'));
        return;
      }
      const header: Record<string, string> = {};
      const extra = options.header || {};
      for (const key of Object.keys(extra)) {
        const lower = key.toLowerCase();
        if (lower !== 'authorization' && lower !== 'x-wechat-appid') {
          header[key] = extra[key];
        }
      }
      if (token) {
        header['Authorization'] = 'Bearer ' + token;
      }
      if (this.appid) {
        header['X-WeChat-AppId'] = this.appid;
      }
      const timeout = options.timeout !== undefined ? options.timeout : this.timeout;
      const method = options.method || 'GET';
      this.wx().request({
        url: url,
        method: method,
        data: options.data,
        header: header,
        dataType: 'json',
        responseType: options.responseType || 'text',
        timeout: timeout,
        success: (res) => {
          resolve({ statusCode: res.statusCode, data: res.data, header: res.header || {} });
        },
        fail: (err) => {
          const why = err && err.errMsg ? err.errMsg : 'request:fail';
          reject(new WechatEdgeError(CLIENT_CODES.network, method + ' ' + options.url + ': ' + why, 0));
        },
      });
    });
  }

  // ---- login, single flight ----

  private wxLogin(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.wx().login({
        success: (res) => {
          if (res && typeof res.code === 'string' && res.code) {
            resolve(res.code);
          } else {
            reject(new WechatEdgeError(CLIENT_CODES.wxLogin, 'wx.login gave no code', 0));
          }
        },
        fail: (err) => {
          reject(new WechatEdgeError(CLIENT_CODES.wxLogin, err && err.errMsg ? err.errMsg : 'wx.login:fail', 0));
        },
      });
    });
  }

  private exchange(code: string): Promise<Session> {
    const post = () => this.send({ url: '/api/login', method: 'POST', data: { code: code } }, '');
    // The worker answers a repeated login body with the same session, so an answer lost on
    // the way back is worth asking for again, once, with the same (single-use) code.
    return post()
      .catch((e: WechatEdgeError) => (e.code === CLIENT_CODES.network ? post() : Promise.reject(e)))
      .then((res) => {
        if (res.statusCode < 200 || res.statusCode >= 300) {
          throw errorFromResponse(res, 'POST /api/login');
        }
        const body = res.data as { token?: unknown; openid?: unknown; unionid?: unknown; expires_in?: unknown } | null;
        if (!body || typeof body !== 'object' || typeof body.token !== 'string' || !body.token) {
          throw new WechatEdgeError(CLIENT_CODES.badAnswer, 'POST /api/login answered without a token', res.statusCode);
        }
        const info: LoginResult = { openid: String(body.openid) };
        if (typeof body.unionid === 'string') {
          info.unionid = body.unionid;
        }
        if (typeof body.expires_in === 'number') {
          info.expires_in = body.expires_in;
        }
        return { token: body.token, info: info };
      });
  }

  /** Starts a login unless one is running; either way, the running one. */
  private startLogin(): Promise<Session> {
    if (this.inFlight) {
      return this.inFlight;
    }
    // A second wx.login while one is pending would invalidate the first code, hence one at a time.
    const flight = this.wxLogin()
      .then((code) => this.exchange(code))
      .then(
        (session) => {
          this.storeToken(session.token);
          this.inFlight = null;
          return session;
        },
        (e) => {
          this.inFlight = null;
          throw e;
        },
      );
    this.inFlight = flight;
    return flight;
  }

  login(): Promise<LoginResult> {
    return this.startLogin().then((s) => s.info);
  }

  private tokenOrLogin(): Promise<string> {
    if (this.inFlight) {
      return this.inFlight.then((s) => s.token);
    }
    const token = this.readToken();
    return token ? Promise.resolve(token) : this.startLogin().then((s) => s.token);
  }

  /** A token to replace `stale`: a newer one if another request already logged in again. */
  private renewAfter(stale: string): Promise<string> {
    if (this.inFlight) {
      return this.inFlight.then((s) => s.token);
    }
    const current = this.readToken();
    if (current && current !== stale) {
      return Promise.resolve(current);
    }
    this.clearToken();
    return this.startLogin().then((s) => s.token);
  }

  private needsRelogin(res: WxRequestResult): boolean {
    if (res.statusCode !== 401) {
      return false;
    }
    const body = errorBody(res.data);
    return body !== null && RELOGIN_CODES.indexOf(body.code) >= 0;
  }

  request<T = any>(options: RequestOptions): Promise<Response<T>> {
    if (!options || typeof options.url !== 'string' || !options.url) {
      return Promise.reject(invalid('request needs a url'));
    }
    const what = (options.method || 'GET') + ' ' + options.url;
    const finish = (res: WxRequestResult): Response<T> => {
      if (res.statusCode >= 200 && res.statusCode < 300) {
        return { statusCode: res.statusCode, data: res.data as T, header: res.header };
      }
      throw errorFromResponse(res, what);
    };
    return this.tokenOrLogin().then((token) =>
      this.send(options, token).then((res) => {
        if (!this.needsRelogin(res)) {
          return finish(res);
        }
        // Once: whatever the repeat answers is the answer.
        return this.renewAfter(token)
          .then((fresh) => this.send(options, fresh))
          .then(finish);
      }),
    );
  }

  // ---- the routes ----

  logout(): Promise<void> {
    const pending = this.inFlight ? this.inFlight.then(() => undefined, () => undefined) : Promise.resolve();
    return pending.then(() => {
      const token = this.readToken();
      if (!token) {
        this.clearToken();
        return undefined;
      }
      const forget = () => {
        this.clearToken();
      };
      // Never a login just to log out: the stored token or nothing.
      return this.send({ url: '/api/logout', method: 'POST' }, token).then(forget, forget);
    });
  }

  me(check?: boolean): Promise<Me> {
    return this.request<Me>({ url: check ? '/api/me?check=1' : '/api/me' }).then((r) => r.data);
  }

  decryptUserData<T = any>(detail: UserDataDetail): Promise<T> {
    if (!detail || typeof detail.encryptedData !== 'string' || typeof detail.iv !== 'string') {
      return Promise.reject(invalid('decryptUserData needs the encryptedData and iv of a getUserProfile result'));
    }
    const data = { encryptedData: detail.encryptedData, iv: detail.iv };
    return this.request<T>({ url: '/api/user/decrypt', method: 'POST', data: data }).then((r) => r.data);
  }

  verifyUserInfo(detail: UserDataDetail): Promise<void> {
    if (!detail || typeof detail.rawData !== 'string' || typeof detail.signature !== 'string') {
      return Promise.reject(invalid('verifyUserInfo needs the rawData and signature of a getUserProfile result'));
    }
    const data = { rawData: detail.rawData, signature: detail.signature };
    return this.request({ url: '/api/user/verify', method: 'POST', data: data }).then(() => undefined);
  }

  getPhoneNumber(code: string | { code?: string }): Promise<PhoneNumber> {
    const value = typeof code === 'string' ? code : code && typeof code.code === 'string' ? code.code : '';
    if (!value) {
      return Promise.reject(invalid('getPhoneNumber needs the code of a getPhoneNumber button (e.detail.code)'));
    }
    return this.request<PhoneNumber>({ url: '/api/phone', method: 'POST', data: { code: value } }).then((r) => r.data);
  }

  qrcode(params: QrcodeParams): Promise<string> {
    if (!params || typeof params !== 'object') {
      return Promise.reject(invalid('qrcode needs its parameters, at least { scene }'));
    }
    return this.request<ArrayBuffer>({ url: '/api/qrcode', method: 'POST', data: params, responseType: 'arraybuffer' }).then(
      (res) => {
        const bytes = res.data;
        if (!(bytes instanceof ArrayBuffer) || bytes.byteLength === 0) {
          throw new WechatEdgeError(CLIENT_CODES.badAnswer, 'POST /api/qrcode answered no image', res.statusCode);
        }
        const type = pick(res.header, 'content-type').toLowerCase();
        const ext = type.indexOf('image/png') === 0 ? 'png' : type.indexOf('image/jpeg') === 0 ? 'jpg' : imageKind(bytes) || 'jpg';
        // Named by the parameters, so asking again overwrites instead of filling the 10 MB allowance.
        const wxApi = this.wx();
        const path = wxApi.env.USER_DATA_PATH + '/wechat-edge-qrcode-' + shortHash(JSON.stringify(params)) + '.' + ext;
        return new Promise<string>((resolve, reject) => {
          wxApi.getFileSystemManager().writeFile({
            filePath: path,
            data: bytes,
            encoding: 'binary',
            success: () => resolve(path),
            fail: (err) => reject(new WechatEdgeError(CLIENT_CODES.fileWrite, err && err.errMsg ? err.errMsg : 'writeFile:fail', 0)),
          });
        });
      },
    );
  }

  payment(order: PayParams): Promise<{ errMsg: string }> {
    const fields: Array<keyof PayParams> = ['timeStamp', 'nonceStr', 'package', 'signType', 'paySign'];
    if (!order || typeof order !== 'object') {
      return Promise.reject(invalid('payment needs the timeStamp, nonceStr, package, signType and paySign the worker returned'));
    }
    const params: Record<string, string> = {};
    for (const name of fields) {
      const value = order[name] as unknown;
      if (typeof value !== 'string' && typeof value !== 'number') {
        return Promise.reject(invalid('payment needs ' + name + ' (as the worker returned it)'));
      }
      params[name] = String(value);
    }
    return new Promise<{ errMsg: string }>((resolve, reject) => {
      this.wx().requestPayment({
        timeStamp: params.timeStamp,
        nonceStr: params.nonceStr,
        package: params.package,
        signType: params.signType,
        paySign: params.paySign,
        success: (res) => resolve(res),
        fail: (err) => {
          const msg = err && err.errMsg ? err.errMsg : 'requestPayment:fail';
          const code = /cancel/.test(msg) ? CLIENT_CODES.paymentCancelled : CLIENT_CODES.paymentFailed;
          reject(new WechatEdgeError(code, msg, 0));
        },
      });
    });
  }
}

export function createClient(options: ClientOptions): WechatEdgeClient {
  return new Client(options);
}
