// The Node peers on the same inputs, each driven through its public API the way its users
// write it. Usage: node peer_node.mjs <inputs dir> <node_modules parent> <runner>, runner one of
//   wechat-crypto  wechat-crypto (WXBizMsgCrypt) + xml2js (parse and Builder); JSON via
//                  JSON.parse/stringify. Also the login crypto the way the official
//                  WXBizDataCrypt Node demo does it (node:crypto), for the login table.
//   wechat         the `wechat` middleware (node-webot), called as connect calls it:
//                  mw(req, res, next) with req.query, req.rawBody (what express-xml-bodyparser
//                  sets) and a res with writeHead/end. No HTTP server: the middleware only
//                  touches those fields, so the figure is its own work. XML only.
// Prints one JSON line.

import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';
import querystring from 'node:querystring';
import { bench, checkReply, emit, loadInputs, maxRssKb } from './timing.mjs';

const [dir, nodeDir, runner] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(nodeDir), 'package.json'));
const { push, login } = loadInputs(dir);
const version = (name) => require(`${name}/package.json`).version;
const TRANSFER = new Set(['text', 'image', 'miniprogrampage']);

function wechatCryptoRunner() {
  const WXBizMsgCrypt = require('wechat-crypto');
  const xml2js = require('xml2js');
  const builder = new xml2js.Builder({ rootName: 'xml', headless: true, cdata: true, renderOpts: { pretty: false } });
  // xml2js calls back synchronously (async: false, its default); a missing result would mean
  // it did not, and the timing would be wrong.
  const parseXml = (xml) => {
    let result;
    let error;
    xml2js.parseString(xml, { explicitArray: false, trim: true }, (e, r) => {
      error = e;
      result = r;
    });
    if (error) throw error;
    if (!result) throw new Error('xml2js answered asynchronously');
    return result.xml;
  };
  const sha1 = (parts) => crypto.createHash('sha1').update(parts.sort().join('')).digest('hex');

  const pipeline = (c, cryptor) => {
    const q = querystring.parse(c.query);
    if (sha1([c.token, q.timestamp, q.nonce]) !== q.signature) throw new Error('bad signature');
    const json = c.format === 'json';
    const outer = json ? JSON.parse(c.body) : parseXml(c.body);
    let msg = outer;
    if (outer.Encrypt) {
      if (cryptor.getSignature(q.timestamp, q.nonce, outer.Encrypt) !== q.msg_signature) throw new Error('bad msg_signature');
      const { message, id } = cryptor.decrypt(outer.Encrypt);
      if (id !== c.appid) throw new Error('appid mismatch');
      msg = json ? JSON.parse(message) : parseXml(message);
    }
    if (!TRANSFER.has(msg.MsgType)) return 'success';
    const reply = { ToUserName: msg.FromUserName, FromUserName: msg.ToUserName, CreateTime: Math.floor(Date.now() / 1000), MsgType: 'transfer_customer_service' };
    const plain = json ? JSON.stringify(reply) : builder.buildObject(reply);
    if (!outer.Encrypt) return plain;
    const encrypt = cryptor.encrypt(plain);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = c.reply_nonce;
    const wrap = { Encrypt: encrypt, MsgSignature: cryptor.getSignature(timestamp, nonce, encrypt), TimeStamp: timestamp, Nonce: nonce };
    return json ? JSON.stringify(wrap) : builder.buildObject(wrap);
  };

  const results = [];
  for (const c of push) {
    const cryptor = new WXBizMsgCrypt(c.token, c.encoding_aes_key, c.appid);
    checkReply(c, pipeline(c, cryptor));
    results.push(bench(`push ${c.name}`, (n) => {
      for (let i = 0; i < n; i++) pipeline(c, cryptor);
    }));
  }

  // Login crypto as the official WXBizDataCrypt.js demo writes it.
  const l = login;
  const decryptData = () => {
    const decipher = crypto.createDecipheriv('aes-128-cbc', Buffer.from(l.session_key, 'base64'), Buffer.from(l.iv, 'base64'));
    decipher.setAutoPadding(true);
    let decoded = decipher.update(Buffer.from(l.encrypted_data, 'base64'), 'binary', 'utf8');
    decoded += decipher.final('utf8');
    return decoded;
  };
  if (decryptData() !== l.expected_plaintext) throw new Error('open data: wrong plaintext');
  const decryptChecked = () => {
    const data = JSON.parse(decryptData());
    if (data.watermark.appid !== l.appid) throw new Error('Illegal Buffer');
    return data;
  };
  const rawSig = () => crypto.createHash('sha1').update(l.raw_data + l.session_key).digest('hex') === l.raw_data_signature;
  const sessionSig = () => crypto.createHmac('sha256', l.session_key).update(l.session_message).digest('hex') === l.session_signature;
  if (!rawSig() || !sessionSig()) throw new Error('login signatures do not match');
  const loop = (f) => (n) => {
    for (let i = 0; i < n; i++) f();
  };
  results.push(bench('login open-data-decrypt', loop(decryptData)));
  results.push(bench('login open-data-decrypt+watermark', loop(decryptChecked)));
  results.push(bench('login rawdata-signature', loop(rawSig)));
  results.push(bench('login session-signature', loop(sessionSig)));

  return {
    runner: 'wechat-crypto',
    label: `wechat-crypto ${version('wechat-crypto')} + xml2js ${version('xml2js')}`,
    login_label: 'node:crypto (WXBizDataCrypt demo)',
    versions: { node: process.version, 'wechat-crypto': version('wechat-crypto'), xml2js: version('xml2js') },
    results,
  };
}

function wechatRunner() {
  const wechat = require('wechat');
  const results = [];
  const skipped = [];
  for (const c of push) {
    if (c.format !== 'xml') {
      skipped.push({ workload: `push ${c.name}`, why: 'the wechat middleware reads XML bodies only (xml2js.parseString on the raw body)' });
      continue;
    }
    const mw = wechat({ token: c.token, appid: c.appid, encodingAESKey: c.encoding_aes_key }, (req, res, next) => {
      const message = req.weixin;
      if (TRANSFER.has(message.MsgType)) res.transfer2CustomerService();
      else res.reply('');
    });
    const once = () => {
      let out;
      let status = 0;
      const req = { method: 'POST', query: querystring.parse(c.query), rawBody: c.body };
      const res = { writeHead: (s) => { status = s; }, end: (body) => { out = body; } };
      mw(req, res, (err) => { throw err || new Error('the middleware passed the request on'); });
      if (out === undefined) throw new Error('the middleware answered asynchronously');
      if (status !== 200) throw new Error(`status ${status}: ${out}`);
      return out;
    };
    checkReply(c, once());
    results.push(bench(`push ${c.name}`, (n) => {
      for (let i = 0; i < n; i++) once();
    }));
  }
  return {
    runner: 'wechat',
    label: `wechat ${version('wechat')} (middleware)`,
    versions: { node: process.version, wechat: version('wechat') },
    results,
    skipped,
  };
}

const out = runner === 'wechat' ? wechatRunner() : wechatCryptoRunner();
emit({ ...out, max_rss_kb: maxRssKb() });
