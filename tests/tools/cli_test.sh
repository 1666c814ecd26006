#!/usr/bin/env bash
# End-to-end test of the passledger command: the demo twice (idempotent), exit statuses,
# errors on stderr as one line, read-only commands beside a writer, forget.
# With PASSLEDGER_TEST_SERVER=1, `passledger serve` runs on the data directory from the
# forget on (`append` and `digest` write without going through a server, so they come
# first): forget and rebuild go through its operator socket, the rest reads beside it.
# Usage: cli_test.sh PASSLEDGER_BINARY DEMO_SCRIPT
set -euo pipefail
bin=${1:?passledger binary}
demo=${2:?demo script}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-cli-test.XXXXXX")
. "$(dirname "$0")/server_mode.sh"
trap 'server_cleanup; rm -rf "$work"' EXIT
data="$work/data"
pl() { "$bin" --data "$data" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

"$demo" "$bin" "$data" > "$work/demo1.out"
pl log > "$work/log1.jsonl"
"$demo" "$bin" "$data" > "$work/demo2.out"
pl log > "$work/log2.jsonl"
cmp -s "$work/log1.jsonl" "$work/log2.jsonl" || fail "second demo run changed the log"
[ "$(wc -l < "$work/log1.jsonl")" -eq 3 ] || fail "demo should write exactly 3 events"
grep -q '"personal":"sealed"' "$work/log1.jsonl" || fail "personal data not sealed in plain log"
grep -q 'Avery Quill' "$work/log1.jsonl" && fail "plain log shows personal data"
pl log --reveal | grep -q 'Avery Quill' || fail "--reveal does not show personal data"
# log and export lines come from one serialiser (events/envelope_json.h): a field both show
# has the same value in both; schema_version is the stored one (stored_schema_version is gone).
pl export > "$work/export1.jsonl"
python3 - "$work/log1.jsonl" "$work/export1.jsonl" <<'PY' || fail "log and export lines disagree"
import json, sys
logs = [json.loads(l) for l in open(sys.argv[1])]
exports = [json.loads(l) for l in open(sys.argv[2])]
assert len(logs) == len(exports) == 3, (len(logs), len(exports))
for log, export in zip(logs, exports):
    assert "stored_schema_version" not in log, log
    assert "schema_version" in log and "payload" in log, log
    shared = (set(log) & set(export)) - {"personal"}
    assert len(shared) >= 13, sorted(shared)
    for key in shared:
        assert log[key] == export[key], (key, log[key], export[key])
PY
pl verify | grep -q '^ok: 3 events verified' || fail "verify did not report 3 events"

# Exit statuses and one-line errors.
set +e
pl append --stream member-8-10000001 --type NoteAdded --expected-version 1 2> "$work/err"
status=$?
set -e
[ $status -eq 2 ] || fail "conflict should exit 2, got $status"
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "error should be one line"
grep -q 'is at version 2, expected version 1' "$work/err" || fail "conflict message: $(cat "$work/err")"

set +e
pl append --stream 'Bad Stream' --type X 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] || fail "invalid stream should exit 2, got $status"

mkdir -p "$work/notours" && echo hello > "$work/notours/file"
set +e
"$bin" --data "$work/notours" append --stream member-1 --type X 2> "$work/err"; status=$?
set -e
[ $status -ne 0 ] || fail "a foreign directory must be refused"
grep -q 'not a PassLedger data directory' "$work/err" || fail "foreign dir message: $(cat "$work/err")"

# Digest, then more history, then the check still passes.
pl digest > "$work/digest.json"
pl append --stream member-8-10000002 --type MemberEnrolled \
  --payload '{"membershipId":"8-10000002","level":"Individual","status":"Active","active":true}' \
  --subject 8-10000002 --personal '{"name":"Morgan Reyes"}' > /dev/null
pl digest --check "$work/digest.json" | grep -q '^ok:' || fail "digest --check failed"

# Forget: sealed parts become "forgotten", the chain still verifies, other members intact.
start_server_on "$bin" "$data" "$work"
pl forget --subject 8-10000001 --reason "test" > /dev/null
pl log --reveal --stream member-8-10000001 | head -1 | grep -q '"personal":"forgotten"' ||
  fail "forgotten subject still readable"
pl log --reveal --stream member-8-10000002 | grep -q 'Morgan Reyes' || fail "other subject lost"
pl verify > /dev/null || fail "chain does not verify after forget"
strings "$data"/db/* 2>/dev/null | grep -q 'Avery Quill' && fail "plaintext personal data on disk"

# Projections: views equal a replay; rebuild switches generations; state as of a position.
pl verify --projections | grep -q '^ok: the views at position' || fail "verify --projections"
pl rebuild | grep -q 'rebuilt the views: generation 1 -> 2' || fail "rebuild did not switch"
pl verify --projections > /dev/null || fail "verify --projections after rebuild"
pl state member 8-10000002 --at 1 > "$work/state" 2> /dev/null && fail "member 8-10000002 existed at 1"
pl state member 8-10000001 --at 2 | grep -q '"level":"Family"' || fail "state at 2 should be Family"
pl state member 8-10000001 | grep -q '"level":"Patron"' || fail "state now should be Patron"
pl state pass DEMOSERIAL1 | grep -q '"cardholder"' && fail "pass of a forgotten member shows its cardholder"

expect_server_routes /admin/api/forget /admin/api/rebuilds "/admin/api/rebuilds/{id}"
stop_server
echo "cli_test: ok"
