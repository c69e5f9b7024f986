// `WechatEdgeError`: every rejection of the client, carrying the worker's error `code`,
// `message`, HTTP `status` and WeChat's errcode when the worker passed one on.

import { decodeUtf8 } from './bytes';
import { WxRequestResult } from './wx';

/** Codes the client itself uses (the worker's own codes are passed through unchanged). */
export const CLIENT_CODES = {
  /** `wx.request` failed: no connection, DNS, TLS, timeout, a domain not in the allow list. */
  network: 'network_error',
  /** `wx.login` failed. */
  wxLogin: 'wx_login_failed',
  /** A non-2xx answer that was not the worker's JSON error shape (a proxy's page, say). */
  http: 'http_error',
  /** A 2xx answer that was not what the route promises. */
  badAnswer: 'bad_answer',
  /** The caller passed something unusable; nothing was sent. */
  invalidArgument: 'invalid_argument',
  /** Writing the QR image to the user data directory failed. */
  fileWrite: 'file_write_failed',
  /** The user closed the payment sheet. */
  paymentCancelled: 'payment_cancelled',
  /** `wx.requestPayment` failed for another reason. */
  paymentFailed: 'payment_failed',
};

export class WechatEdgeError extends Error {
  /** The worker's `error.code` (`session_expired`, `invalid_login_code`, ...) or one of the client's. */
  readonly code: string;
  /** The HTTP status; 0 when no answer came (network, wx API and argument failures). */
  readonly status: number;
  /** WeChat's errcode, when the worker reported one (`error.wechat_errcode`). */
  readonly wechatErrcode?: number;

  constructor(code: string, message: string, status: number, wechatErrcode?: number) {
    super(message);
    // Kept even though ES2015 classes subclass Error correctly: the developer tools may
    // compile this file once more to ES5 ("ES6 转 ES5"), which breaks `instanceof` otherwise.
    Object.setPrototypeOf(this, WechatEdgeError.prototype);
    this.name = 'WechatEdgeError';
    this.code = code;
    this.status = status;
    if (typeof wechatErrcode === 'number') {
      this.wechatErrcode = wechatErrcode;
    }
  }
}

/** The worker's `{"error": {"code", "message", "wechat_errcode"?}}`, from any body shape. */
export interface ErrorBody {
  code: string;
  message: string;
  wechatErrcode?: number;
}

export function errorBody(data: unknown): ErrorBody | null {
  let value: unknown = data;
  if (value instanceof ArrayBuffer) {
    value = decodeUtf8(value);
  }
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch (e) {
      return null;
    }
  }
  if (!value || typeof value !== 'object') {
    return null;
  }
  const error = (value as { error?: unknown }).error;
  if (!error || typeof error !== 'object') {
    return null;
  }
  const fields = error as { code?: unknown; message?: unknown; wechat_errcode?: unknown };
  if (typeof fields.code !== 'string') {
    return null;
  }
  return {
    code: fields.code,
    message: typeof fields.message === 'string' ? fields.message : fields.code,
    wechatErrcode: typeof fields.wechat_errcode === 'number' ? fields.wechat_errcode : undefined,
  };
}

/** The error for a non-2xx answer; `what` names the request (method and path, never headers). */
export function errorFromResponse(res: WxRequestResult, what: string): WechatEdgeError {
  const body = errorBody(res.data);
  if (body) {
    return new WechatEdgeError(body.code, body.message, res.statusCode, body.wechatErrcode);
  }
  return new WechatEdgeError(CLIENT_CODES.http, what + ' answered HTTP ' + res.statusCode, res.statusCode);
}
