#!/usr/bin/env node
// apns_standin.mjs: a stand-in for Apple's Push Notification service (APNs) for tests. It is a
// real HTTP/2 server over TLS (Node's built-in http2, ALPN "h2" only) on 127.0.0.1 that answers
// POST /3/device/<hex token> as APNs does, can be scripted to answer with APNs's errors, to
// refuse streams and to send GOAWAY, and records every request for the test to read back.
//
//   node apns_standin.mjs --cert FILE --key FILE [--client-ca FILE] [--jwt-public-key FILE]
//                         [--port 0] [--control-port 0] --ready-file FILE
//
//   --cert/--key      the server's TLS certificate chain and key (PEM).
//   --client-ca       request a client certificate (certificate-based provider auth). Any
//                     certificate is accepted; its subject CN and SHA-256 fingerprint
//                     (colon-separated upper-case hex, as `openssl x509 -fingerprint -sha256`
//                     prints it) and whether it chains to this CA are recorded per request.
//   --jwt-public-key  token-based provider auth: every request needs
//                     "authorization: bearer <ES256 JWT>" verified with this EC P-256 public key
//                     (header alg ES256 and kid; claims iss and integer iat), else 403
//                     MissingProviderToken / InvalidProviderToken. Like APNs, a connection
//                     starts with SETTINGS_MAX_CONCURRENT_STREAMS 1 and is raised to the
//                     configured limit by a new SETTINGS frame (sent before the answer) on its
//                     first request with a valid token. The token's age is not checked.
//                     Verdicts are cached per token string. May be combined with --client-ca.
//   --port, --control-port   0 (the default) picks free ports.
//   --ready-file      when listening, {"port":P,"controlPort":C,"pid":N} is written to a
//                     temporary file and renamed to this path.
//
// Answers: 200 with an apns-id header (the request's apns-id echoed, else a new UUID) and no
// body; errors carry the apns-id header and a JSON body {"reason":...} (plus "timestamp" in ms
// for 410). Checks, in order: :method POST (else 405 MethodNotAllowed), :path /3/device/<hex>
// (else 404 BadPath), the provider token (with --jwt-public-key), apns-topic present (else 400
// MissingTopic); then the token's script. The whole request body is read before answering.
// Tokens are compared exactly as sent (case-sensitive).
//
// Control API: HTTP/1.1 on 127.0.0.1:controlPort, JSON in and out; a bad request gets
// 400 {"error":...}.
//   POST /script {"token":<hex>|"*","responses":[item...]}  replaces that token's script: its
//        next requests get these answers in order, then 200 again. "*" is for tokens that have
//        no script of their own (an empty list gives a token plain 200s whatever "*" says).
//        An item is {"status":S[,"reason":R][,"timestamp":ms]} (410 without timestamp gets
//        now), {"action":"refused_stream"} (RST_STREAM REFUSED_STREAM, no answer) or
//        {"action":"goaway"} (GOAWAY with last-stream-id below this stream, so it and every
//        later stream on the connection are unprocessed, sent when its HEADERS arrive; on
//        stream 1, as Node cannot send last-stream-id 0: RST_STREAM REFUSED_STREAM, and 50 ms
//        later GOAWAY 1; the connection closes once the earlier streams are done). Any item
//        may carry "delay_ms" (counted from the end of the request body; for goaway from its
//        HEADERS), which replaces the default delay for that item.
//   POST /goaway-after {"requests":N}   once, when the N-th POST from now arrives (counted
//        over all connections), send GOAWAY on its connection with last-stream-id = that
//        stream: it is answered, the streams above it are unprocessed. 0 cancels.
//   POST /settings {"maxConcurrentStreams":N}  the limit for new connections, sent now to every
//        open connection that is past the token-auth start (all of them without --jwt-public-key).
//   POST /default {"delay_ms":N}        delay every answer by N ms (0 clears).
//   GET  /requests?since=SEQ&limit=N    {"requests":[record...],"next":SEQ} (limit ≤ 100000,
//        default 10000); pass "next" as since to read on. seq is never reused, also over /reset.
//   GET  /stats   {"requests","byStatus","byToken" (omitted at 100k tokens or more),
//                  "connections" (opened),"open","maxConcurrentSeen","dropped"}
//   GET  /tokens-seen               {"count": distinct tokens that got a 200}
//   POST /tokens-seen/check {"tokens":[...]}   {"missing":[those that never got a 200]}
//   POST /reset   clears records, stats, scripts, goaway-after and the default delay (open
//                 connections and the maxConcurrentStreams setting stay).
//
// A record, kept once the request has its outcome (at most 2,000,000; later ones are counted in
// "dropped"): {seq, t_ms (arrival, Date.now()), connection (id per TLS connection), stream,
// method, path, token ("" when the path is not a device path), headers (all, pseudo-headers
// included), body, clientCertCN, clientCertSha256 ("" without a certificate),
// clientCertAuthorized, jwtValid (null without --jwt-public-key), jwtHeader, jwtClaims (decoded,
// or null), status (the answered status, or "refused" for a scripted refused_stream, "goaway"
// for a stream left unprocessed by a GOAWAY, "reset" when the stream closed before an answer)}.
//
// SIGTERM or SIGINT closes everything and exits 0. Nothing is logged per request.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { parseArgs } from 'node:util';

