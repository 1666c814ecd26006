#!/usr/bin/env bash
# HTTP benchmark of `passledger serve` against nginx (issue 6 §5). Build Release first
# (`make bench-http` does both).
#
# Default mode: the demo roster in a fresh data directory, one device registered for three
# passes of pass.org.example.member; then, interleaved run by run, wrk (-t1 -c32, --duration)
# against
#   nginx  a 150-byte JSON file                       (reference for the list route)
#   ours   GET  /v1/devices/D/registrations/TYPE      (the list route, 3 serials)
#   nginx  a static copy of the pass this server sends (reference for the pass download)
#   ours   GET  /v1/passes/TYPE/SERIAL                (signed on the warm-up request, then cached)
#   ours   POST /v1/devices/D/registrations/TYPE/SERIAL (repeated: 200 "already registered";
#          it still authenticates — one pass read, one HMAC — and reads the registration, but
#          appends nothing)
# and prints the median req/s, the ratio to nginx, the median p99 and the spread.
#
# --rss-1m: gen-roster 1,000,000 rows, import them, serve, register a device for 3 passes,
# put the same wrk load on list / pass / register for --duration each, --runs times, and
# report the server's VmRSS and VmHWM (/proc/PID/status) after start and after the load.
#
# nginx (Debian's package) runs as a throwaway instance: its own config in the temp dir,
# `daemon off` under this script, 127.0.0.1 on a free port, logs in the temp dir. Both servers
# write an access log line per request to a file (ours to stderr, redirected), so neither
# skips that work. Threads: nginx `worker_processes N` (--nginx-workers, default 1) and our
# server with server.threads = N I/O threads and server.workers = N pool threads (--threads,
# default 1; reads that memory can answer stay on the I/O thread, the rest hop to the pool).
# wrk takes most of one of the machine's cores, so on 2 vCPUs each server has about one core
# either way.
#
# Usage: tools/bench/http.sh [--bin PATH] [--runs N] [--duration S] [--connections C]
#                            [--threads N] [--nginx-workers N] [--keep] [--rss-1m [--rows N]]
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
bin="$src/build/release/tools/passledger"
runs=3
duration=10
connections=32
threads=1
nginx_workers=1
rss_mode=0
rows=1000000
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --nginx-workers) nginx_workers=$2; shift 2 ;;
    --rss-1m) rss_mode=1; shift ;;
    --rows) rows=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "http.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in wrk nginx curl python3 unzip; do
  command -v "$tool" > /dev/null || { echo "http.sh: $tool not found (tools/install-deps.sh)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "http.sh: no binary $bin (make build-release)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-bench-http.XXXXXX")
server_pid=""
nginx_pid=""
cleanup() {
  [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2> /dev/null && wait "$nginx_pid" 2> /dev/null
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2> /dev/null && wait "$server_pid" 2> /dev/null
  if [ "$keep" = 1 ]; then echo "http.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "http.sh: $*" >&2; [ -f "$work/server.err" ] && grep -v '^access ' "$work/server.err" | tail -5 >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

data="$work/data"
type=pass.org.example.member
device=benchdevice1
port=$(free_port)
base="http://127.0.0.1:$port"

start_server() {  # [extra serve args]
  PASSLEDGER_SERVER_THREADS=$threads PASSLEDGER_SERVER_WORKERS=$threads \
    "$bin" --data "$data" serve --listen "127.0.0.1:$port" "$@" \
    >> "$work/server.out" 2>> "$work/server.err" &
  server_pid=$!
  for _ in $(seq 1 600); do
    curl -fs "$base/healthz" > /dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2> /dev/null || fail "server exited at start"
    sleep 0.1
  done
  fail "server not healthy within 60 s"
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "server exited $? after SIGTERM"
  server_pid=""
}

# Serials and tokens of MEMBER's passes, appended to $work/passes.tsv ("serial<TAB>token").
add_member_passes() {
  local out="$work/render-$1"
  "$bin" --data "$data" pass render --member "$1" --out "$out" > "$out.txt" 2> /dev/null ||
    fail "pass render --member $1"
  # One pass is written to --out itself, several into it as SERIAL.pkpass: take the path.
  cut -f1,2 "$out.txt" | while IFS=$'\t' read -r serial path; do
    printf '%s\t%s\n' "$serial" "$(unzip -p "$path" pass.json |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["authenticationToken"])')"
  done >> "$work/passes.tsv"
}

# Registers $device for the first three passes in passes.tsv; the list must then name 3.
register_device() {
  local serial token
  head -3 "$work/passes.tsv" > "$work/passes3.tsv"
  [ "$(wc -l < "$work/passes3.tsv")" -eq 3 ] || fail "fewer than 3 passes: $(cat "$work/passes.tsv")"
  while IFS=$'\t' read -r serial token; do
    status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H "Authorization: ApplePass $token" \
      -d '{"pushToken":"0a1b2c3d"}' "$base/v1/devices/$device/registrations/$type/$serial")
    [ "$status" = 201 ] || [ "$status" = 200 ] || fail "register $serial: $status"
  done < "$work/passes3.tsv"
  curl -fs "$base/v1/devices/$device/registrations/$type" > "$work/list.json" || fail "list"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["serialNumbers"])==3, d' \
    "$work/list.json" || fail "the list does not name 3 serials: $(cat "$work/list.json")"
  IFS=$'\t' read -r serial1 token1 < "$work/passes3.tsv"
  # The first download signs the pass; every later one is served from the cache.
  curl -fs -H "Authorization: ApplePass $token1" -o "$work/pass.pkpass" \
    "$base/v1/passes/$type/$serial1" || fail "pass download"
}

# wrk scripts: request method/headers/body and an exact summary line from done().
write_lua() {  # name method body [header]
  {
    echo "wrk.method = \"$2\""
    [ -n "$3" ] && echo "wrk.body = '$3'"
    [ -n "${4:-}" ] && echo "wrk.headers[\"Authorization\"] = \"$4\""
    cat << 'EOF'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT rps=%.1f p50_us=%d p99_us=%d max_us=%d requests=%d bytes=%d errors=%d bad_status=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50), latency:percentile(99),
    latency.max, summary.requests, summary.bytes,
    e.connect + e.read + e.write + e.timeout, e.status))
