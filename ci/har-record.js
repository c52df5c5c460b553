#!/usr/bin/env node
// ci/har-record.js - records a real browser's HAR of one WebSocket conversation, for the
// fixtures under fixtures/har/. Starts headless Chromium, drives it over the DevTools protocol
// (with the ws package of ci/peers), opens a small local page that connects to URL with
// ?token=<JWT>, sends one user_message and waits for agent_completed (or --wait-ms), then
// writes the HAR in the shape Chromium's DevTools "Save all as HAR" exports (entries with
// _resourceType and _webSocketMessages).
//
// usage: node ci/har-record.js --url ws://127.0.0.1:PORT/ws --out FILE.har [--wait-ms N]
//        (GOLDENPATH_JWT_SECRET signs the token; $CHROMIUM overrides /usr/bin/chromium)
'use strict';
const path = require('path');
const http = require('http');
const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const { spawn } = require('child_process');
const WebSocket = require(path.join(__dirname, 'peers', 'node_modules', 'ws'));

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
}
const url = arg('--url');
const out = arg('--out');
const waitMs = Number(arg('--wait-ms', '5000'));
if (!url || !out) {
  console.error('usage: har-record.js --url WS_URL --out FILE.har [--wait-ms N]');
  process.exit(2);
}
const secret = process.env.GOLDENPATH_JWT_SECRET;
if (!secret) {
  console.error('har-record: GOLDENPATH_JWT_SECRET must be set');
  process.exit(2);
}
const b64u = (b) => Buffer.from(b).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const body = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' })) + '.' +
  b64u(JSON.stringify({ sub: 'browser-user-1', iss: 'netra-auth-service', type: 'access',
                        iat: now, exp: now + 900 }));
const token = body + '.' + crypto.createHmac('sha256', secret).update(body).digest('base64url');
const session = crypto.randomBytes(12).toString('hex');

const page = `<!doctype html><title>capture</title><script>
document.cookie = "gp_session=${session}; path=/";
const ws = new WebSocket(${JSON.stringify(url + '?token=' + token)});
const done = () => { document.title = "done"; };
let sent = false;
ws.onmessage = (m) => {
  if (typeof m.data !== "string") return;
  const f = JSON.parse(m.data);
  const ev = f.event || f.type;
  // The first frame is the server's greeting, whatever its envelope: then the message.
  if (!sent && (sent = true))
    ws.send(JSON.stringify({type: "user_message", payload: {
      content: "Analyze my costs (session ${session})",
      thread_id: "thread-browser-" + Math.random().toString(16).slice(2)}}));
  if (ev === "agent_completed" || ev === "agent_error" || ev === "agent_death")
    setTimeout(() => { ws.close(1000, "done"); done(); }, 100);
};
ws.onclose = done;
ws.onerror = done;
setTimeout(done, ${waitMs});
</script>`;

const pageServer = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  res.end(page);
});

function fail(msg) {
  console.error('har-record: ' + msg);
  process.exit(3);
}