const { NGHTTP2_NO_ERROR, NGHTTP2_REFUSED_STREAM } = http2.constants;
const kMaxRecords = 2_000_000;
const kByTokenLimit = 100_000;
const kDefaultLimit = 10_000;
const kMaxLimit = 100_000;
const kMaxControlBody = 64 * 1024 * 1024;
const kDevicePath = /^\/3\/device\/([0-9A-Fa-f]+)$/;
const kBase64Url = /^[A-Za-z0-9_-]+$/;
const kHexToken = /^[0-9A-Fa-f]+$/;
const kOk = Object.freeze({ status: 200 });
const noop = () => {};

const { values: args } = parseArgs({
  options: {
    cert: { type: 'string' },
    key: { type: 'string' },
    'client-ca': { type: 'string' },
    'jwt-public-key': { type: 'string' },
    port: { type: 'string', default: '0' },
    'control-port': { type: 'string', default: '0' },
    'ready-file': { type: 'string' },
  },
});
for (const required of ['cert', 'key', 'ready-file']) {
  if (!args[required]) {
    console.error(`apns_standin: --${required} is required`);
    process.exit(2);
  }
}
const jwtKey = args['jwt-public-key']
  ? crypto.createPublicKey(fs.readFileSync(args['jwt-public-key']))
  : null;
if (jwtKey && (jwtKey.asymmetricKeyType !== 'ec' ||
               jwtKey.asymmetricKeyDetails.namedCurve !== 'prime256v1')) {
  console.error('apns_standin: --jwt-public-key is not an EC P-256 public key');
  process.exit(2);
}

// Configuration the control API changes.
let maxStreams = 1000;
let defaultDelay = 0;
let goawayAfter = 0;  // POSTs still to come before the one that triggers GOAWAY; 0 = none
let scripts = new Map();  // token or "*" → {items, next}

// Records and statistics (cleared by /reset).
let records = [];
let firstSeq = 1;  // seq of records[0]
let nextSeq = 1;
let dropped = 0;
let total = 0;
let byStatus = Object.create(null);
let byToken = new Map();  // null once it reached kByTokenLimit tokens
let tokensOk = new Set();
let connectionsOpened = 0;
let maxConcurrentSeen = 0;

// Open connections.
const conns = new Set();
let nextConnId = 1;

// --- Provider tokens -------------------------------------------------------------------------

const kNoJwt = Object.freeze({ valid: null, header: null, claims: null, reason: null });
const kMissingJwt = Object.freeze(
  { valid: false, header: null, claims: null, reason: 'MissingProviderToken' });
const jwtCache = new Map();  // authorization header → result; the same token is sent for ages

