'use strict';
// ci/peers/nodeclient.js - the peer client of ci/bench: the flow of scenarios/golden_path.yaml
// written directly on Node's `ws`, so goldenpath's cost can be set beside a plain Node client's.
//
//   GOLDENPATH_JWT_SECRET=... node ci/peers/nodeclient.js --port PORT --sessions N --rate R
//
// Per session i (open model: session i starts i/R s after the first, until N have started):
// mint an HS256 JWT (sub gp-user-<i>, iss netra-auth-service, type access, 15 min) with Node's
// crypto, connect ws://127.0.0.1:PORT/ws with `Authorization: Bearer <jwt>`, wait for
// connection_established, send one user_message with thread_id thread-gp-user-<i>-<uuid>, then
// check the run: agent_started first and once; agent_thinking before the first tool_executing;
// every tool_completed closes an open tool_executing of the same tool_name; agent_completed last,
// successful, no tool left open; every event carries the run's run_id, the session's thread_id
// and user_id; a run_id or thread_id of another session is a leak; no run event during the
// --linger-ms (250) after agent_completed; each awaited frame within --timeout-ms (10000); no
// frame over 1 MiB. Then close 1000; a closing handshake over 2 s is counted (close_timeouts),
// not failed. The same limits as goldenpath's scenario defaults.
// Non-run frames (heartbeat, pong, ack, system_message, ...) are ignored.
//
// Prints one JSON line: {"tool","sessions","ok","failed","reasons":{...},"wall_s",...}.
// Exit 0 when every session passed, 1 otherwise, 2 on usage errors. Neither the secret nor
// any token is ever printed.

const crypto = require('crypto');
const fs = require('fs');
const WebSocket = require('ws');

function usage(msg) {
  if (msg) process.stderr.write(`nodeclient: ${msg}\n`);
  process.stderr.write('usage: nodeclient.js (--port PORT | --url ws://127.0.0.1:PORT/ws) ' +
    '[--sessions N] [--rate R] [--timeout-ms MS] [--linger-ms MS] [--max-seconds S] [--json FILE]\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { url: '', sessions: 100, rate: 2000, timeoutMs: 10000, lingerMs: 250, maxSeconds: 600,
    json: '' };
  const num = (k, v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0 || (n === 0 && k !== '--linger-ms')) usage(`${k} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '-h' || k === '--help') usage('');
    if (i + 1 >= argv.length) usage(`${k} needs a value`);
    const v = argv[++i];
    switch (k) {
      case '--port': o.url = `ws://127.0.0.1:${num(k, v)}/ws`; break;
      case '--url': o.url = v; break;
      case '--sessions': o.sessions = Math.floor(num(k, v)); break;
      case '--rate': o.rate = num(k, v); break;
      case '--timeout-ms': o.timeoutMs = num(k, v); break;
      case '--linger-ms': o.lingerMs = num(k, v); break;
      case '--max-seconds': o.maxSeconds = num(k, v); break;
      case '--json': o.json = v; break;
      default: usage(`unknown option ${k}`);
    }
  }
  if (!o.url) usage('--port or --url is required');
  let host;
  try { host = new URL(o.url).hostname; } catch (e) { usage(`bad url ${o.url}`); }
  // A load generator: only ever aimed at this machine.
  if (!/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(host)) usage(`refusing non-loopback ${host}`);
  return o;
}

const opt = parseArgs(process.argv.slice(2));
const secret = process.env.GOLDENPATH_JWT_SECRET;
if (!secret) usage('GOLDENPATH_JWT_SECRET must be set');

const b64u = (buf) => Buffer.from(buf).toString('base64')
  .replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_');
const JWT_HEAD = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));

function mintJwt(sub) {
  const iat = Math.floor(Date.now() / 1000);
  const body = b64u(JSON.stringify({
    sub, iss: 'netra-auth-service', type: 'access', iat, exp: iat + 15 * 60,
  }));
  const sig = b64u(crypto.createHmac('sha256', secret).update(`${JWT_HEAD}.${body}`).digest());
  return `${JWT_HEAD}.${body}.${sig}`;
}

const RUN_EVENTS = new Set(['agent_started', 'agent_thinking', 'tool_executing', 'tool_completed',
  'agent_completed', 'agent_error', 'agent_death']);