end
EOF
  } > "$work/$1.lua"
}

# One wrk run; appends "label rps p99_us" to results.txt and prints a line.
run_wrk() {  # label url lua
  local line
  line=$(wrk -t1 -c"$connections" -d"${duration}s" -s "$work/$3.lua" "$2" | grep '^RESULT') ||
    fail "wrk $1 failed"
  echo "$1 $line" >> "$work/raw.txt"
  python3 - "$1" "$line" << 'EOF' | tee -a "$work/results.txt"
import sys
label, line = sys.argv[1], sys.argv[2]
f = dict(kv.split("=") for kv in line.split()[1:])
if int(f["errors"]) or int(f["bad_status"]):
    print(f"# warning: {label}: {f['errors']} socket errors, {f['bad_status']} non-2xx/3xx", file=sys.stderr)
per = int(f["bytes"]) // max(1, int(f["requests"]))
print(f"{label} {float(f['rps']):.0f} {f['p99_us']} {per}")
EOF
}

proc_memory() {  # pid -> "VmRSS_kB VmHWM_kB"
  awk '/^VmRSS:/ {r=$2} /^VmHWM:/ {h=$2} END {print r, h}' "/proc/$1/status"
}

start_nginx() {
  mkdir -p "$work/www" "$work/nginx"
  chmod 755 "$work" "$work/www"
  local nport user_line=""
  nport=$(free_port)
  # Run as root, the master would hand the workers to `nobody` anyway; say so explicitly.
  [ "$(id -u)" -eq 0 ] && user_line="user nobody nogroup;"
  cat > "$work/nginx/nginx.conf" << EOF
$user_line
worker_processes $nginx_workers;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log $work/nginx/access.log;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  types { application/json json; application/vnd.apple.pkpass pkpass; }
  server {
    listen 127.0.0.1:$nport;
    root $work/www;
  }
}
EOF
  nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
  nginx_pid=$!
  nbase="http://127.0.0.1:$nport"
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "$nbase/small.json" 2> /dev/null && return 0
    kill -0 "$nginx_pid" 2> /dev/null || { cat "$work/nginx/error.log" >&2; fail "nginx exited at start"; }
    sleep 0.1
  done
  fail "nginx not answering"
}

# Median, min and max of column COL for LABEL in results.txt.
stats() {  # label col
  awk -v l="$1" -v c="$2" '$1 == l {print $c}' "$work/results.txt" | sort -n |
    awk '{v[NR]=$1} END {m = (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "%d %d %d\n", m, v[1], v[NR]}'
}

machine_note() {
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  local reference="nginx worker_processes $nginx_workers; "
  [ "$rss_mode" = 1 ] && reference=""
  echo "# wrk -t1 -c$connections -d${duration}s, $runs runs interleaved; ${reference}passledger server.threads=$threads server.workers=$threads"
}