function DecodePart(part) {
  if (!kBase64Url.test(part)) return null;
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function VerifyJwt(jwt) {
  const parts = jwt.split('.');
  const header = parts.length === 3 ? DecodePart(parts[0]) : null;
  const claims = parts.length === 3 ? DecodePart(parts[1]) : null;
  if (!jwtKey) return { valid: null, header, claims, reason: null };
  let valid = header !== null && claims !== null && header.alg === 'ES256' &&
      typeof header.kid === 'string' && header.kid !== '' &&
      typeof claims.iss === 'string' && claims.iss !== '' && Number.isInteger(claims.iat) &&
      kBase64Url.test(parts[2]);
  if (valid) {
    const signature = Buffer.from(parts[2], 'base64url');
    valid = signature.length === 64 &&
        crypto.verify('sha256', Buffer.from(`${parts[0]}.${parts[1]}`),
                      { key: jwtKey, dsaEncoding: 'ieee-p1363' }, signature);
  }
  return { valid, header, claims, reason: valid ? null : 'InvalidProviderToken' };
}

function CheckAuthorization(value) {
  if (value === undefined) return jwtKey ? kMissingJwt : kNoJwt;
  let result = jwtCache.get(value);
  if (result !== undefined) return result;
  const match = /^bearer\s+(\S*)\s*$/i.exec(value);
  if (match === null) {
    result = { valid: jwtKey ? false : null, header: null, claims: null,
               reason: jwtKey ? 'InvalidProviderToken' : null };
  } else if (match[1] === '') {
    result = jwtKey ? kMissingJwt : kNoJwt;
  } else {
    result = VerifyJwt(match[1]);
  }
  if (jwtCache.size >= 10_000) jwtCache.clear();
  jwtCache.set(value, result);
  return result;
}

// --- Scripts -------------------------------------------------------------------------------

function NextScripted(token) {
  const script = scripts.get(token) ?? scripts.get('*');
  if (script === undefined || script.next >= script.items.length) return kOk;
  return script.items[script.next++];
}

// --- HTTP/2 server -------------------------------------------------------------------------

function Record(r, status) {
  r.done = true;
  const { conn } = r;
  ++total;
  byStatus[status] = (byStatus[status] ?? 0) + 1;
  if (r.token !== '') {
    if (byToken !== null) {
      byToken.set(r.token, (byToken.get(r.token) ?? 0) + 1);
      if (byToken.size >= kByTokenLimit) byToken = null;
    }
    if (status === 200) tokensOk.add(r.token);
  }
  if (records.length >= kMaxRecords) {
    ++dropped;
    return;
  }
  // Compact, for 2,000,000 of them: the flat header list rather than Node's header object, the
  // connection's peer (not its session); RecordJson makes the published form.
  records.push({
    seq: nextSeq++, t: r.t, peer: conn.peer, stream: r.stream.id, token: r.token,
    rawHeaders: r.rawHeaders, body: Body(r.chunks), jwt: r.jwt, status,
  });
}

function Body(chunks) {
  if (chunks.length === 0) return '';
  return chunks.length === 1 ? chunks[0].toString() : Buffer.concat(chunks).toString();
}

function RecordJson(rec) {
  const headers = {};
  const raw = rec.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    headers[name] = name in headers ? `${headers[name]}, ${raw[i + 1]}` : raw[i + 1];
  }
  const { peer, jwt } = rec;
  return {
    seq: rec.seq, t_ms: rec.t, connection: peer.id, stream: rec.stream,
    method: headers[':method'] ?? '', path: headers[':path'] ?? '', token: rec.token, headers,
    body: rec.body, clientCertCN: peer.certCN, clientCertSha256: peer.certSha256,
    clientCertAuthorized: peer.certAuthorized, jwtValid: jwt.valid, jwtHeader: jwt.header,
    jwtClaims: jwt.claims, status: rec.status,
  };
}

// Two rules keep clear of a use-after-free in Node 20's http2 (nghttp2 streams freed under a
// caller when a pending GOAWAY is flushed by an RST_STREAM's SendPendingData; it corrupted the
// heap under the stress of many GOAWAYs): this file sends RST_STREAM only from a fresh event-loop
// turn (setImmediate), never inside nghttp2's receive callbacks, and never for a stream above a
// GOAWAY's last-stream-id, which nghttp2 closes itself once the GOAWAY is out. And the session is
// closed only when it has no open streams left, so Node never refuses a new stream on a closed
// session while GOAWAY is pending (the same flaw).

// RST_STREAM REFUSED_STREAM, later and only where it is safe (above).
function Refuse(conn, stream) {
  setImmediate(() => {
    if (!stream.closed && !stream.destroyed && stream.id <= conn.goawayLast) {
      stream.close(NGHTTP2_REFUSED_STREAM);
    }
  });
}

