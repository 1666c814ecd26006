#!/usr/bin/env bash
# Admin API benchmark (issue 16 §5). Build Release first (`make bench-admin` does both).
#
# Search and dashboard: gen-roster --rows rows (default 1,760,000: about 1,000,000
# memberships, 230 MiB), imported by `passledger import` as the nightly job would; an admin
# account; `passledger serve`; a session from POST /admin/api/session. Then, over one
# keep-alive connection (curl with a list of URLs, which times every transfer with libcurl),
# interleaved run by run:
#   reference  GET /healthz                                 (the HTTP floor of this server)
#   search     GET /admin/api/members?q=<prefix>             (--queries one-word prefixes of
#              the roster's last names, 3 letters, each a page of 50)
#   dashboard  GET /admin/api/dashboard
# and prints each one's median and p99 in ms, the ratio of the search median to the
# reference, the median over the runs.
#
# Upload: gen-roster --upload-rows rows (default 1,000,000: 131 MiB) into a fresh data
# directory of a second server, POSTed to /admin/api/imports as text/csv; the server's VmHWM
# (/proc/PID/status) before and after the import. Reference in the same run: the same file
# imported by `passledger import`, which streams the file in 1 MiB blocks and so holds no
# copy of it: its peak RSS (GNU time's maxrss) above an idle command's is the importer's own
# memory. (server rise − CLI rise) / file size estimates how many copies of the file the
# server held.
#
# Usage: tools/bench/admin.sh [--bin PATH] [--rows N] [--upload-rows N] [--queries N]
#                             [--runs N] [--skip-upload] [--keep]
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
bin="$src/build/release/tools/passledger"
rows=1760000
upload_rows=1000000
queries=200
runs=3
skip_upload=0
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --upload-rows) upload_rows=$2; shift 2 ;;
    --queries) queries=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --skip-upload) skip_upload=1; shift ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "admin.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
for tool in curl python3 /usr/bin/time; do
  command -v "$tool" > /dev/null || { echo "admin.sh: $tool not found (tools/install-deps.sh)" >&2; exit 1; }
done
[ -x "$bin" ] || { echo "admin.sh: no binary $bin (make build-release)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-bench-admin.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2> /dev/null && wait "$server_pid" 2> /dev/null
  if [ "$keep" = 1 ]; then echo "admin.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
fail() { echo "admin.sh: $*" >&2; [ -f "$work/server.err" ] && grep -v '^access ' "$work/server.err" | tail -5 >&2; exit 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export PASSLEDGER_IMPORT_MAX_FILE_MIB=1024
password="quiet-lantern-$RANDOM$RANDOM-harbour"

start_server() {  # data port
  "$bin" --data "$1" serve --listen "127.0.0.1:$2" >> "$work/server.out" 2>> "$work/server.err" &
  server_pid=$!
  for _ in $(seq 1 1200); do
    curl -fs "http://127.0.0.1:$2/healthz" > /dev/null 2>&1 && return 0
    kill -0 "$server_pid" 2> /dev/null || fail "server exited at start"
    sleep 0.1
  done
  fail "server not healthy within 120 s"
}

stop_server() {
  kill -TERM "$server_pid"
  wait "$server_pid" || fail "server exited $? after SIGTERM"
  server_pid=""
}

# An admin account in DATA, then a session on the server at PORT: its cookie jar and token.
sign_in() {  # data port
  printf '%s\n' "$password" | "$bin" --data "$1" user add bench --role admin --password-stdin \
    > /dev/null || fail "user add"
  start_server "$1" "$2"
  curl -fs -c "$work/cookies" -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$password\"}" \
    "http://127.0.0.1:$2/admin/api/session" > "$work/login.json" || fail "login"
  csrf=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["csrfToken"])' "$work/login.json")
}

vm() {  # pid field → KiB
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}

machine_note() {
  echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) vCPU, $(awk '/MemTotal/ {printf "%d GiB", $2/1048576}' /proc/meminfo), $("$bin" --version 2> /dev/null || echo passledger)"
}

