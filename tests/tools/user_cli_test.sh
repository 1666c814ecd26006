#!/usr/bin/env bash
# End-to-end test of `passledger user …` (docs/ADMIN.md, "Accounts"): the first admin added
# with --password-stdin, the list without any hash (while the revealed log has it), weak and
# malformed input refused with exit 2 and nothing written, a password asked for without a
# terminal refused, passwd, role, disable, the last admin protected, the actor cli:<user>.
# With PASSLEDGER_TEST_SERVER=1 the same checks run with `passledger serve` on the data
# directory: the changes go through its operator socket, the actor is operator:<user>.
# Usage: user_cli_test.sh PASSLEDGER_BINARY
set -euo pipefail
bin=${1:?passledger binary}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-user-cli-test.XXXXXX")
. "$(dirname "$0")/server_mode.sh"
trap 'server_cleanup; rm -rf "$work"' EXIT
data="$work/data"
pl() { "$bin" --data "$data" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
events() { pl log | wc -l; }
# Runs a command that must be refused: exit 2, one line on stderr containing $1.
refused() {
  local expected=$1; shift
  local status=0
  "$@" > /dev/null 2> "$work/err" || status=$?
  [ $status -eq 2 ] || fail "$* should exit 2, got $status: $(cat "$work/err")"
  [ "$(wc -l < "$work/err")" -eq 1 ] || fail "$*: the error should be one line: $(cat "$work/err")"
  grep -q -- "$expected" "$work/err" || fail "$*: expected '$expected' in: $(cat "$work/err")"
}

password='violet tram under seven bridges'
start_server_on "$bin" "$data" "$work"
echo "$password" | pl user add alice --role admin --password-stdin > "$work/out"
grep -q '^alice: created with the role admin' "$work/out" || fail "add: $(cat "$work/out")"

# The hash is in the sealed part of the event: the control that the search below would see it.
pl log --reveal --stream staff-alice > "$work/revealed"
grep -q '\$argon2id\$v=19\$m=19456,t=2,p=1\$' "$work/revealed" || fail "the revealed log has no hash"
pl log --stream staff-alice | grep -q 'argon2' && fail "the plain log shows the hash"
pl user list > "$work/list"
grep -q '^USERNAME' "$work/list" || fail "list has no header: $(cat "$work/list")"
grep -Eq '^alice +admin +enabled ' "$work/list" || fail "list: $(cat "$work/list")"
grep -q 'argon2' "$work/list" && fail "list shows a hash"
grep -q "$password" "$work/list" && fail "list shows the password"

# Refusals: exit 2, one line, nothing written.
before=$(events)
refused 'at least 12' bash -c "echo short | '$bin' --data '$data' user add bob --role staff --password-stdin"
refused 'commonly used' bash -c "echo Password1234 | '$bin' --data '$data' user add bob --role staff --password-stdin"
refused 'contains the username' bash -c "echo 'bobby-the-builder-2' | '$bin' --data '$data' user add bobby --role staff --password-stdin"
refused 'not a role' bash -c "echo '$password' | '$bin' --data '$data' user add bob --role root --password-stdin"
refused 'a-z, 0-9' bash -c "echo '$password' | '$bin' --data '$data' user add 'Bob Smith' --role staff --password-stdin"
refused 'is taken' bash -c "echo '$password' | '$bin' --data '$data' user add alice --role staff --password-stdin"
refused 'not a terminal' pl user add bob --role staff < /dev/null
refused 'no password on standard input' pl user add bob --role staff --password-stdin < /dev/null
[ "$(events)" -eq "$before" ] || fail "a refused command wrote events"

echo "$password" | pl user add bob --role staff --password-stdin > /dev/null
echo 'amber kettle over quiet hills' | pl user passwd bob --password-stdin > "$work/out"
grep -q '^bob: password changed' "$work/out" || fail "passwd: $(cat "$work/out")"
pl log --stream staff-bob | grep -q '"type":"StaffPasswordChanged"' || fail "no StaffPasswordChanged"
refused 'the current one' bash -c "echo 'amber kettle over quiet hills' | '$bin' --data '$data' user passwd bob --password-stdin"
refused 'no staff account nobody' bash -c "echo '$password' | '$bin' --data '$data' user passwd nobody --password-stdin"

pl user role bob auditor | grep -q '^bob: role auditor' || fail "role"
pl user list | grep -Eq '^bob +auditor +enabled ' || fail "list after role: $(pl user list)"
refused 'last enabled admin' pl user role alice staff
refused 'last enabled admin' pl user disable alice

pl user disable bob --reason 'left the team' | grep -q '^bob: disabled' || fail "disable"
pl user list | grep -Eq '^bob +auditor +disabled ' || fail "list after disable: $(pl user list)"
pl log --stream staff-bob | grep -q '"reason":"left the team"' || fail "no reason recorded"
refused 'is disabled' pl user role bob staff

# On a terminal the password is asked for twice without echo; two different answers are refused.
python3 - "$bin" "$data" <<'PY' || fail "the terminal prompt"
import os, pty, select, sys, time
def read(fd, out, until, seconds=60):
    deadline = time.time() + seconds
    while until not in out and time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(fd, 1024)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    return out
def run(args, answers):
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], [sys.argv[1], "--data", sys.argv[2]] + args)
    out = b""
    for prompt, answer in zip([b"New password", b"The same again"], answers):
        out = read(fd, out, prompt)
        out = read(fd, out, b": ", 5)
        os.write(fd, answer + b"\n")
    out = read(fd, out, b"\x00", 60)  # to the end
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")
code, out = run(["user", "add", "carol", "--role", "auditor"],
                [b"amber kettle over quiet hills", b"amber kettle over quiet hills"])
assert code == 0, (code, out)
assert "New password" in out and "The same again" in out, out
assert "kettle" not in out, "the password was echoed: " + out
assert "carol: created with the role auditor" in out, out
code, out = run(["user", "add", "dave", "--role", "staff"],
                [b"amber kettle over quiet hills", b"amber kettle over quiet hill"])
assert code == 2 and "the two passwords differ" in out, (code, out)
PY
pl user list | grep -Eq '^carol +auditor +enabled ' || fail "carol was not created from the terminal"
pl user list | grep -q '^dave ' && fail "dave was created though the passwords differed"

# Every event names the operator: cli:<login name> on the data directory, operator:<unix
# user> through the server; the chain verifies.
actor_prefix=cli:
server_mode && actor_prefix=operator:
pl log --stream staff-bob > "$work/bob.jsonl"
python3 - "$work/bob.jsonl" "$actor_prefix" <<'PY' || fail "actors"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
prefix = sys.argv[2]
assert [e["type"] for e in events] == ["StaffCreated", "StaffPasswordChanged", "StaffRoleChanged",
                                       "StaffDisabled"], [e["type"] for e in events]
assert all(e["actor"].startswith(prefix) and len(e["actor"]) > len(prefix) for e in events), events
PY
expect_server_routes /admin/api/staff "/admin/api/staff/{username}"
stop_server
pl verify | grep -q '^ok:' || fail "verify"
echo "user_cli_test: ok"
