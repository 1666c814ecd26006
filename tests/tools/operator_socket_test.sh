#!/usr/bin/env bash
# End-to-end test of the operator socket (docs/ADMIN.md, "The operator socket"): `passledger
# serve` listens on <data>/passledger.sock, mode 0600, removed at a clean stop and replaced
# after a crash; the nightly cron case — `passledger import FILE` while the server runs —
# succeeds through it and the server's own views show the import at once (over the socket and
# to a signed-in admin over TCP); a TCP request cannot pass for the socket; another uid is
# refused by its peer credentials even where the file's mode would let it in (as root, with
# setpriv), after the same client succeeded as the right user; push, mail send, rebuild,
# forget of a staff account through it, with the direct path's output.
# Usage: operator_socket_test.sh PASSLEDGER_BINARY SOURCE_DIR
set -euo pipefail
bin=${1:?passledger binary}
src=${2:?source dir}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-operator-socket-test.XXXXXX")
export PASSLEDGER_TEST_SERVER=1
. "$src/tests/tools/server_mode.sh"
trap 'server_cleanup; rm -rf "$work"' EXIT
data="$work/data"
sock="$data/passledger.sock"
pl() { "$bin" --data "$data" "$@"; }
fail() { server_fail "$@"; }
api() { curl -s --unix-socket "$sock" "$@"; }

# Before the server: the nightly file's first version, imported directly.
pl import "$src/tests/data/altru-roster.csv" > /dev/null
start_server_on "$bin" "$data" "$work"
[ "$(stat -c '%a %U' "$sock")" = "600 $(id -un)" ] || fail "socket: $(stat -c '%a %U' "$sock")"
grep -q "operator socket $sock (mode 0600)" "$work/server.err" || fail "serve does not name the socket"

# The nightly cron: a changed export imported while the server runs.
sed -e 's/Quill/Quillfeather/g' "$src/tests/data/altru-roster.csv" > "$work/nightly.csv"
pl import "$work/nightly.csv" > "$work/import.out" 2> "$work/import.err" ||
  fail "import beside the server: $(cat "$work/import.err")"
id=$(sed -n 's/^import \([0-9a-f]*-[0-9]*\).*/\1/p' "$work/import.out")
[ -n "$id" ] || fail "no import id in: $(cat "$work/import.out")"
grep -Eq '^  changed +[1-9]' "$work/import.out" || fail "the change was not applied: $(cat "$work/import.out")"
api "http://passledger/admin/api/imports/$id" > "$work/job.json"
python3 - "$work/job.json" "$id" <<'PY' || fail "the server's view of the import: $(cat "$work/job.json")"
import json, sys
job = json.load(open(sys.argv[1]))
assert job["importId"] == sys.argv[2] and job["state"] == "completed", job
assert job["summary"]["counts"]["changed"] >= 1, job
PY
pl log --stream "import-$id" | grep -q '"actor":"operator:'"$(id -un)"'"' ||
  fail "the import's events do not name operator:$(id -un)"

# An admin over TCP sees the same job; a TCP request without a session is refused, whatever
# it claims (no header makes a request the socket's).
password='violet tram under seven bridges'
echo "$password" | pl user add alice --role admin --password-stdin > /dev/null
port=$(sed -n 's|.*serving http://127.0.0.1:\([0-9]*\).*|\1|p' "$work/server.err" | head -1)
base="http://127.0.0.1:$port"
curl -s -c "$work/cookies" -H 'Content-Type: application/json' \
  -d "{\"username\":\"alice\",\"password\":\"$password\"}" "$base/admin/api/session" > /dev/null
[ "$(curl -s -o "$work/tcp.json" -w '%{http_code}' -b "$work/cookies" "$base/admin/api/imports/$id")" = 200 ] ||
  fail "admin over TCP: $(cat "$work/tcp.json")"
grep -q '"state":"completed"' "$work/tcp.json" || fail "admin over TCP: $(cat "$work/tcp.json")"
status=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'X-Forwarded-For: unix:root' \
  -H 'Content-Type: application/json' -d '{"subject":"8-10000001"}' "$base/admin/api/forget")
[ "$status" = 401 ] || fail "a TCP forget without a session got $status"

# Through the server, the same output as on the data directory: push is off here.
set +e
pl push --member 8-10000001 > /dev/null 2> "$work/err"; status=$?
set -e
[ $status -eq 1 ] && grep -q '^passledger: push: push is off (apns.auth = "off")' "$work/err" ||
  fail "push through the server: $status $(cat "$work/err")"
pl mail send --member 8-10000001 | grep -q '^8-10000001: e-mail requested for 2 pass(es)' ||
  fail "mail send through the server"
pl rebuild > "$work/rebuild.out" 2> /dev/null
grep -q '^rebuilt the views: generation 1 -> 2' "$work/rebuild.out" || fail "rebuild: $(cat "$work/rebuild.out")"
echo "$password" | pl user add bob --role staff --password-stdin > /dev/null
pl forget --subject staff:bob --stream staff-bob | grep -q '^forgot subject staff:bob' ||
  fail "forget of a staff account through the server"
pl forget --subject 8-10000002 | grep -q '^forgot subject 8-10000002' || fail "member forget"
pl log --reveal --stream member-8-10000002 | head -1 | grep -q '"personal":"forgotten"' ||
  fail "forgotten through the server, yet readable"
expect_server_routes /admin/api/operator/import /admin/api/push /admin/api/forget \
  "/admin/api/members/{id}/email" /admin/api/rebuilds /admin/api/staff

# Another uid: first the same client as ourselves succeeds, then as nobody the file's mode
# is opened up on purpose (so that only the peer check stands in the way) and it is refused.
curl -fs --unix-socket "$sock" http://passledger/healthz > /dev/null || fail "our own uid refused"
if [ "$(id -u)" = 0 ] && command -v setpriv > /dev/null; then
  chmod 711 "$work" "$data" && chmod 666 "$sock"
  setpriv --reuid=nobody --regid=nogroup --clear-groups \
    curl -fs --unix-socket "$sock" http://passledger/healthz > "$work/nobody.out" 2>&1 &&
    fail "uid nobody was answered: $(cat "$work/nobody.out")"
  grep -q "operator socket: refused a connection from uid $(id -u nobody)" "$work/server.err" ||
    fail "the refusal is not logged"
  chmod 700 "$work" "$data" && chmod 600 "$sock"
  curl -fs --unix-socket "$sock" http://passledger/healthz > /dev/null || fail "root refused after"
else
  echo "operator_socket_test: not root (or no setpriv): the other-uid case is skipped"
fi

# A clean stop removes the socket; then the CLI opens the data directory itself.
stop_server
pl mail send --member 8-10000001 --resend | grep -q '^8-10000001: e-mail requested' || fail "direct after stop"

# A crash leaves the socket behind: the next server replaces it.
start_server_on "$bin" "$data" "$work"
kill -9 "$server_pid"; wait "$server_pid" 2> /dev/null || true; server_pid=""
[ -S "$sock" ] || fail "no stale socket after SIGKILL (the test's premise)"
set +e
pl user role alice admin > /dev/null 2> "$work/err"; status=$?
set -e
[ $status -eq 0 ] || fail "with a stale socket the CLI should open the data directory: $(cat "$work/err")"
start_server_on "$bin" "$data" "$work"
pl user role alice auditor 2> "$work/err" | grep -q '^alice: role auditor' && fail "the last admin was demoted"
grep -q 'last enabled admin' "$work/err" || fail "refusal through the replaced socket: $(cat "$work/err")"
stop_server
echo "operator_socket_test: ok"