// GOAWAY meaning "streams above `lastStreamId` were not processed" (never raised, as RFC 9113
// §6.8 requires), then a graceful close once the earlier streams are done (MaybeClose). Node
// cannot send last-stream-id 0 (it puts the last stream nghttp2 processed in its place), so for 0
// stream 1 is refused with RST_STREAM REFUSED_STREAM, which means the same (RFC 9113 §8.7), and
// 50 ms later GOAWAY says 1; meanwhile later streams wait unanswered, and nghttp2 closes them
// when it sends the GOAWAY. (GOAWAY right after the RST_STREAM: curl, given both in one read,
// reports a partial transfer instead of retrying the refused stream.)
function SendGoaway(conn, lastStreamId, stream1 = null) {
  if (lastStreamId >= conn.goawayLast) return;
  conn.goawayLast = lastStreamId;
  const { session } = conn;
  const goaway = () => {
    if (session.destroyed) return;
    session.goaway(NGHTTP2_NO_ERROR, Math.max(lastStreamId, 1));
    conn.draining = true;
    // Http2Session.close() sends a GOAWAY of its own, with the last stream nghttp2 processed;
    // nghttp2 lowers that to ours only once ours has been packed.
    setTimeout(MaybeClose, 20, conn);
  };
  if (lastStreamId === 0 && stream1 !== null) {
    setImmediate(() => {  // no GOAWAY is pending yet: this RST_STREAM is safe
      if (stream1.closed || stream1.destroyed) {
        setTimeout(goaway, 50);
      } else {
        stream1.once('close', () => setTimeout(goaway, 50));
        stream1.close(NGHTTP2_REFUSED_STREAM);
      }
    });
  } else {
    goaway();
  }
}

// Closes a draining session that has no open streams left.
function MaybeClose(conn) {
  const { session } = conn;
  if (conn.draining && conn.open === 0 && !session.closed && !session.destroyed) {
    session.close();
  }
}

function SetMaxStreams(conn, n) {
  try {
    conn.session.settings({ maxConcurrentStreams: n });
  } catch {
    // Destroyed, or too many SETTINGS not yet acknowledged: the next change will tell it.
  }
}

// For a scripted status without a reason: APNs's name where it has one for the status alone.
function DefaultReason(status) {
  switch (status) {
    case 410: return 'Unregistered';
    case 413: return 'PayloadTooLarge';
    default: return (http.STATUS_CODES[status] ?? 'Unknown').replace(/[^A-Za-z]/g, '');
  }
}

function Answer(r) {
  const { stream, answer, conn } = r;
  if (r.done || stream.closed || stream.destroyed) return;  // the 'close' handler records it
  if (stream.id > conn.goawayLast) return;  // unprocessed: nghttp2 closes it with the GOAWAY
  if (answer.action === 'refused_stream') {
    Record(r, 'refused');
    Refuse(conn, stream);
    return;
  }
  const status = answer.status;
  const apnsId = r.headers['apns-id'] ?? crypto.randomUUID();
  try {
    if (status === 200) {
      stream.respond({ ':status': 200, 'apns-id': apnsId }, { endStream: true });
    } else {
      const reason = answer.reason ?? DefaultReason(status);
      const body = status === 410
          ? { reason, timestamp: answer.timestamp ?? Date.now() } : { reason };
      stream.respond({ ':status': status, 'apns-id': apnsId,
                       'content-type': 'application/json' });
      stream.end(JSON.stringify(body));
    }
  } catch {
    return;  // the stream went away under us; 'close' records it
  }
  Record(r, status);
}

function Decide(r) {
  const { headers, conn } = r;
  const method = headers[':method'];
  if (method === 'POST' && goawayAfter > 0 && --goawayAfter === 0) {
    SendGoaway(conn, r.stream.id);
  }
  const match = kDevicePath.exec(headers[':path'] ?? '');
  if (match !== null) r.token = match[1];
  r.jwt = CheckAuthorization(headers.authorization);
  if (r.jwt.valid === true && !conn.raised) {
    conn.raised = true;  // before the answer, so a client sees it first
    SetMaxStreams(conn, maxStreams);
  }
  if (method !== 'POST') return { status: 405, reason: 'MethodNotAllowed' };
  if (match === null) return { status: 404, reason: 'BadPath' };
  if (r.jwt.valid === false) return { status: 403, reason: r.jwt.reason };
  if (headers['apns-topic'] === undefined || headers['apns-topic'] === '') {
    return { status: 400, reason: 'MissingTopic' };
  }
  return NextScripted(r.token);
}

// A scripted goaway: this stream and the later ones are left unprocessed; nghttp2 closes them
// once the GOAWAY is sent, and their 'close' handlers record "goaway".
function GoawayBefore(r) {
  if (r.done) return;
  const { stream } = r;
  SendGoaway(r.conn, Math.max(0, stream.id - 2), stream.id === 1 ? stream : null);
}

