#!/usr/bin/env bash
# End-to-end test of `passledger serve` with a real HTTP client (curl): the demo starts on an
# empty data directory, a device goes through Apple's whole lifecycle, a writer beside the
# server (append) is refused naming its pid while read-only commands work, a roster change (server
# stopped, CLI import, restart) shows up as exactly that serial with a larger tag, and
# SIGTERM stops the server with exit status 0 and the state intact; a device log goes to the
# bounded ring (read by `device-logs`), not to the event log; a download link from `pass link`
# serves the pass, the page and one 404, and after the change and a restart the new pass.
# Usage: serve_test.sh PASSLEDGER_BINARY SOURCE_DIR
set -euo pipefail
bin=${1:?passledger binary}
src=${2:?source dir}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-serve-test.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
data="$work/data"
fail() { echo "FAIL: $*" >&2; [ -f "$work/server.err" ] && tail -20 "$work/server.err" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
type=pass.org.example.member

start_server() {
  "$bin" --data "$data" serve --demo --listen "127.0.0.1:$port" >> "$work/server.out" 2>> "$work/server.err" &
  server_pid=$!
  for _ in $(seq 1 300); do
    curl -fs "$base/healthz" > /dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2> /dev/null || fail "server exited at start"
    sleep 0.1
  done
  fail "server not healthy within 30 s"
}
stop_server() {
  kill -TERM "$server_pid"
  local status=0
  wait "$server_pid" || status=$?
  server_pid=""
  [ $status -eq 0 ] || fail "server exited $status after SIGTERM"
}
code() { curl -s -o "$work/body" -D "$work/headers" -w '%{http_code}' "$@"; }
header() { grep -i "^$1:" "$work/headers" | head -1 | cut -d' ' -f2- | tr -d '\r'; }

start_server
grep -q 'demo roster imported' "$work/server.err" || fail "demo roster not imported"

# Read-only commands work beside the server; a writer that does not go through its operator
# socket (append) is refused, naming its pid (the others: operator_socket_test).
"$bin" --data "$data" pass render --member 8-10000001 --out "$work/passes" > "$work/render.out" 2> /dev/null ||
  fail "pass render beside the server"
set +e
"$bin" --data "$data" append --stream member-8-10000001 --type NoteAdded > /dev/null 2> "$work/err"; status=$?
set -e
[ $status -ne 0 ] || fail "an append beside the server must be refused"
grep -q "in use by process $server_pid" "$work/err" || fail "refusal does not name the pid: $(cat "$work/err")"

serial=$(head -1 "$work/render.out" | cut -f1)
token=$(unzip -p "$work/passes/$serial.pkpass" pass.json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["authenticationToken"])')
auth="Authorization: ApplePass $token"
reg="$base/v1/devices/device1/registrations/$type"

[ "$(code -X POST -H "$auth" -d '{"pushToken":"0a1b2c"}' "$reg/$serial")" = 201 ] || fail "register"
[ "$(code -X POST -H "$auth" -d '{"pushToken":"0a1b2c"}' "$reg/$serial")" = 200 ] || fail "register again"
[ "$(code -X POST -H "Authorization: ApplePass wrong" -d '{"pushToken":"0a"}' "$reg/$serial")" = 401 ] ||
  fail "wrong token"
[ "$(code "$reg")" = 200 ] || fail "list"
tag=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["serialNumbers"]==[sys.argv[2]], d; print(d["lastUpdated"])' \
  "$work/body" "$serial") || fail "list body: $(cat "$work/body")"
[ "$(code "$reg?passesUpdatedSince=$tag")" = 204 ] || fail "list with the tag"

# The download link e-mails carry (docs/PASSKIT.md, "Download links"): made by `pass link`
# beside the server, under the listen address by default; the pass, the page, one 404.
link=$(PASSLEDGER_SERVER_LISTEN="127.0.0.1:$port" "$bin" --data "$data" pass link --serial "$serial") ||
  fail "pass link"
case "$link" in "$base/p/"*) ;; *) fail "link $link is not under $base/p/" ;; esac
pass_json_of_body() { unzip -p "$work/body" pass.json; }
[ "$(code "$link")" = 200 ] || fail "download link"
[ "$(header Content-Type)" = application/vnd.apple.pkpass ] || fail "link content type"
pass_json_of_body | grep -q "\"serialNumber\" *: *\"$serial\"" || fail "the link serves another pass"
[ "$(code -H 'Accept: text/html' "$link")" = 200 ] || fail "link page"
grep -q "href=\"${link##*/}.pkpass\"" "$work/body" || fail "the page does not link to the pass"
[ "$(code "$link.pkpass")" = 200 ] || fail "the page's link"
[ "$(code "${link}A")" = 404 ] || fail "an altered link"

