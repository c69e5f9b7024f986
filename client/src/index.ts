// wechat-edge-client: the mini-program side of wechat-edge. `createClient({ baseUrl })` logs
// in with `wx.login`, keeps the session token in storage and calls the worker's /api routes.

export { createClient, DEFAULT_STORAGE_KEY } from './client';
export type {
  ClientOptions,
  LoginResult,
  Me,
  PhoneNumber,
  QrcodeParams,
  RequestOptions,
  Response,
  UserDataDetail,
  WechatEdgeClient,
} from './client';
export { CLIENT_CODES, WechatEdgeError } from './errors';
export type { PayParams, WxApi } from './wx';