function OnStream(conn, stream, headers, rawHeaders) {
  const r = { conn, stream, headers, rawHeaders, t: Date.now(), token: '', jwt: kNoJwt,
              chunks: [], answer: kOk, done: false };
  if (++conn.open > maxConcurrentSeen) maxConcurrentSeen = conn.open;
  stream.on('error', noop);
  stream.on('close', () => {
    --conn.open;
    if (!r.done) Record(r, stream.id > conn.goawayLast ? 'goaway' : 'reset');
    if (conn.draining && conn.open === 0) setImmediate(MaybeClose, conn);
  });
  stream.on('data', (chunk) => r.chunks.push(chunk));
  stream.on('end', () => {
    if (r.answer.action === 'goaway') return;  // GoawayBefore has it
    const delay = r.answer.delay_ms ?? defaultDelay;
    if (delay > 0) {
      setTimeout(Answer, delay, r);
    } else {
      Answer(r);
    }
  });
  r.answer = Decide(r);
  if (r.answer.action === 'goaway') {
    const delay = r.answer.delay_ms ?? defaultDelay;
    if (delay > 0) {
      setTimeout(GoawayBefore, delay, r);
    } else {
      GoawayBefore(r);
    }
  }
}

function OnSession(session) {
  const socket = session.socket;
  const cert = args['client-ca'] ? socket.getPeerCertificate() : null;
  const cn = cert?.subject?.CN;
  // What the records keep of the connection.
  const peer = Object.freeze({
    id: nextConnId++, certCN: (Array.isArray(cn) ? cn[0] : cn) ?? '',
    certSha256: cert?.fingerprint256 ?? '',
    certAuthorized: cert?.fingerprint256 !== undefined && socket.authorized === true,
  });
  // goawayLast: streams above it are unprocessed (a GOAWAY is or will be sent);
  // draining: a GOAWAY was sent, the session closes once no stream is open.
  const conn = { peer, session, open: 0, raised: jwtKey === null, goawayLast: Infinity,
                 draining: false };
  ++connectionsOpened;
  conns.add(conn);
  session.on('error', noop);
  session.on('close', () => conns.delete(conn));
  session.on('stream', (stream, headers, flags, rawHeaders) =>
    OnStream(conn, stream, headers, rawHeaders));
}

const tlsOptions = {
  cert: fs.readFileSync(args.cert),
  key: fs.readFileSync(args.key),
  allowHTTP1: false,
  maxSessionMemory: 64,
  settings: { maxConcurrentStreams: jwtKey ? 1 : maxStreams },
};
if (args['client-ca']) {
  Object.assign(tlsOptions, { ca: fs.readFileSync(args['client-ca']), requestCert: true,
                              rejectUnauthorized: false });
}
const server = http2.createSecureServer(tlsOptions);
server.on('session', OnSession);
server.on('unknownProtocol', (socket) => socket.destroy());  // no ALPN h2: not APNs's client
server.on('sessionError', noop);
server.on('tlsClientError', noop);

// --- Control API ---------------------------------------------------------------------------

class BadRequest extends Error {}

function Check(condition, message) {
  if (!condition) throw new BadRequest(message);
}

function IsCount(n) {
  return Number.isInteger(n) && n >= 0;
}

function ParseItem(item) {
  Check(item !== null && typeof item === 'object', 'a response item is an object');
  Check(item.delay_ms === undefined || IsCount(item.delay_ms), 'delay_ms: an integer ≥ 0');
  if (item.action !== undefined) {
    Check(item.action === 'refused_stream' || item.action === 'goaway',
          'action: "refused_stream" or "goaway"');
    return Object.freeze({ action: item.action, delay_ms: item.delay_ms });
  }
  Check(Number.isInteger(item.status) && item.status >= 200 && item.status <= 599,
        'status: an integer 200–599');
  Check(item.reason === undefined || typeof item.reason === 'string', 'reason: a string');
  Check(item.timestamp === undefined || Number.isFinite(item.timestamp), 'timestamp: a number');
  return Object.freeze({ status: item.status, reason: item.reason, timestamp: item.timestamp,
                         delay_ms: item.delay_ms });
}

function Stats() {
  const stats = { requests: total, byStatus: { ...byStatus } };
  if (byToken !== null) stats.byToken = Object.fromEntries(byToken);
  return Object.assign(stats, { connections: connectionsOpened, open: conns.size,
                                maxConcurrentSeen, dropped });
}