const FAILED_STATUS = new Set(['failed', 'error', 'failure']);

const t0 = process.hrtime.bigint();
const elapsedMs = () => Number(process.hrtime.bigint() - t0) / 1e6;

const stats = { ok: 0, failed: 0, reasons: {}, closeTimeouts: 0 };
const runOwner = new Map();     // run_id -> session index
const threadOwner = new Map();  // thread_id -> session index
let started = 0;
let finished = 0;

function isObject(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
function nonEmptyString(v) { return typeof v === 'string' && v.length > 0; }

// States of a session.
const CONNECTING = 0, READY_WAIT = 1, IN_RUN = 2, LINGER = 3, CLOSING = 4, OVER = 5;
const STATE_NAMES = ['connect', 'ready', 'run', 'linger', 'close', 'over'];
const CLOSE_MS = 2000;
const MAX_FRAME = 1 << 20;

class Session {
  constructor(i) {
    this.i = i;
    this.user = `gp-user-${i}`;
    this.thread = `thread-${this.user}-${crypto.randomUUID()}`;
    this.state = CONNECTING;
    this.runId = null;
    this.thinking = false;
    this.toolsDone = 0;
    this.openTools = [];
    this.result = null;           // null until passed or failed
    this.timer = null;
    threadOwner.set(this.thread, i);
    this.ws = new WebSocket(opt.url, {
      headers: { Authorization: `Bearer ${mintJwt(this.user)}` },
      perMessageDeflate: false,
      maxPayload: MAX_FRAME,
      handshakeTimeout: opt.timeoutMs,
    });
    this.arm();
    this.ws.on('open', () => { this.state = READY_WAIT; this.arm(); });
    this.ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    this.ws.on('unexpected-response', (req, res) => {
      this.fail(`http_${res.statusCode}`);
      req.destroy();
    });
    this.ws.on('error', (e) => this.fail(e.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH'
      ? 'oversize_frame' : `error_${e.code || 'socket'}`));
    this.ws.on('close', (code) => this.onClose(code));
  }

  arm(ms = opt.timeoutMs) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimeout(), ms);
  }

  onTimeout() {
    if (this.state !== CLOSING) return this.fail(`timeout_${STATE_NAMES[this.state]}`);
    // The run was judged already; like goldenpath, a slow closing handshake is not a failure.
    stats.closeTimeouts++;
    this.state = OVER;
    this.ws.terminate();
  }

  fail(reason) {
    if (this.result === 'failed') return;
    if (this.result === 'ok') stats.ok--;  // a violation after agent_completed (before close)
    this.result = 'failed';
    stats.failed++;
    stats.reasons[reason] = (stats.reasons[reason] || 0) + 1;
    this.state = OVER;
    clearTimeout(this.timer);
    this.ws.terminate();
  }

  pass() {
    this.result = 'ok';
    stats.ok++;
    this.state = LINGER;             // keep reading a while: nothing of the run may follow
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.state = CLOSING;
      this.arm(CLOSE_MS);
      this.ws.close(1000, 'done');
    }, opt.lingerMs);
  }

  onFrame(data, isBinary) {
    if (this.state === OVER) return;
    if (isBinary) return this.fail('binary_frame');
    let m;
    try { m = JSON.parse(data.toString('utf8')); } catch (e) { return this.fail('invalid_json'); }
    if (!isObject(m) || typeof m.type !== 'string') return this.fail('not_an_object');
    if (this.state === READY_WAIT) {
      if (m.type !== 'connection_established') return;   // noise before the ready frame
      const d = isObject(m.data) ? m.data : m;
      if (d.user_id !== undefined && d.user_id !== this.user) return this.fail('ready_user_id');
      this.state = IN_RUN;
      this.arm();
      this.ws.send(JSON.stringify({
        type: 'user_message',
        payload: {
          content: `Analyze my costs (${crypto.randomBytes(8).toString('hex')})`,
          thread_id: this.thread,
        },
      }));
      return;
    }
    if (!RUN_EVENTS.has(m.type)) return;                 // heartbeat, ack, pong, ...
    if (this.state === LINGER || this.state === CLOSING) return this.fail('event_after_completed');
    this.arm();
    this.onEvent(m);
  }

  onEvent(m) {
    // Isolation first: an id owned by another session is a leak, whatever user_id says.
    const rOwner = runOwner.get(m.run_id);
    const tOwner = threadOwner.get(m.thread_id);
    if ((rOwner !== undefined && rOwner !== this.i) || (tOwner !== undefined && tOwner !== this.i)) {
      return this.fail('leak');
    }
    if (m.user_id !== this.user) return this.fail('user_id');
    if (m.thread_id !== this.thread) return this.fail('thread_id');
    if (this.runId === null) {
      if (m.type !== 'agent_started') return this.fail(`first_event_${m.type}`);
      if (!nonEmptyString(m.run_id)) return this.fail('run_id');
      if (!nonEmptyString(m.agent_name)) return this.fail('fields_agent_started');
      this.runId = m.run_id;
      runOwner.set(m.run_id, this.i);
      return;
    }
    if (m.run_id !== this.runId) return this.fail('run_id');
    switch (m.type) {
      case 'agent_started':
        return this.fail('agent_started_twice');
      case 'agent_thinking':
        if (!nonEmptyString(m.reasoning)) return this.fail('fields_agent_thinking');
        this.thinking = true;
        return;
      case 'tool_executing':
        if (!this.thinking) return this.fail('tool_before_thinking');
        if (!nonEmptyString(m.tool_name) || !isObject(m.parameters)) return this.fail('fields_tool_executing');
        this.openTools.push(m.tool_name);
        return;
      case 'tool_completed': {
        if (!nonEmptyString(m.tool_name) || m.results === undefined || typeof m.duration !== 'number') {
          return this.fail('fields_tool_completed');
        }
        const k = this.openTools.lastIndexOf(m.tool_name);
        if (k < 0) return this.fail('tool_completed_unopened');
        this.openTools.splice(k, 1);
        this.toolsDone++;
        return;
      }
      case 'agent_completed': {
        if (!this.thinking || this.toolsDone === 0) return this.fail('events_missing');
        if (this.openTools.length) return this.fail('tool_left_open');
        if (!nonEmptyString(m.final_response) || m.status === undefined) return this.fail('fields_agent_completed');
        const md = isObject(m.metadata) ? m.metadata : {};
        if (FAILED_STATUS.has(m.status) || md.success === false || FAILED_STATUS.has(md.status)) {
          return this.fail('run_failed');
        }
        return this.pass();
      }
      default:                                            // agent_error, agent_death
        return this.fail(m.type);
    }
  }

  onClose(code) {
    clearTimeout(this.timer);
    if (this.result === null) this.fail(`closed_${code}`);
    finished++;
    if (finished === opt.sessions) report('done');
  }
}