pageServer.listen(0, '127.0.0.1', () => {
  const pageUrl = `http://127.0.0.1:${pageServer.address().port}/`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-har-'));
  const chrome = spawn(process.env.CHROMIUM || '/usr/bin/chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
     '--remote-debugging-port=0', '--user-data-dir=' + dir, 'about:blank'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  const timer = setTimeout(() => fail('timed out'), 30000);
  let err = '';
  let cdp = null;
  const finish = (code) => {
    clearTimeout(timer);
    if (cdp) cdp.close();
    chrome.kill('SIGTERM');
    pageServer.close();
    setTimeout(() => { fs.rmSync(dir, { recursive: true, force: true }); process.exit(code); }, 300);
  };
  chrome.stderr.on('data', (d) => {
    err += d;
    const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
    if (m && !cdp) record(m[1], pageUrl, finish);
  });
  chrome.on('exit', (c) => { if (!cdp) fail('chromium exited (' + c + '): ' + err.slice(-500)); });

  function record(browserWs, target, done) {
    cdp = new WebSocket(browserWs, { perMessageDeflate: false });
    let id = 0;
    const pending = new Map();
    const send = (method, params, sessionId) => new Promise((resolve, reject) => {
      const msg = { id: ++id, method, params: params || {} };
      if (sessionId) msg.sessionId = sessionId;
      pending.set(msg.id, { resolve, reject });
      cdp.send(JSON.stringify(msg));
    });
    const reqs = new Map(); // requestId -> entry state
    const ws = new Map();
    let sessionId = null;
    let finished = false;
    cdp.on('message', (raw) => {
      const m = JSON.parse(raw);
      if (m.id && pending.has(m.id)) {
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error) p.reject(new Error(m.error.message)); else p.resolve(m.result);
        return;
      }
      const p = m.params || {};
      switch (m.method) {
      case 'Network.requestWillBeSent':
        if (p.type !== 'WebSocket')
          reqs.set(p.requestId, { req: p.request, wall: p.wallTime, ts: p.timestamp,
                                  type: (p.type || 'Other').toLowerCase() });
        break;
      case 'Network.responseReceived':
        if (reqs.has(p.requestId)) reqs.get(p.requestId).resp = p.response;
        break;
      case 'Network.loadingFinished':
        if (reqs.has(p.requestId)) reqs.get(p.requestId).end = p.timestamp;
        break;
      case 'Network.webSocketCreated':
        ws.set(p.requestId, { url: p.url, msgs: [] });
        break;
      case 'Network.webSocketWillSendHandshakeRequest': {
        const w = ws.get(p.requestId);
        if (w) { w.wall = p.wallTime; w.ts = p.timestamp; w.headers = p.request.headers; }
        break;
      }
      case 'Network.webSocketHandshakeResponseReceived': {
        const w = ws.get(p.requestId);
        if (w) { w.resp = p.response; w.respTs = p.timestamp; }
        break;
      }
      case 'Network.webSocketFrameSent':
      case 'Network.webSocketFrameReceived': {
        const w = ws.get(p.requestId);
        if (w) w.msgs.push({ type: m.method.endsWith('Sent') ? 'send' : 'receive', ts: p.timestamp,
                             opcode: p.response.opcode, data: p.response.payloadData });
        break;
      }
      case 'Network.webSocketFrameError': {
        const w = ws.get(p.requestId);
        if (w && !w.resp) w.error = p.errorMessage;
        break;
      }
      case 'Network.webSocketClosed': {
        const w = ws.get(p.requestId);
        if (w) w.closedTs = p.timestamp;
        break;
      }
      default:
        break;
      }
    });
    const hdrs = (o) => Object.entries(o || {}).flatMap(([name, v]) =>
      String(v).split('\n').map((value) => ({ name, value })));
    const iso = (s) => new Date(s * 1000).toISOString();
    const query = (u) => [...new URL(u).searchParams].map(([name, value]) => ({ name, value }));
    const writeHar = () => {
      const entries = [];
      for (const r of reqs.values()) {
        if (!r.resp) continue;
        entries.push({
          _initiator: { type: 'other' }, _priority: 'VeryHigh', _resourceType: r.type,
          cache: {}, connection: String(r.resp.connectionId || ''), pageref: 'page_1',
          request: { method: r.req.method, url: r.req.url, httpVersion: 'HTTP/1.1',
                     headers: hdrs(r.req.headers), queryString: query(r.req.url), cookies: [],
                     headersSize: -1, bodySize: 0 },
          response: { status: r.resp.status, statusText: r.resp.statusText,
                      httpVersion: 'HTTP/1.1', headers: hdrs(r.resp.headers), cookies: [],
                      content: { size: 0, mimeType: r.resp.mimeType }, redirectURL: '',
                      headersSize: -1, bodySize: -1, _transferSize: 0, _error: null },
          serverIPAddress: '127.0.0.1', startedDateTime: iso(r.wall),
          time: r.end ? (r.end - r.ts) * 1000 : 0,
          timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0,
                     wait: r.end ? (r.end - r.ts) * 1000 : 0, receive: 0,
                     _blocked_queueing: -1 },
        });
      }
      for (const w of ws.values()) {
        const wall = (ts) => w.wall + (ts - w.ts);
        const cookie = (w.headers && (w.headers.Cookie || w.headers.cookie)) || '';
        entries.push({
          _initiator: { type: 'script' }, _priority: 'VeryHigh', _resourceType: 'websocket',
          cache: {}, connection: '', pageref: 'page_1',
          request: { method: 'GET', url: w.url, httpVersion: 'HTTP/1.1',
                     headers: hdrs(w.headers), queryString: query(w.url),
                     cookies: cookie.split('; ').filter(Boolean).map((c) => {
                       const i = c.indexOf('=');
                       return { name: c.slice(0, i), value: c.slice(i + 1), path: '/',
                                domain: '127.0.0.1', expires: null, httpOnly: false,
                                secure: false };
                     }),
                     headersSize: -1, bodySize: 0 },
          response: { status: w.resp ? w.resp.status : 0,
                      statusText: w.resp ? w.resp.statusText : '', httpVersion: 'HTTP/1.1',
                      headers: hdrs(w.resp && w.resp.headers), cookies: [],
                      content: { size: 0, mimeType: 'x-unknown' }, redirectURL: '',
                      headersSize: -1, bodySize: 0, _transferSize: 0,
                      _error: w.error || null },
          serverIPAddress: '127.0.0.1', startedDateTime: iso(w.wall || Date.now() / 1000),
          // As DevTools does: the entry lasts until the socket closed (or the recording ended).
          time: ((w.closedTs ? wall(w.closedTs) : Date.now() / 1000) - w.wall) * 1000,
          timings: { blocked: -1, dns: -1, ssl: -1, connect: -1, send: 0,
                     wait: w.respTs ? (w.respTs - w.ts) * 1000 : 0, receive: 0,
                     _blocked_queueing: -1 },
          _webSocketMessages: w.msgs.map((f) => ({ type: f.type, time: wall(f.ts),
                                                   opcode: f.opcode, data: f.data })),
        });
      }
      const har = { log: { version: '1.2',
                           creator: { name: 'WebInspector', version: '537.36' },
                           pages: [{ startedDateTime: entries.length ? entries[0].startedDateTime
                                                                     : iso(Date.now() / 1000),
                                     id: 'page_1', title: target,
                                     pageTimings: { onContentLoad: -1, onLoad: -1 } }],
                           entries } };
      fs.writeFileSync(out, JSON.stringify(har, null, 2) + '\n');
    };
    cdp.on('open', async () => {
      try {
        const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
        ({ sessionId } = await send('Target.attachToTarget', { targetId, flatten: true }));
        await send('Network.enable', {}, sessionId);
        await send('Page.enable', {}, sessionId);
        await send('Page.navigate', { url: target }, sessionId);
        for (;;) {
          const r = await send('Runtime.evaluate', { expression: 'document.title' }, sessionId);
          if (r.result && r.result.value === 'done') break;
          await new Promise((res) => setTimeout(res, 50));
        }
        await new Promise((res) => setTimeout(res, 300));
        if (!finished) {
          finished = true;
          writeHar();
          console.log(`har-record: ${ws.size} WebSocket(s), ` +
                      `${[...ws.values()].reduce((a, w) => a + w.msgs.length, 0)} frames -> ${out}`);
          done(0);
        }
      } catch (e) {
        fail(e.message);
      }
    });
  }
});
