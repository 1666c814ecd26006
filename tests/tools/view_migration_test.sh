#!/usr/bin/env bash
# End-to-end: a data directory written by the build before the binary view records (record
# format 1, JSON; tests/data/format1-data.tar.gz: the sample roster imported, imported again,
# and member 8-10000006 forgotten, by that build's own binary) opens with this one:
#   - read-only commands (verify --projections, state) refuse and name `passledger rebuild`;
#   - the first command that writes rebuilds the views, saying so before and after;
#   - then verify --projections passes, state shows the members, the forgotten one without
#     personal data, and the same roster imports as unchanged (row hashes agree);
#   - the event log is the same before and after (the digest of its head).
# Usage: view_migration_test.sh PASSLEDGER_BINARY SOURCE_DIR
set -euo pipefail
bin=${1:?passledger binary}
src=${2:?source dir}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-view-migration.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
tar xzf "$src/tests/data/format1-data.tar.gz" -C "$work"
data="$work/data"
log_before=$("$bin" --data "$data" log | sha256sum)
[ -n "$log_before" ] || fail "no log before"

# 1. Read-only commands refuse, with what to do.
if "$bin" --data "$data" verify --projections > "$work/out" 2> "$work/err"; then
  fail "verify --projections passed on format-1 views"
fi
grep -q "record format 1" "$work/err" || fail "verify: $(cat "$work/err")"
grep -q "passledger rebuild" "$work/err" || fail "verify: $(cat "$work/err")"
if "$bin" --data "$data" state member 8-10000001 > "$work/out" 2> "$work/err"; then
  fail "state read format-1 views"
fi
grep -q "record format 1" "$work/err" || fail "state: $(cat "$work/err")"

# 2. A command that writes migrates first.
"$bin" --data "$data" import "$src/tests/data/altru-roster.csv" > "$work/import" 2> "$work/err" ||
  fail "import: $(cat "$work/err")"
grep -q "are in record format 1; this build reads format 5: rebuilding them" "$work/err" ||
  fail "no notice before: $(cat "$work/err")"
grep -q "views rebuilt in record format 5" "$work/err" || fail "no notice after: $(cat "$work/err")"
grep -Eq "unchanged +5" "$work/import" || fail "re-import not unchanged: $(cat "$work/import")"
grep -Eq "enrolled +0" "$work/import" || fail "re-import enrolled: $(cat "$work/import")"

# 3. Verified, readable, and nothing more to migrate.
"$bin" --data "$data" verify --projections > "$work/out" 2> "$work/err" ||
  fail "verify after migration: $(cat "$work/out" "$work/err")"
"$bin" --data "$data" state member 8-10000001 > "$work/state" 2> "$work/err" ||
  fail "state: $(cat "$work/err")"
python3 - "$work/state" << 'PY' || fail "state member 8-10000001: $(cat "$work/state")"
import json, sys
s = json.load(open(sys.argv[1]))
m = s["member"]
assert m["level"] == "Family" and m["personal"]["name"] == "Avery Quill", m
assert len(m["serials"]) == 2 and len(s["passes"]) == 2, s
assert all(p["tokenGeneration"] >= 1 for p in s["passes"]), s
PY
"$bin" --data "$data" state member 8-10000006 > "$work/forgotten" 2> "$work/err" ||
  fail "state forgotten: $(cat "$work/err")"
# The check for absent personal data sees it where it is (the positive control above: a name).
python3 - "$work/forgotten" << 'PY' || fail "forgotten member: $(cat "$work/forgotten")"
import json, sys
m = json.load(open(sys.argv[1]))["member"]
assert m["forgotten"] is True and "personal" not in m, m
PY
"$bin" --data "$data" rebuild > "$work/out" 2> "$work/err" || fail "rebuild: $(cat "$work/err")"
if grep -q "record format 1" "$work/err"; then fail "migrated twice: $(cat "$work/err")"; fi

# 4. The log itself is untouched: the events before are the same, the import added its own.
events_before=$(tar xzf "$src/tests/data/format1-data.tar.gz" -C "$work" --transform 's/^data/pristine/' &&
  "$bin" --data "$work/pristine" log | wc -l)
"$bin" --data "$data" log > "$work/log_after"
log_after=$(head -n "$events_before" "$work/log_after" | sha256sum)
[ "$log_after" = "$log_before" ] || fail "the events before the migration changed ($log_before / $log_after)"
[ "$(wc -l < "$work/log_after")" -gt "$events_before" ] || fail "the import wrote nothing"
echo "view_migration_test: ok"