# Times every URL of FILE over one connection; prints "median_ms p99_ms count".
time_urls() {  # label urls-file
  curl -s -b "$work/cookies" -K "$2" -w '%{http_code} %{time_total}\n' > "$work/times-$1" ||
    fail "$1: curl failed"
  python3 - "$work/times-$1" "$1" << 'EOF'
import statistics, sys
codes, times = [], []
for line in open(sys.argv[1]):
    code, seconds = line.split()
    codes.append(code)
    times.append(float(seconds) * 1000)
bad = [c for c in codes if c != "200"]
if bad:
    sys.exit(f"{sys.argv[2]}: {len(bad)} answers were not 200 (first {bad[0]})")
times.sort()
p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
print(f"{statistics.median(times):.3f} {p99:.3f} {len(times)}")
EOF
}

url_file() {  # name base path... → $work/urls-name
  local name=$1 base=$2
  shift 2
  : > "$work/urls-$name"
  for path in "$@"; do printf 'url = "%s%s"\noutput = "/dev/null"\n' "$base" "$path" >> "$work/urls-$name"; done
}

bench_search() {
  local data="$work/data" roster="$work/roster.csv" port t0 t1
  port=$(free_port)
  echo "# gen-roster $rows"
  "$bin" gen-roster "$rows" --out "$roster" > /dev/null
  echo "# passledger import ($(du -m "$roster" | cut -f1) MiB)"
  t0=$(date +%s)
  "$bin" --data "$data" import "$roster" > "$work/import.out" 2> "$work/import.err" ||
    { tail "$work/import.err" >&2; fail "import"; }
  t1=$(date +%s)
  echo "# imported in $((t1 - t0)) s"
  sign_in "$data" "$port"
  local base="http://127.0.0.1:$port" members
  members=$(curl -fs -b "$work/cookies" "$base/admin/api/dashboard" |
    python3 -c 'import json,sys; m=json.load(sys.stdin)["members"]; print(m["total"])')
  echo "# members in the views (all statuses): $members"
  # One-word prefixes: the first three letters of last names in the file, distinct, shuffled.
  mapfile -t prefixes < <(python3 - "$roster" "$queries" << 'EOF'
import csv, random, sys
seen = []
for row in csv.reader(open(sys.argv[1], encoding="utf-8-sig")):
    if len(row) > 5 and row[0][:1].isdigit():
        word = row[5].split()[0].lower()[:3] if row[5].strip() else ""
        if len(word) == 3 and word.isalpha() and word not in seen:
            seen.append(word)
random.Random(16).shuffle(seen)
print("\n".join(seen[: int(sys.argv[2])]))
EOF
)
  [ "${#prefixes[@]}" -gt 0 ] || fail "no name prefixes in the roster"
  local search_paths=() health_paths=() dashboard_paths=()
  for p in "${prefixes[@]}"; do
    search_paths+=("/admin/api/members?q=$p")
    health_paths+=("/healthz")
  done
  for _ in $(seq 1 50); do dashboard_paths+=("/admin/api/dashboard"); done
  url_file search "$base" "${search_paths[@]}"
  url_file health "$base" "${health_paths[@]}"
  url_file dashboard "$base" "${dashboard_paths[@]}"
  time_urls warmup "$work/urls-search" > /dev/null  # the first pass warms the block cache
  machine_note
  echo "# run reference(healthz) median/p99 ms | search median/p99 ms | dashboard median/p99 ms | search/reference"
  : > "$work/runs"
  for run in $(seq 1 "$runs"); do
    read -r h_med h_p99 _ < <(time_urls health "$work/urls-health")
    read -r s_med s_p99 n < <(time_urls search "$work/urls-search")
    read -r d_med d_p99 _ < <(time_urls dashboard "$work/urls-dashboard")
    ratio=$(python3 -c "print(f'{$s_med / $h_med:.1f}')")
    echo "run $run: $h_med / $h_p99 | $s_med / $s_p99 ($n queries) | $d_med / $d_p99 | ${ratio}x"
    echo "$s_med $s_p99 $d_med $d_p99 $h_med" >> "$work/runs"
  done
  python3 - "$work/runs" << 'EOF'
import statistics, sys
cols = list(zip(*[map(float, l.split()) for l in open(sys.argv[1])]))
m = [statistics.median(c) for c in cols]
print(f"median of runs: search median {m[0]:.3f} ms, p99 {m[1]:.3f} ms; dashboard median {m[2]:.3f} ms,"
      f" p99 {m[3]:.3f} ms; reference median {m[4]:.3f} ms")
EOF
  echo "goals: search median <= 2 ms and p99 <= 20 ms; dashboard <= 20 ms"
  stop_server
}

