#!/usr/bin/env bash
# Push benchmark (issue 14 §5): `passledger bench push` — one pass change fanned out to
# --devices registered devices through the real dispatcher — against h2load POSTing {} to the
# same HTTP/2 TLS server with the same connection and stream counts, run by run, over 1 and
# over 4 connections. Build Release first (`make bench-push` does both).
#
# The server is Debian's nginx as a throwaway instance (its own config in a temp dir, HTTP/2
# over TLS on 127.0.0.1, keepalive_requests and http2_max_concurrent_streams raised so that it
# neither closes connections nor limits streams below --streams), with --nginx-workers worker
# processes (default 1: the load generator or our client takes the other core). Two ways to
# answer `POST /3/device/<token>` (--server):
#   reads-body (default)  like APNs: the request body is read, then 200 (nginx's mirror
#                         module reads it; the answer comes from a named location);
#   answers-early         `return 200` at once, before the body has arrived, then
#                         RST_STREAM(NO_ERROR) for the unread body — libcurl 7.88 then stalls
#                         some uploads until their timeout (docs/PERFORMANCE.md).
# Each line prints requests per second; the summary gives the medians, our ratio to h2load,
# and whether 100,000 devices took ≤ 3 s.
#
# Usage: tools/bench/push.sh [--bin PATH] [--runs N] [--devices N] [--streams N]
#                            [--connections "1 4"] [--nginx-workers N]
#                            [--server reads-body|answers-early] [--keep]
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
bin="$src/build/release/tools/passledger"
runs=3
devices=100000
streams=50
connection_counts="1 4"
nginx_workers=1
server=reads-body
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --devices) devices=$2; shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    --connections) connection_counts=$2; shift 2 ;;
    --nginx-workers) nginx_workers=$2; shift 2 ;;
    --server) server=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "push.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
case "$server" in
  reads-body)
    device_location='location /3/device/ { mirror /read-body; mirror_request_body on; error_page 404 405 =200 @answer; }
    location = /read-body { internal; return 204; }
    location @answer { return 200; }' ;;
  answers-early) device_location='location /3/device/ { return 200; }' ;;
  *) echo "push.sh: --server is reads-body or answers-early, not $server" >&2; exit 2 ;;
esac
for tool in nginx h2load openssl python3; do
  command -v "$tool" > /dev/null || { echo "push.sh: $tool not found (tools/install-deps.sh)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "push.sh: no binary $bin (make build-release)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-bench-push.XXXXXX")
nginx_pid=""
cleanup() {
  [ -n "$nginx_pid" ] && kill -TERM "$nginx_pid" 2> /dev/null && wait "$nginx_pid" 2> /dev/null
  if [ "$keep" = 1 ]; then echo "push.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "push.sh: $*" >&2; exit 1; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

"$src/tests/testing/make_apns_test_certs.sh" "$work/certs" > /dev/null
mkdir -p "$work/nginx"
cat > "$work/nginx/nginx.conf" << CONF
daemon off;
worker_processes $nginx_workers;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 1000000000;
  keepalive_timeout 600s;
  http2_max_concurrent_streams $((streams * 2));
  server {
    listen 127.0.0.1:$port ssl http2;
    ssl_certificate $work/certs/server.pem;
    ssl_certificate_key $work/certs/server.key;
    root /nonexistent/passledger-bench;  # every path is 404 (not logged), answered 200
    log_not_found off;
    $device_location
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
nginx_pid=$!
for _ in $(seq 1 100); do
  curl -sk --http2 -o /dev/null -X POST -d '{}' "https://127.0.0.1:$port/3/device/00" && break
  kill -0 "$nginx_pid" 2> /dev/null || { cat "$work/nginx/error.log" >&2; fail "nginx exited at start"; }
  sleep 0.1
done
echo '{}' | tr -d '\n' > "$work/body.json"
url="https://127.0.0.1:$port"
echo "push.sh: nginx $(nginx -v 2>&1 | sed 's/.*\///') worker_processes $nginx_workers at $url ($server); $devices devices, $streams streams per connection, $runs runs"

: > "$work/results.tsv"
for c in $connection_counts; do
  for run in $(seq 1 "$runs"); do
    h2load -n "$devices" -c "$c" -m "$streams" -d "$work/body.json" \
      -H 'apns-topic: pass.org.example.member' -H 'apns-push-type: background' \
      -H 'apns-priority: 5' -H 'content-type: application/json' \
      "$url/3/device/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" \
      > "$work/h2load.out" 2>&1 || { cat "$work/h2load.out" >&2; fail "h2load"; }
    rate=$(sed -n 's/^finished in [0-9.]*m\?s, \([0-9.]*\) req\/s.*/\1/p' "$work/h2load.out")
    ok=$(sed -n 's/^status codes: \([0-9]*\) 2xx.*/\1/p' "$work/h2load.out")
    [ "$ok" = "$devices" ] || { cat "$work/h2load.out" >&2; fail "h2load: $ok of $devices answered 2xx"; }
    echo "  c=$c run $run  h2load      $rate req/s"
    printf 'h2load\t%s\t%s\t%s\n' "$c" "$run" "$rate" >> "$work/results.tsv"
    "$bin" bench push --url "$url" --ca-file "$work/certs/ca.pem" --devices "$devices" \
      --connections "$c" --streams "$streams" --runs 1 --dir "$work/scratch" > "$work/ours.out" 2>&1 ||
      { cat "$work/ours.out" >&2; fail "passledger bench push"; }
    seconds=$(sed -n 's/^bench push: median \([0-9.]*\) s.*/\1/p' "$work/ours.out")
    ours=$(python3 -c "print(f'{$devices / $seconds:.0f}')")
    echo "  c=$c run $run  passledger  $ours pushes/s ($seconds s end to end)"
    printf 'ours\t%s\t%s\t%s\t%s\n' "$c" "$run" "$ours" "$seconds" >> "$work/results.tsv"
  done
done

python3 - "$work/results.tsv" "$devices" << 'PY'
import statistics, sys
rows = [line.rstrip("\n").split("\t") for line in open(sys.argv[1])]
devices = int(sys.argv[2])
for c in sorted({r[1] for r in rows}, key=int):
    h2 = [float(r[3]) for r in rows if r[0] == "h2load" and r[1] == c]
    ours = [float(r[3]) for r in rows if r[0] == "ours" and r[1] == c]
    secs = [float(r[4]) for r in rows if r[0] == "ours" and r[1] == c]
    ratios = [o / h for o, h in zip(ours, h2)]
    print(f"connections={c}: h2load median {statistics.median(h2):.0f} req/s, passledger median "
          f"{statistics.median(ours):.0f} pushes/s = {100 * statistics.median(ratios):.0f} % of h2load "
          f"(runs: {' '.join(f'{100 * r:.0f}' for r in ratios)} %); {devices} devices in "
          f"{statistics.median(secs):.2f} s end to end (goal ≤ 3 s for 100,000)")
PY