stop_server
sed 's/avery.quill@example.org/avery.q@example.org/g' "$src/tests/data/altru-roster.csv" > "$work/changed.csv"
"$bin" --data "$data" import "$work/changed.csv" > /dev/null 2>&1 || fail "CLI import of the change"
start_server
[ "$(code "$reg?passesUpdatedSince=$tag")" = 200 ] || fail "list after the change"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["serialNumbers"]==[sys.argv[2]], d; assert int(d["lastUpdated"])>int(sys.argv[3]), d' \
  "$work/body" "$serial" "$tag" || fail "changed list: $(cat "$work/body")"
# The link survives the restart and serves the revised pass.
[ "$(code "$link")" = 200 ] || fail "download link after the change"
pass_json_of_body | grep -q "avery.q@example.org" || fail "the link serves an old version"

[ "$(code -H "$auth" "$base/v1/passes/$type/$serial")" = 200 ] || fail "GET pass"
[ "$(header Content-Type)" = application/vnd.apple.pkpass ] || fail "content type"
modified=$(header Last-Modified)
[ -n "$modified" ] || fail "no Last-Modified"
head -c 2 "$work/body" | grep -q PK || fail "the pass is not a zip"
[ "$(code -H "$auth" -H "If-Modified-Since: $modified" "$base/v1/passes/$type/$serial")" = 304 ] ||
  fail "If-Modified-Since"
[ "$(code -I -H "$auth" "$base/v1/passes/$type/$serial")" = 200 ] || fail "HEAD"
[ "$(code -X DELETE -H "$auth" "$reg/$serial")" = 200 ] || fail "unregister"
[ "$(code "$reg")" = 204 ] || fail "list after unregister"
[ "$(code -X DELETE -H "$auth" "$reg/$serial")" = 200 ] || fail "unregister again"

# The state survives a graceful stop and a restart.
[ "$(code -X POST -H "$auth" -d '{"pushToken":"0a1b2c"}' "$reg/$serial")" = 201 ] || fail "re-register"
stop_server
start_server
[ "$(code "$reg")" = 200 ] || fail "registration lost over a restart"
# The page is fetched whole before grep reads it: `curl | grep -q` under pipefail fails when
# grep exits at the first match and curl, still writing, gets SIGPIPE.
metrics_page() { curl -fs "$base/metrics"; }
page=$(metrics_page) || fail "metrics: curl"
grep -q 'passledger_http_requests_total' <<<"$page" || fail "metrics"

# Device logs go to the bounded ring, not the event log. The positive control: a registration
# beside it adds one event, which `log` (read-only beside the server) sees.
events() { "$bin" --data "$data" log | wc -l; }
count0=$(events)
[ "$(code -X POST -H "$auth" -d '{"pushToken":"0d"}' "$base/v1/devices/device2/registrations/$type/$serial")" = 201 ] ||
  fail "register device2"
count1=$(events)
[ "$count1" -eq $((count0 + 1)) ] || fail "the registration is not seen by log ($count0 -> $count1)"
[ "$(code -X POST -d '{"logs":["serve_test log line"]}' "$base/v1/log")" = 200 ] || fail "POST /v1/log"
[ "$(events)" -eq "$count1" ] || fail "a device log reached the event log"
"$bin" --data "$data" device-logs > "$work/device-logs" || fail "device-logs"
python3 - "$work/device-logs" <<'PY' || fail "device-logs output: $(cat "$work/device-logs")"
import json, re, sys
records = [json.loads(line) for line in open(sys.argv[1])]
assert len(records) == 1, records
r = records[0]
assert r["lines"] == ["serve_test log line"], r
assert r["device"] is None, r
assert re.fullmatch(r"[0-9a-f]{16}", r["client"]), r
assert "127.0.0.1" not in json.dumps(r), r
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["at"]), r
PY
[ "$("$bin" --data "$data" device-logs --since 2000-01-01 | wc -l)" -eq 1 ] || fail "device-logs --since (past)"
[ -z "$("$bin" --data "$data" device-logs --since 2100-01-01)" ] || fail "device-logs --since (future)"
[ -z "$("$bin" --data "$data" device-logs --device device1)" ] || fail "device-logs --device"
"$bin" --data "$data" device-logs --since 42 > /dev/null 2>&1 && fail "device-logs --since a position"
page=$(metrics_page) || fail "device log metrics: curl"
grep -q '^passledger_device_log_records 1' <<<"$page" || fail "device log metrics"
grep -q "$token" "$work/server.err" "$work/server.out" && fail "a token appears in the server's output"
stop_server
echo "serve_test: ok"