function Requests(query) {
  const since = query.has('since') ? Number(query.get('since')) : firstSeq;
  const limit = query.has('limit') ? Number(query.get('limit')) : kDefaultLimit;
  Check(IsCount(since), 'since: an integer ≥ 0');
  Check(IsCount(limit), 'limit: an integer ≥ 0');
  const start = Math.min(Math.max(since, firstSeq) - firstSeq, records.length);
  const page = records.slice(start, start + Math.min(limit, kMaxLimit)).map(RecordJson);
  return { requests: page, next: firstSeq + start + page.length };
}

function Reset() {
  records = [];
  firstSeq = nextSeq;
  dropped = 0;
  total = 0;
  byStatus = Object.create(null);
  byToken = new Map();
  tokensOk = new Set();
  connectionsOpened = 0;
  maxConcurrentSeen = 0;
  for (const conn of conns) maxConcurrentSeen = Math.max(maxConcurrentSeen, conn.open);
  scripts = new Map();
  goawayAfter = 0;
  defaultDelay = 0;
}

function Route(method, path, query, body) {
  const route = `${method} ${path}`;
  switch (route) {
    case 'GET /requests': return Requests(query);
    case 'GET /stats': return Stats();
    case 'GET /tokens-seen': return { count: tokensOk.size };
  }
  Check(method === 'POST', `no such endpoint: ${route}`);
  Check(body !== null && typeof body === 'object' && !Array.isArray(body),
        'the body is a JSON object');
  switch (route) {
    case 'POST /script': {
      Check(body.token === '*' || (typeof body.token === 'string' && kHexToken.test(body.token)),
            'token: hex digits or "*"');
      Check(Array.isArray(body.responses), 'responses: an array');
      scripts.set(body.token, { items: body.responses.map(ParseItem), next: 0 });
      return { ok: true, token: body.token, responses: body.responses.length };
    }
    case 'POST /goaway-after':
      Check(IsCount(body.requests), 'requests: an integer ≥ 0');
      goawayAfter = body.requests;
      return { ok: true };
    case 'POST /settings':
      Check(Number.isInteger(body.maxConcurrentStreams) && body.maxConcurrentStreams >= 1 &&
            body.maxConcurrentStreams <= 2 ** 31 - 1, 'maxConcurrentStreams: an integer ≥ 1');
      maxStreams = body.maxConcurrentStreams;
      if (jwtKey === null) server.updateSettings({ maxConcurrentStreams: maxStreams });
      for (const conn of conns) if (conn.raised) SetMaxStreams(conn, maxStreams);
      return { ok: true };
    case 'POST /default':
      Check(IsCount(body.delay_ms), 'delay_ms: an integer ≥ 0');
      defaultDelay = body.delay_ms;
      return { ok: true };
    case 'POST /reset':
      Reset();
      return { ok: true };
    case 'POST /tokens-seen/check':
      Check(Array.isArray(body.tokens), 'tokens: an array');
      return { missing: body.tokens.filter((token) => !tokensOk.has(token)) };
  }
  throw new BadRequest(`no such endpoint: ${route}`);
}

function Reply(res, status, value) {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json',
                          'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const control = http.createServer((req, res) => {
  const chunks = [];
  let size = 0;
  req.on('data', (chunk) => {
    size += chunk.length;
    if (size <= kMaxControlBody) chunks.push(chunk);
  });
  req.on('end', () => {
    try {
      Check(size <= kMaxControlBody, 'body too large');
      const text = Buffer.concat(chunks).toString();
      let body = null;
      try {
        body = text === '' ? {} : JSON.parse(text);
      } catch {
        throw new BadRequest('the body is not JSON');
      }
      const url = new URL(req.url, 'http://control');
      Reply(res, 200, Route(req.method, url.pathname, url.searchParams, body));
    } catch (error) {
      if (!(error instanceof BadRequest)) throw error;
      Reply(res, 400, { error: error.message });
    }
  });
});

// --- Start and stop ------------------------------------------------------------------------

function Listen(s, port) {
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.listen(Number(port), '127.0.0.1', () => resolve(s.address().port));
  });
}

function Shutdown() {
  for (const conn of conns) conn.session.destroy();
  server.close();
  control.close();
  control.closeAllConnections();
  setImmediate(() => process.exit(0));
}
process.on('SIGTERM', Shutdown);
process.on('SIGINT', Shutdown);

const port = await Listen(server, args.port);
const controlPort = await Listen(control, args['control-port']);
const readyFile = args['ready-file'];
const tmp = `${readyFile}.tmp.${process.pid}`;
fs.writeFileSync(tmp, JSON.stringify({ port, controlPort, pid: process.pid }));
fs.renameSync(tmp, readyFile);
