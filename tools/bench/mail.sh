#!/usr/bin/env bash
# E-mail benchmark (issue 15 §5): starts Debian's aiosmtpd on 127.0.0.1 (tests/testing/
# smtp_server.py --discard: every message accepted, none parsed or stored) and runs
# `passledger bench mail` against it — the real dispatcher against a minimal libcurl loop,
# run by run, in one process. Build Release first (`make bench-mail` does both).
#
# Usage: tools/bench/mail.sh [--bin PATH] [--rows N] [--runs N] [--keep]
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
bin="$src/build/release/tools/passledger"
rows=10000
runs=3
keep=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) bin=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "mail.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
python=/usr/bin/python3  # Debian's, which has aiosmtpd (a pyenv python3 may come first on PATH)
"$python" -c 'import aiosmtpd' 2> /dev/null ||
  { echo "mail.sh: python3-aiosmtpd not found (tools/install-deps.sh)" >&2; exit 1; }
[ -x "$bin" ] || { echo "mail.sh: no binary $bin (make build-release)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-bench-mail.XXXXXX")
smtp_pid=""
cleanup() {
  exec 3>&- 2> /dev/null || true  # closing its stdin ends the server
  [ -n "$smtp_pid" ] && wait "$smtp_pid" 2> /dev/null
  if [ "$keep" = 1 ]; then echo "mail.sh: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkfifo "$work/stdin"
"$python" "$src/tests/testing/smtp_server.py" --discard --dir "$work/smtp" \
  --ready-file "$work/port" < "$work/stdin" &
smtp_pid=$!
exec 3> "$work/stdin"
for _ in $(seq 1 100); do
  [ -s "$work/port" ] && break
  kill -0 "$smtp_pid" 2> /dev/null || { echo "mail.sh: the SMTP server exited" >&2; exit 1; }
  sleep 0.1
done
[ -s "$work/port" ] || { echo "mail.sh: the SMTP server did not start" >&2; exit 1; }
echo "mail.sh: aiosmtpd $("$python" -c 'import aiosmtpd; print(aiosmtpd.__version__)') on 127.0.0.1:$(cat "$work/port") (discarding)"
"$bin" bench mail --url "smtp://127.0.0.1:$(cat "$work/port")" --rows "$rows" --runs "$runs" \
  --dir "$work/scratch"
