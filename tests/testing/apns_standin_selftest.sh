#!/usr/bin/env bash
# Self-test of apns_standin.mjs, the APNs stand-in, over real sockets: curl --http2 and a small
# Node http2 client (written to the work directory) against two instances, one with
# certificate-based provider auth (--client-ca) and one with token-based auth
# (--jwt-public-key), certificates from make_apns_test_certs.sh. Checks what reaches the wire:
# answers, scripted statuses, RST_STREAM REFUSED_STREAM, GOAWAY frames and their
# last-stream-id, SETTINGS_MAX_CONCURRENT_STREAMS 1 raised after a valid token, the recorded
# client certificate and token, the control API, a 10,000-device fan-out, SIGTERM → exit 0.
# Prints a PASS or FAIL line per check; exits 1 when any failed.
# Usage: apns_standin_selftest.sh DIR_WITH_apns_standin.mjs
set -euo pipefail
dir=$(cd "${1:?usage: apns_standin_selftest.sh NODE_SCRIPT_DIR}" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/apns-standin-selftest.XXXXXX")
server_pids=()
client_pids=()
cleanup() {
  if [ "$failures" -ne 0 ]; then
    for f in "$work"/*.err; do [ -s "$f" ] && { echo "--- $f"; tail -30 "$f"; }; done
  fi
  for pid in "${client_pids[@]}" "${server_pids[@]}"; do
    kill -9 "$pid" 2> /dev/null || true
  done
  rm -rf "$work"
}
failures=0
trap cleanup EXIT
pass() { echo "PASS: $1"; }
fail() { echo "FAIL: $1${2:+ — $2}"; failures=$((failures + 1)); }
# expect NAME ACTUAL WANTED
expect() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}
# js EXPR: EXPR evaluated with d = the JSON on stdin; strings print bare, the rest as JSON.
js() {
  node -e 'const d = JSON.parse(require("fs").readFileSync(0, "utf8"));
           const v = eval(process.argv[1]);
           console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1"
}

for tool in node curl openssl; do
  command -v $tool > /dev/null || { fail "$tool is not installed"; exit 1; }
done
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' ||
  { fail "Node $(node --version) is older than 20"; exit 1; }
curl --version | grep -qw HTTP2 || { fail "curl has no HTTP/2"; exit 1; }

certs="$work/certs"
"$dir/make_apns_test_certs.sh" "$certs"
"$dir/make_apns_test_certs.sh" "$certs"  # again: idempotent
expect "make_apns_test_certs.sh: files 0600" \
  "$(stat -c %a "$certs"/*.pem "$certs"/*.key "$certs"/*.p8 | sort -u)" 600
expect "make_apns_test_certs.sh: .p8 is PKCS#8" "$(head -1 "$certs/AuthKey_TESTKEY123.p8")" \
  "-----BEGIN PRIVATE KEY-----"
expect "make_apns_test_certs.sh: chains verify" "$(openssl verify -CAfile "$certs/ca.pem" \
  "$certs/server.pem" "$certs/client.pem" | grep -c ': OK')" 2

cat > "$work/h2c.mjs" << 'EOF'
// The self-test's HTTP/2 client. Environment: PORT, CA, WAIT_MS (how long to wait for the
// server to close the connection). Prints one JSON object (idle, and settings with WAIT_MS,
// print a line before they wait).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http2 from 'node:http2';

const [mode, ...rest] = process.argv.slice(2);
const Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const Once = (emitter, event, ms) => Promise.race([
  new Promise((resolve) => emitter.once(event, () => resolve(true))),
  Sleep(ms).then(() => false)]);

function Connect() {
  const session = http2.connect(`https://127.0.0.1:${process.env.PORT}`,
                                { ca: fs.readFileSync(process.env.CA) });
  session.goaways = [];
  session.settingsSeen = [];
  session.on('goaway', (errorCode, lastStreamID) => {
    session.goaways.push({ errorCode, lastStreamID });
  });
  session.on('remoteSettings', (s) => session.settingsSeen.push(s.maxConcurrentStreams));
  session.on('error', () => {});
  return session;
}

function Request(session, token, extra = {}) {
  return new Promise((resolve) => {
    const result = { token, id: null, status: null, body: '', rstCode: null, error: null };
    const stream = session.request({ ':method': 'POST', ':path': `/3/device/${token}`,
                                     'apns-topic': 'pass.org.example.member', ...extra });
    stream.on('response', (h) => { result.status = h[':status']; result.apnsId = h['apns-id']; });
    stream.setEncoding('utf8');
    stream.on('data', (d) => { result.body += d; });
    stream.on('error', (e) => { result.error = e.code; });
    stream.on('close', () => {
      result.id = stream.id;
      result.rstCode = stream.rstCode;
      resolve(result);
    });
    stream.end('{"aps":{}}');
  });
}

function Jwt(keyFile, kid, iss, variant) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const header = b64({ alg: variant === 'alg' ? 'RS256' : 'ES256',
                       kid: variant === 'nokid' ? undefined : kid });
  const claims = b64({ iss, iat: Math.floor(Date.now() / 1000) });
  const key = variant === 'otherkey'
    ? crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    : fs.readFileSync(keyFile);
  const signature = crypto.sign('sha256', Buffer.from(`${header}.${claims}`),
                                { key, dsaEncoding: 'ieee-p1363' });
  if (variant === 'sig') signature[10] ^= 1;
  return `${header}.${claims}.${signature.toString('base64url')}`;
}

const out = {};
if (mode === 'jwt') {  // jwt KEYFILE KID ISS [sig|alg|nokid|otherkey]
  process.stdout.write(Jwt(...rest));
  process.exit(0);
} else if (mode === 'settings') {  // settings AUTHORIZATION...: one request each ("" = none)
  const session = Connect();
  await Once(session, 'remoteSettings', 2000);
  out.results = [];
  for (const auth of rest) {
    const result = await Request(session, 'aa01', auth ? { authorization: auth } : {});
    await Sleep(100);
    result.settingsAfter = [...session.settingsSeen];
    out.results.push(result);
  }
  if (process.env.WAIT_MS) {
    console.log(JSON.stringify({ ready: true }));
    await Sleep(Number(process.env.WAIT_MS));
  }
  out.settings = session.settingsSeen;
  session.close();
} else if (mode === 'concurrent') {  // concurrent TOKEN...: all at once on one connection
  const session = Connect();
  const closed = Once(session, 'close', Number(process.env.WAIT_MS ?? 0));
  await Once(session, 'connect', 2000);
  out.results = await Promise.all(rest.map((token) => Request(session, token)));
  out.closedByServer = await closed;
  out.goaways = session.goaways;
  session.destroy();
} else if (mode === 'fanout') {  // fanout TOKENS_FILE CONNECTIONS IN_FLIGHT_PER_CONNECTION
  const tokens = JSON.parse(fs.readFileSync(rest[0], 'utf8'));
  const [connections, inflight] = rest.slice(1).map(Number);
  const counts = {};
  let next = 0;
  await Promise.all(Array.from({ length: connections }, async () => {
    const session = Connect();
    await Once(session, 'connect', 2000);
    await Promise.all(Array.from({ length: inflight }, async () => {
      while (next < tokens.length) {
        const r = await Request(session, tokens[next++]);
        counts[r.status ?? r.error] = (counts[r.status ?? r.error] ?? 0) + 1;
      }
    }));
    session.close();
  }));
  out.counts = counts;
} else if (mode === 'idle') {  // idle: connect, say so, report when the server closes it
  const session = Connect();
  await Once(session, 'remoteSettings', 2000);
  console.log(JSON.stringify({ settings: session.settingsSeen }));
  out.closedByServer = await Once(session, 'close', Number(process.env.WAIT_MS ?? 10000));
  out.settings = session.settingsSeen;
  session.destroy();
} else {
  console.error(`h2c.mjs: unknown mode ${mode}`);
  process.exit(2);
}
console.log(JSON.stringify(out));
process.exit(0);  // without waiting for the timers of Once
EOF

# start NAME ARGS...: starts a stand-in; sets port, cport, spid.
start() {
  local name=$1
  shift
  node "$dir/apns_standin.mjs" --cert "$certs/server.pem" --key "$certs/server.key" "$@" \
    --ready-file "$work/$name.ready" 2> "$work/$name.err" &
  spid=$!
  server_pids+=("$spid")
  for _ in $(seq 1 100); do
    [ -f "$work/$name.ready" ] && break
    kill -0 "$spid" 2> /dev/null || { fail "$name: exited at start"; exit 1; }
    sleep 0.1
  done
  [ -f "$work/$name.ready" ] || { fail "$name: no ready file within 10 s"; exit 1; }
  port=$(js d.port < "$work/$name.ready")
  cport=$(js d.controlPort < "$work/$name.ready")
  expect "$name: ready file names the server's pid" "$(js d.pid < "$work/$name.ready")" "$spid"
}
# exited PID: the child has exited (bash reaps it on its own; a zombie until then).
exited() { [ "$(cut -d' ' -f3 "/proc/$1/stat" 2> /dev/null || echo Z)" = Z ]; }
# stop NAME: SIGTERM, exit 0 within 5 s.
stop() {
  kill -TERM "$spid"
  local status=0
  for _ in $(seq 1 50); do exited "$spid" && break; sleep 0.1; done
  if ! exited "$spid"; then
    kill -9 "$spid"
    fail "$1: still running 5 s after SIGTERM"
    return
  fi
  wait "$spid" || status=$?
  expect "$1: SIGTERM → exit status" "$status" 0
}
# ctl METHOD PATH [JSON]: the control API.
ctl() {
  curl -sS -X "$1" "http://127.0.0.1:$cport$2" ${3:+-H 'content-type: application/json' -d "$3"}
}
ctl_status() {
  curl -s -o /dev/null -w '%{http_code}' -X "$1" "http://127.0.0.1:$cport$2" ${3:+-d "$3"}
}
script() { ctl POST /script "{\"token\":\"$1\",\"responses\":[$2]}" > /dev/null; }
all_records() { ctl GET "/requests?since=0&limit=100000"; }
last_record() { all_records | js 'd.requests[d.requests.length - 1]'; }
# outcomes TOKEN...: "token:status" of those tokens' records, sorted.
outcomes() {
  all_records | js "d.requests.filter((r) => '$*'.split(' ').includes(r.token))
                     .map((r) => r.token + ':' + r.status).sort().join(' ')"
}
# on JSON EXPR: EXPR on that JSON.
on() { js "$2" <<< "$1"; }
h2c() { PORT=$port CA="$certs/ca.pem" node "$work/h2c.mjs" "$@"; }
# wait_line FILE: until a background client has printed its first line.
wait_line() { for _ in $(seq 1 50); do [ -s "$1" ] && break; sleep 0.1; done; }
# apns TOKEN [CURL_ARGS...]: POST /3/device/TOKEN with curl; prints "STATUS HTTP_VERSION"
# (NO_TOPIC=1: without apns-topic); the body goes to $work/body, the headers to $work/headers.
apns() {
  local token=$1 topic=(-H 'apns-topic: pass.org.example.member')
  shift
  [ -n "${NO_TOPIC:-}" ] && topic=()
  curl -sS --http2 --cacert "$certs/ca.pem" -o "$work/body" -D "$work/headers" \
    -w '%{http_code} %{http_version}' "${topic[@]}" -d '{"aps":{}}' \
    "$@" "https://127.0.0.1:$port/3/device/$token"
}
client_cert=(--cert "$certs/client.pem" --key "$certs/client.key")
header() { grep -i "^$1:" "$work/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
reason() { js d.reason < "$work/body"; }
# at_least A B: the number A ≥ B.
at_least() {
  node -e 'process.exit(Number(process.argv[1]) >= Number(process.argv[2]) ? 0 : 1)' "$@"
}
uuid_re='^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'

# --- Certificate-based provider auth -------------------------------------------------------
start cert --client-ca "$certs/ca.pem"
tok=$(printf 'ab%.0s' $(seq 1 32))

expect "200 over HTTP/2" "$(apns "$tok" "${client_cert[@]}")" "200 2"
[[ "$(header apns-id)" =~ $uuid_re ]] && pass "200 has a UUID apns-id" ||
  fail "200 has a UUID apns-id" "$(header apns-id)"
expect "200 has an empty body" "$(wc -c < "$work/body")" 0
rec=$(last_record)
expect "record: client certificate CN" "$(on "$rec" d.clientCertCN)" pass.org.example.member
expect "record: client certificate SHA-256" "$(on "$rec" d.clientCertSha256)" \
  "$(openssl x509 -in "$certs/client.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
expect "record: method, path, token, stream, status" "$(on "$rec" '[d.method, d.path, d.token,
  d.stream, d.status, typeof d.connection, typeof d.t_ms].join(" ")')" \
  "POST /3/device/$tok $tok 1 200 number number"
expect "record: headers and body" \
  "$(on "$rec" '[d.headers[":method"], d.headers["apns-topic"], d.body].join(" ")')" \
  'POST pass.org.example.member {"aps":{}}'
apns "$tok" -H 'apns-id: 123e4567-e89b-12d3-a456-426614174000' > /dev/null
expect "apns-id echoed" "$(header apns-id)" 123e4567-e89b-12d3-a456-426614174000
expect "record: no client certificate → empty CN and fingerprint" \
  "$(last_record | js '[d.clientCertCN, d.clientCertSha256].join("|")')" "|"
status=0
curl -sS --http1.1 --cacert "$certs/ca.pem" -o /dev/null "https://127.0.0.1:$port/" 2> /dev/null ||
  status=$?
[ $status -ne 0 ] && pass "HTTP/1.1 is refused (ALPN h2 only)" || fail "HTTP/1.1 is refused"

expect "GET → 405" "$(apns "$tok" -X GET) $(reason)" "405 2 MethodNotAllowed"
expect "bad path → 404" "$(apns xyz) $(reason)" "404 2 BadPath"
expect "no apns-topic → 400" "$(NO_TOPIC=1 apns "$tok") $(reason)" "400 2 MissingTopic"

script "$tok" '{"status":410,"reason":"Unregistered","timestamp":1700000000000},
  {"status":400,"reason":"BadDeviceToken"}, {"status":429,"reason":"TooManyRequests"},
  {"status":500,"reason":"InternalServerError"}, {"status":503,"reason":"ServiceUnavailable"},
  {"status":403,"reason":"ExpiredProviderToken"}, {"status":410,"reason":"Unregistered"}'
expect "script: 410 with timestamp" \
  "$(apns "$tok") $(js '[d.reason, d.timestamp].join(" ")' < "$work/body")" \
  "410 2 Unregistered 1700000000000"
[[ "$(header apns-id)" =~ $uuid_re ]] && pass "error has a UUID apns-id" ||
  fail "error has a UUID apns-id"
for want in "400 BadDeviceToken" "429 TooManyRequests" "500 InternalServerError" \
            "503 ServiceUnavailable" "403 ExpiredProviderToken"; do
  got=$(apns "$tok")
  expect "script: $want" "${got% 2} $(reason)" "$want"
done
now_ms=$(date +%s%3N)
apns "$tok" > /dev/null
ts=$(js d.timestamp < "$work/body")
[ "$ts" -ge $((now_ms - 5000)) ] && [ "$ts" -le $((now_ms + 5000)) ] &&
  pass "script: 410 without a timestamp gets now" || fail "410 timestamp" "$ts vs $now_ms"
expect "script used up → 200" "$(apns "$tok")" "200 2"

script '*' '{"status":500,"reason":"InternalServerError"}, {"status":503}'
expect "* does not apply to a token with its own script" "$(apns "$tok")" "200 2"
expect "* applies to other tokens (1)" "$(apns 01) $(reason)" "500 2 InternalServerError"
expect "* applies to other tokens (2), reason by status" "$(apns 02) $(reason)" \
  "503 2 ServiceUnavailable"
expect "* used up → 200" "$(apns 03)" "200 2"

script 0d '{"status":200,"delay_ms":400}'
t=$(apns 0d -o /dev/null -w '%{time_total}')
at_least "$t" 0.4 && pass "delay_ms 400 → answered after ${t}s" || fail "delay_ms" "${t}s"
ctl POST /default '{"delay_ms":300}' > /dev/null
t=$(apns 0d -o /dev/null -w '%{time_total}')
at_least "$t" 0.3 && pass "default delay 300 ms → answered after ${t}s" ||
  fail "default delay" "${t}s"
ctl POST /default '{"delay_ms":0}' > /dev/null

# curl retries a refused stream on a fresh connection (up to 5 times), so its verbose log
# shows the stream error and the retry gets the token's next answer.
script 0e '{"action":"refused_stream"}, {"status":410,"reason":"Unregistered"}'
got=$(apns 0e -v 2> "$work/curl.log")
grep -q 'REFUSED_STREAM' "$work/curl.log" && pass "refused_stream: curl sees REFUSED_STREAM" ||
  fail "refused_stream: curl sees REFUSED_STREAM" "$(grep -i stream "$work/curl.log" | head -3)"
expect "refused_stream: curl's retry gets the next answer" "$got $(reason)" "410 2 Unregistered"
expect "refused_stream: recorded" "$(outcomes 0e)" "0e:410 0e:refused"
script 0e '{"action":"refused_stream"}'
expect "refused_stream: RST_STREAM REFUSED_STREAM (7), no response" \
  "$(h2c concurrent 0e | js '[d.results[0].rstCode, d.results[0].status].join(" ")')" "7 "

script a1 '{"status":200,"delay_ms":400}'
script b2 '{"action":"goaway"}'
out=$(WAIT_MS=3000 h2c concurrent a1 b2 c3)
expect "goaway: the earlier stream (in flight) is answered" "$(on "$out" 'd.results[0].status')" 200
expect "goaway: this stream and the later one refused unprocessed" "$(on "$out" \
  'd.results.slice(1).map((r) => `${r.id}:${r.rstCode}:${r.status}`).join(" ")')" \
  "3:7:null 5:7:null"
expect "goaway: GOAWAY frames (last-stream-id 1, never raised)" "$(on "$out" \
  '[...new Set(d.goaways.map((g) => `${g.errorCode}/${g.lastStreamID}`))].join(" ")')" "0/1"
expect "goaway: the server then closes the connection" "$(on "$out" d.closedByServer)" true
expect "goaway: recorded" "$(outcomes a1 b2)" "a1:200 b2:goaway"
script b2 '{"action":"goaway"}'
out=$(WAIT_MS=3000 h2c concurrent b2 c3)
expect "goaway on stream 1: both refused, GOAWAY says 1, closed" "$(on "$out" '[
  d.results.map((r) => r.rstCode + ":" + r.status).join(" "), d.goaways[0]?.lastStreamID,
  d.closedByServer].join(" ")')" "7:null 7:null 1 true"
script b2 '{"action":"goaway"}'
expect "goaway: curl retries on a fresh connection" "$(apns b2)" "200 2"

ctl POST /goaway-after '{"requests":4}' > /dev/null
apns 0f > /dev/null  # POST 1 of 4, on another connection
out=$(WAIT_MS=3000 h2c concurrent 11 12 13 14 15 16)
expect "goaway-after: streams up to the 4th POST answered, the rest refused" \
  "$(on "$out" 'd.results.map((r) => r.id + ":" + (r.status ?? r.rstCode)).join(" ")')" \
  "1:200 3:200 5:200 7:7 9:7 11:7"
expect "goaway-after: GOAWAY last-stream-id 5, connection closed" \
  "$(on "$out" '[d.goaways[0]?.lastStreamID, d.closedByServer].join(" ")')" "5 true"
expect "goaway-after: one shot" \
  "$(h2c concurrent 11 12 13 14 15 16 | js 'd.results.map((r) => r.status).join(" ")')" \
  "200 200 200 200 200 200"

expect "initial SETTINGS_MAX_CONCURRENT_STREAMS (certificate auth)" \
  "$(WAIT_MS=1 h2c idle | tail -1 | js 'd.settings[0]')" 1000
WAIT_MS=1200 h2c idle > "$work/idle.out" &
client_pids+=($!)
wait_line "$work/idle.out"
ctl POST /settings '{"maxConcurrentStreams":50}' > /dev/null
expect "/settings: a new connection starts with it" \
  "$(WAIT_MS=1 h2c idle | tail -1 | js 'd.settings[0]')" 50
wait "${client_pids[-1]}" || true
expect "/settings: sent to an open connection" \
  "$(tail -1 "$work/idle.out" | js 'd.settings.join(" ")')" "1000 50"
ctl POST /settings '{"maxConcurrentStreams":1000}' > /dev/null

ctl POST /reset > /dev/null
expect "/reset clears stats" "$(ctl GET /stats | js '[d.requests, Object.keys(d.byStatus).length,
  d.connections, d.maxConcurrentSeen, d.dropped].join(" ")')" "0 0 0 0 0"
expect "/reset clears records" "$(ctl GET /requests | js 'd.requests.length')" 0
for t in 21 22 23 24 25; do apns $t > /dev/null; done
page=$(ctl GET "/requests?limit=2")
expect "/requests?limit=2" "$(on "$page" 'd.requests.map((r) => r.token).join(" ")')" "21 22"
page2=$(ctl GET "/requests?since=$(on "$page" d.next)&limit=10")
expect "/requests?since=next" "$(on "$page2" 'd.requests.map((r) => r.token).join(" ")')" \
  "23 24 25"
expect "/requests: next follows the last seq" \
  "$(on "$page2" 'd.next === d.requests[2].seq + 1 && d.requests[0].seq > 1')" true
expect "/requests: nothing after next" \
  "$(ctl GET "/requests?since=$(on "$page2" d.next)" | js 'd.requests.length')" 0
ctl POST /default '{"delay_ms":300}' > /dev/null
h2c concurrent 31 32 33 34 35 36 37 38 > /dev/null
ctl POST /default '{"delay_ms":0}' > /dev/null
expect "/stats" "$(ctl GET /stats | js '[d.requests, d.byStatus["200"], d.byToken["21"],
  d.byToken["38"], d.connections, d.open, d.maxConcurrentSeen, d.dropped].join(" ")')" \
  "13 13 1 1 6 0 8 0"
bad_requests=("$(ctl_status POST /script '{"token":"zz","responses":[]}')"
              "$(ctl_status POST /script '{"token":"*","responses":[{"action":"x"}]}')"
              "$(ctl_status POST /settings 'nope')" "$(ctl_status GET /nothing)")
expect "bad control requests → 400" "${bad_requests[*]}" "400 400 400 400"

node -e 'const t = [];
         for (let i = 0; i < 10000; ++i) t.push(i.toString(16).padStart(64, "0"));
         require("fs").writeFileSync(process.argv[1], JSON.stringify(t));' "$work/tokens.json"
ctl POST /reset > /dev/null
gone=$(printf '%064x' 77)
script "$gone" '{"status":410,"reason":"Unregistered"}'
expect "fan-out: 10,000 devices on 2 connections" \
  "$(h2c fanout "$work/tokens.json" 2 200 | js 'd.counts')" '{"200":9999,"410":1}'
expect "/tokens-seen" "$(ctl GET /tokens-seen)" '{"count":9999}'
node -e 'const t = JSON.parse(require("fs").readFileSync(process.argv[1])); t.push("ffff");
         console.log(JSON.stringify({ tokens: t }));' "$work/tokens.json" > "$work/check.json"
expect "/tokens-seen/check" "$(curl -sS -X POST --data-binary "@$work/check.json" \
  "http://127.0.0.1:$cport/tokens-seen/check")" "{\"missing\":[\"$gone\",\"ffff\"]}"

WAIT_MS=10000 h2c idle > "$work/idle.out" &
client_pids+=($!)
wait_line "$work/idle.out"
stop cert
wait "${client_pids[-1]}" || true
expect "SIGTERM closes open connections" "$(tail -1 "$work/idle.out" | js d.closedByServer)" true

# --- Token-based provider auth -------------------------------------------------------------
start jwt --jwt-public-key "$certs/AuthKey_TESTKEY123.pub.pem"
key="$certs/AuthKey_TESTKEY123.p8"
good=$(h2c jwt "$key" TESTKEY123 TEAM123456)
expect "valid JWT → 200" "$(apns "$tok" -H "authorization: bearer $good")" "200 2"
expect "record: JWT verified, header and claims" "$(last_record | js '[d.jwtValid,
  d.jwtHeader.alg, d.jwtHeader.kid, d.jwtClaims.iss, Number.isInteger(d.jwtClaims.iat),
  d.clientCertCN === ""].join(" ")')" "true ES256 TESTKEY123 TEAM123456 true true"
expect "no JWT → 403" "$(apns "$tok") $(reason)" "403 2 MissingProviderToken"
for variant in sig alg nokid otherkey; do
  bad=$(h2c jwt "$key" TESTKEY123 TEAM123456 $variant)
  expect "JWT ($variant) → 403" "$(apns "$tok" -H "authorization: bearer $bad") $(reason)" \
    "403 2 InvalidProviderToken"
done
expect "JWT (garbage) → 403" "$(apns "$tok" -H "authorization: bearer abc.def") $(reason)" \
  "403 2 InvalidProviderToken"
expect "record: JWT not verified" "$(last_record | js 'd.jwtValid')" false
bad=$(h2c jwt "$key" TESTKEY123 TEAM123456 sig)
out=$(h2c settings "" "bearer $bad" "bearer $good" "bearer $good")
expect "SETTINGS_MAX_CONCURRENT_STREAMS: 1 until a valid JWT, then 1000" \
  "$(on "$out" 'd.results.map((r) => r.status + ":" + r.settingsAfter.join(",")).join(" ")')" \
  "403:1 403:1 200:1,1000 200:1,1000"
WAIT_MS=800 h2c settings "bearer $good" > "$work/raised.out" &
client_pids+=($!)
wait_line "$work/raised.out"
ctl POST /settings '{"maxConcurrentStreams":7}' > /dev/null
wait "${client_pids[-1]}" || true
expect "/settings: sent to an open connection" \
  "$(tail -1 "$work/raised.out" | js 'd.settings.join(" ")')" "1 1000 7"
expect "/settings: a new connection starts at 1, raised to it" \
  "$(h2c settings "bearer $good" | js 'd.settings.join(" ")')" "1 7"
stop jwt

if [ $failures -eq 0 ]; then
  echo "PASS: apns_standin self-test"
else
  echo "FAIL: apns_standin self-test, $failures check(s) failed"
  exit 1
fi
