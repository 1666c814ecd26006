#!/usr/bin/env bash
# End-to-end test of the data directory's files and keys (issue 12, §3 and §4-§5 CLI parts):
#   - `dev-certs` as the very first command, then `import`, on a fresh directory;
#   - every directory 0700 and every file 0600 afterwards, whatever the shell's umask;
#   - a master.key readable by others refused with the chmod that fixes it;
#   - $PASSLEDGER_MASTER_KEY gone from a running server's /proc/<pid>/environ;
#   - SubjectForgotten refused through the generic `append`;
#   - an idempotency key reused for a different request refused (exit 2), replayed for the same.
# Each check that looks for something absent first shows that it sees it when it is there.
# Usage: data_dir_test.sh PASSLEDGER_BINARY SOURCE_DIR
set -euo pipefail
bin=${1:?passledger binary}
src=${2:?source dir}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-data-dir-test.XXXXXX")
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill -9 "$server_pid" 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
umask 022 # what most shells have: privacy must not depend on the caller's umask

# Files and directories under $1 that group or others may access.
not_private() { find "$1" \( -type d ! -perm 700 \) -o \( -type f -perm /077 \); }

# 1. dev-certs first, then import, on a directory that did not exist.
data="$work/fresh"
"$bin" --data "$data" dev-certs > "$work/certs.out" 2>&1 || fail "dev-certs: $(cat "$work/certs.out")"
"$bin" --data "$data" import "$src/tests/data/altru-roster.csv" > "$work/import.out" 2> "$work/err" ||
  fail "import after dev-certs: $(cat "$work/err")"
"$bin" --data "$data" verify > /dev/null || fail "the log does not verify"
"$bin" --data "$data" pass render --all --out "$data/passes" > /dev/null 2>&1 || fail "pass render"
"$bin" --data "$data" backup "$work/backup" --include-master-key > /dev/null 2>&1 || fail "backup"

# 2. Everything private. Positive control first: a planted 0644 file and 0755 directory are seen.
touch "$data/planted" && chmod 644 "$data/planted"
mkdir "$data/planted-dir" && chmod 755 "$data/planted-dir"
[ "$(not_private "$data" | grep -c planted)" -eq 2 ] || fail "the check does not see a public file"
rm -rf "$data/planted" "$data/planted-dir"
[ -s "$data/db/CURRENT" ] && [ -s "$data/master.key" ] && [ -s "$work/backup/master.key" ] ||
  fail "no database or key to check"
found=$(not_private "$data"; not_private "$work/backup")
[ -z "$found" ] || fail "not private: $found"

# 3. A master.key others may read is refused, naming the fix; fixed, it opens again.
chmod 644 "$data/master.key"
set +e
"$bin" --data "$data" log --reveal --to 1 > /dev/null 2> "$work/err"; status=$?
set -e
[ $status -ne 0 ] || fail "a world-readable master.key must be refused"
grep -q "chmod 600 $data/master.key" "$work/err" || fail "no chmod advice: $(cat "$work/err")"
chmod 600 "$data/master.key"
"$bin" --data "$data" log --reveal --to 1 > /dev/null || fail "the fixed key does not open"

# 4. The master key leaves the environment of a running process.
key=$(tr -d '\n' < "$data/master.key")
mv "$data/master.key" "$work/master.key.saved"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PASSLEDGER_MASTER_KEY=$key PL_TEST_CONTROL=$key \
  "$bin" --data "$data" serve --listen "127.0.0.1:$port" > "$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 1 300); do
  curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
  kill -0 "$server_pid" 2> /dev/null || fail "server exited: $(tail -5 "$work/server.out")"
  sleep 0.1
done
curl -fs "http://127.0.0.1:$port/healthz" > /dev/null || fail "server not healthy"
tr '\0' '\n' < "/proc/$server_pid/environ" > "$work/environ"
grep -qx "PL_TEST_CONTROL=$key" "$work/environ" || fail "the environ check does not see a variable"
grep -q "$key" <(grep -v '^PL_TEST_CONTROL=' "$work/environ") &&
  fail "the master key is still in the server's environment"
grep -q '^PASSLEDGER_MASTER_KEY=' "$work/environ" && fail "PASSLEDGER_MASTER_KEY still set"
kill -TERM "$server_pid"
wait "$server_pid" || fail "server did not stop cleanly"
server_pid=""
mv "$work/master.key.saved" "$data/master.key"

# 5. SubjectForgotten only through `forget`.
before=$("$bin" --data "$data" log | wc -l)
set +e
"$bin" --data "$data" append --stream member-8-10000001 --type SubjectForgotten \
  --payload '{"subject":"8-10000001","reason":"forged"}' > /dev/null 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] || fail "a generic SubjectForgotten should exit 2, got $status"
grep -q 'can only be appended by' "$work/err" || fail "reserved message: $(cat "$work/err")"
[ "$("$bin" --data "$data" log | wc -l)" -eq "$before" ] || fail "the refused append wrote"
"$bin" --data "$data" log --reveal --stream member-8-10000001 | grep -q '"personal":{"name":"Avery Quill"' ||
  fail "the member's personal data is gone after a refused forge"

# 6. Idempotency keys are compared with their request.
append() {
  "$bin" --data "$data" append --stream note-1 --type NoteAdded --idempotency-key nightly-42 \
    --payload "$1"
}
append '{"text":"first"}' | grep -q '"duplicate":false' || fail "first append"
append '{"text":"first"}' | grep -q '"duplicate":true' || fail "the same request is not a replay"
set +e
append '{"text":"other"}' > /dev/null 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] || fail "a reused key with another request should exit 2, got $status"
grep -q 'used before with a different request' "$work/err" || fail "conflict: $(cat "$work/err")"
[ "$("$bin" --data "$data" log --stream note-1 | wc -l)" -eq 1 ] || fail "the conflict wrote"

echo "data_dir_test: ok"