bench_demo() {
  start_server --demo
  add_member_passes 8-10000001  # a family membership: 2 passes
  add_member_passes 8-10000002  # 1 pass
  register_device
  IFS=$'\t' read -r serial1 token1 < "$work/passes3.tsv"

  mkdir -p "$work/www"
  cp "$work/pass.pkpass" "$work/www/pass.pkpass"
  python3 -c 'import json; s=json.dumps({"serialNumbers":["x"*20]*3,"lastUpdated":"1"}); print(s + " "*(149-len(s)))' \
    > "$work/www/small.json"
  chmod 644 "$work/www/"*
  [ "$(stat -c %s "$work/www/small.json")" -eq 150 ] || fail "small.json is not 150 bytes"
  start_nginx

  write_lua get GET ""
  write_lua pass GET "" "ApplePass $token1"
  write_lua register POST '{"pushToken":"0a1b2c3d"}' "ApplePass $token1"
  local list_url="$base/v1/devices/$device/registrations/$type"
  local pass_url="$base/v1/passes/$type/$serial1"
  local register_url="$base/v1/devices/$device/registrations/$type/$serial1"

  machine_note | tee "$work/notes.txt"
  echo "# list body $(stat -c %s "$work/list.json") bytes; pass $(stat -c %s "$work/pass.pkpass") bytes"
  echo "# label req/s p99_us bytes/response"
  for run in $(seq 1 "$runs"); do
    run_wrk nginx-small "$nbase/small.json" get
    run_wrk list "$list_url" get
    run_wrk nginx-pass "$nbase/pass.pkpass" get
    run_wrk pass "$pass_url" pass
    run_wrk register "$register_url" register
  done
  read -r rss hwm < <(proc_memory "$server_pid")

  local small big
  small=$(stats nginx-small 2 | cut -d' ' -f1)
  big=$(stats nginx-pass 2 | cut -d' ' -f1)
  echo
  cat "$work/notes.txt"
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
  printf '%-34s %10s %18s %8s %10s %18s\n' "figure" "req/s" "(min-max)" "ratio" "p99 ms" "(min-max)"
  for label in nginx-small list nginx-pass pass register; do
    read -r m lo hi < <(stats "$label" 2)
    read -r pm plo phi < <(stats "$label" 3)
    case $label in
      nginx-small) name="nginx, 150-byte JSON" ref=$small ;;
      list) name="list route (3 passes)" ref=$small ;;
      nginx-pass) name="nginx, $(stat -c %s "$work/pass.pkpass")-byte file" ref=$big ;;
      pass) name="pass download (cached)" ref=$big ;;
      register) name="register (repeat, 200)" ref="" ;;
    esac
    ratio="-"
    case $label in list | pass) ratio=$(awk -v a="$m" -v b="$ref" 'BEGIN {printf "%.0f %%", 100*a/b}') ;; esac
    printf '%-34s %10d %18s %8s %10.2f %18s\n' "$name" "$m" "($lo-$hi)" "$ratio" \
      "$(awk -v x="$pm" 'BEGIN {print x/1000}')" "($(awk -v a="$plo" -v b="$phi" 'BEGIN {printf "%.2f-%.2f", a/1000, b/1000}'))"
  done
  # The machine's speed drifts from minute to minute: each of our runs against the nginx run
  # just before it, too.
  python3 - "$work/results.txt" << 'EOF'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for ours, ref in (("list", "nginx-small"), ("pass", "nginx-pass")):
    a = [float(r[1]) for r in rows if r[0] == ours]
    b = [float(r[1]) for r in rows if r[0] == ref]
    ratios = [100 * x / y for x, y in zip(a, b)]
    print(f"{ours} / the nginx run before it: {' '.join(f'{r:.0f}' for r in ratios)} %;"
          f" median {statistics.median(ratios):.0f} %")
EOF
  echo "server memory after the runs: VmRSS $((rss / 1024)) MiB, VmHWM $((hwm / 1024)) MiB"
  echo "goals: list and pass download >= 70 % of nginx; p99 <= 10 ms at $connections connections"
}

bench_rss() {
  local roster="$work/roster.csv" t0 t1
  echo "# gen-roster $rows"
  "$bin" gen-roster "$rows" --out "$roster" > /dev/null
  echo "# import ($(du -m "$roster" | cut -f1) MiB)"
  t0=$(date +%s)
  "$bin" --data "$data" import "$roster" > "$work/import.out" 2> "$work/import.err" ||
    { tail "$work/import.err" >&2; fail "import"; }
  t1=$(date +%s)
  echo "# imported in $((t1 - t0)) s: $(grep -i -m1 -E 'enrolled|memberships' "$work/import.out" || true)"
  start_server
  read -r rss hwm < <(proc_memory "$server_pid")
  echo "after start: VmRSS $((rss / 1024)) MiB, VmHWM $((hwm / 1024)) MiB"
  # Three passes of the first memberships in the file.
  for member in $(python3 -c 'import csv,sys
seen=[]
for row in csv.reader(open(sys.argv[1], encoding="utf-8-sig")):
    if row and row[0][:1].isdigit() and row[0] not in seen: seen.append(row[0])
    if len(seen) == 3: break
print(" ".join(seen))' "$roster"); do
    add_member_passes "$member"
    [ "$(wc -l < "$work/passes.tsv")" -ge 3 ] && break
  done
  register_device
  IFS=$'\t' read -r serial1 token1 < "$work/passes3.tsv"
  write_lua get GET ""
  write_lua pass GET "" "ApplePass $token1"
  write_lua register POST '{"pushToken":"0a1b2c3d"}' "ApplePass $token1"
  machine_note
  echo "# label req/s p99_us bytes/response"
  for run in $(seq 1 "$runs"); do
    run_wrk list "$base/v1/devices/$device/registrations/$type" get
    run_wrk pass "$base/v1/passes/$type/$serial1" pass
    run_wrk register "$base/v1/devices/$device/registrations/$type/$serial1" register
    read -r rss hwm < <(proc_memory "$server_pid")
    echo "after run $run: VmRSS $((rss / 1024)) MiB, VmHWM $((hwm / 1024)) MiB"
  done
  echo "goal: RSS <= 300 MB with $rows members imported"
}

if [ "$rss_mode" = 1 ]; then bench_rss; else bench_demo; fi
