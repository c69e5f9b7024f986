// The part of the mini-program `wx` API this client uses, typed here so the package needs no
// typings package and its declarations never clash with the app's own `wx` typings.

/** What `wx.request` calls `success` with. */
export interface WxRequestResult {
  statusCode: number;
  data: unknown;
  header: Record<string, string>;
}

/** What `fail` callbacks get. */
export interface WxFailure {
  errMsg: string;
}

export interface WxRequestOptions {
  url: string;
  method?: string;
  data?: unknown;
  header?: Record<string, string>;
  dataType?: string;
  responseType?: 'text' | 'arraybuffer';
  timeout?: number;
  success?: (res: WxRequestResult) => void;
  fail?: (err: WxFailure) => void;
}

export interface WxWriteFileOptions {
  filePath: string;
  data: ArrayBuffer | string;
  encoding?: string;
  success?: () => void;
  fail?: (err: WxFailure) => void;
}

export interface WxFileSystemManager {
  writeFile(options: WxWriteFileOptions): void;
}

/** The five fields `wx.requestPayment` takes (the worker returns exactly these). */
export interface PayParams {
  timeStamp: string;
  nonceStr: string;
  package: string;
  signType: string;
  paySign: string;
}

export interface WxRequestPaymentOptions extends PayParams {
  success?: (res: { errMsg: string }) => void;
  fail?: (err: WxFailure) => void;
}

export interface WxLoginOptions {
  timeout?: number;
  success?: (res: { code: string; errMsg?: string }) => void;
  fail?: (err: WxFailure) => void;
}

/** The subset of the global `wx` object the client calls. */
export interface WxApi {
  login(options: WxLoginOptions): void;
  request(options: WxRequestOptions): unknown;
  getStorageSync(key: string): unknown;
  setStorageSync(key: string, value: unknown): void;
  removeStorageSync(key: string): void;
  getFileSystemManager(): WxFileSystemManager;
  requestPayment(options: WxRequestPaymentOptions): void;
  env: { USER_DATA_PATH: string };
}
