// Peer (b) of the HTTP comparison (issue 18, item 3; examples/http_compare.rs): an Express
// server with the npm `wechat` middleware (node-webot), written the way its README does it, on
// POST /wechat/push. User messages are answered with `res.transfer2CustomerService()`, anything
// else with `res.reply('')` (an empty 200, which WeChat takes as "no reply", like `success`),
// as scripts/bench/peer_node.mjs does. The middleware reads the raw body itself and parses
// XML only; safe mode is its own WXBizMsgCrypt (wechat-crypto).
//
// Usage: node http_express.mjs <dir holding node_modules> <port>
// with WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY and WECHAT_APPID in the environment.
// Prints "listening on http://127.0.0.1:<port>" once it accepts connections.

import { createRequire } from 'node:module';
import path from 'node:path';

const [nodeDir, port] = process.argv.slice(2);
const require = createRequire(path.join(path.resolve(nodeDir), 'package.json'));
const express = require('express');
const wechat = require('wechat');

const config = {
  token: process.env.WECHAT_TOKEN,
  appid: process.env.WECHAT_APPID,
  encodingAESKey: process.env.WECHAT_ENCODING_AES_KEY,
};
const TRANSFER = new Set(['text', 'image', 'miniprogrampage']);

const app = express();
// No ETag or X-Powered-By work on the answers: the middleware writes them with res.end anyway.
app.disable('x-powered-by');
app.use(
  '/wechat/push',
  wechat(config, (req, res) => {
    if (TRANSFER.has(req.weixin.MsgType)) res.transfer2CustomerService();
    else res.reply('');
  }),
);
const server = app.listen(Number(port), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