// Open model: session i is due at i/rate seconds; every wake-up starts all the due ones.
function arrive() {
  const due = Math.min(opt.sessions, Math.floor(elapsedMs() * opt.rate / 1000) + 1);
  while (started < due) new Session(started++);
  if (started < opt.sessions) {
    setTimeout(arrive, Math.max(1, started * 1000 / opt.rate - elapsedMs()));
  }
}

let reported = false;
function report(end) {
  if (reported) return;
  reported = true;
  const unfinished = opt.sessions - stats.ok - stats.failed;
  if (unfinished > 0) {
    stats.failed += unfinished;
    stats.reasons.unfinished = (stats.reasons.unfinished || 0) + unfinished;
  }
  const wall = elapsedMs() / 1000;
  const line = JSON.stringify({
    tool: 'nodeclient',
    node: process.version,
    ws: require('ws/package.json').version,
    sessions: opt.sessions,
    rate: opt.rate,
    ok: stats.ok,
    failed: stats.failed,
    reasons: stats.reasons,
    close_timeouts: stats.closeTimeouts,
    end,
    wall_s: Number(wall.toFixed(3)),
    sessions_per_s: Number((stats.ok / wall).toFixed(1)),
  });
  process.stdout.write(line + '\n');
  if (opt.json) fs.writeFileSync(opt.json, line + '\n');
  process.exit(stats.failed ? 1 : 0);
}

setTimeout(() => report('max_seconds'), opt.maxSeconds * 1000).unref();
arrive();