bench_upload() {
  local data="$work/upload-data" roster="$work/upload.csv" port id base
  port=$(free_port)
  base="http://127.0.0.1:$port"
  "$bin" gen-roster "$upload_rows" --seed 7 --out "$roster" > /dev/null
  local bytes
  bytes=$(stat -c %s "$roster")
  echo "# upload: $upload_rows rows, $((bytes >> 20)) MiB"
  # The reference: the CLI import of the same file, in a data directory of its own.
  /usr/bin/time -f '%M' -o "$work/cli.rss" "$bin" --data "$work/cli-data" import "$roster" \
    > /dev/null 2> "$work/cli.err" || { tail "$work/cli.err" >&2; fail "cli import"; }
  local cli_peak
  cli_peak=$(tail -1 "$work/cli.rss")
  /usr/bin/time -f '%M' -o "$work/cli-base.rss" "$bin" --data "$work/cli-data" user list > /dev/null
  local cli_base
  cli_base=$(tail -1 "$work/cli-base.rss")
  sign_in "$data" "$port"
  local before
  before=$(vm "$server_pid" VmHWM)
  curl -fs -b "$work/cookies" -H "X-CSRF-Token: $csrf" -H 'Content-Type: text/csv' \
    --data-binary "@$roster" "$base/admin/api/imports?file_name=upload.csv" > "$work/upload.json" ||
    fail "upload: $(cat "$work/upload.json" 2> /dev/null)"
  id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$work/upload.json")
  for _ in $(seq 1 3600); do
    state=$(curl -fs -b "$work/cookies" "$base/admin/api/imports/$id" |
      python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])')
    [ "$state" = completed ] && break
    [ "$state" = failed ] && fail "the uploaded import failed"
    sleep 0.5
  done
  [ "$state" = completed ] || fail "the uploaded import did not finish within 30 min"
  local after
  after=$(vm "$server_pid" VmHWM)
  stop_server
  python3 - "$bytes" "$before" "$after" "$cli_peak" "$cli_base" << 'EOF'
import sys
size, before, after, cli_peak, cli_base = (int(x) for x in sys.argv[1:])
mib = lambda kib: kib / 1024
rise = after - before
print(f"server VmHWM {mib(before):.0f} MiB before the upload, {mib(after):.0f} MiB after: +{mib(rise):.0f} MiB"
      f" for a {size / 2**20:.0f} MiB file")
print(f"reference: passledger import of the same file peaks at {mib(cli_peak):.0f} MiB"
      f" ({mib(cli_peak - cli_base):.0f} MiB above an idle command's {mib(cli_base):.0f} MiB)")
copies = (rise - (cli_peak - cli_base)) * 1024 / size
print(f"the server held {copies:.2f} copies of the file at its peak ((server rise - CLI rise) / file size)")
EOF
  echo "goal: the upload never holds more than one copy of the file"
}

bench_search
[ "$skip_upload" = 1 ] || bench_upload
