#!/usr/bin/env bash
# End-to-end test of export, offline verification, backup and restore through the passledger
# command: export -> verify --file without a database; tampering with the file exits 3 and
# names the position; backup while another process holds the log; restore -> verify -> the
# same head and the same events; the master key policy.
# Usage: backup_test.sh PASSLEDGER_BINARY HOLDER_BINARY DEMO_SCRIPT
#   HOLDER_BINARY is events_crash_child (tests/events/crash_child.cpp): `hold DIR N` appends N
#   events, prints "ready <pid> <head>" and keeps the log open for writing until its stdin
#   closes.
set -euo pipefail
bin=${1:?passledger binary}
holder=${2:?events_crash_child binary}
demo=${3:?demo script}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-backup-test.XXXXXX")
holder_pid=
cleanup() {
  exec 3>&- || true
  if [ -n "$holder_pid" ]; then kill "$holder_pid" 2> /dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
unset PASSLEDGER_MASTER_KEY
data="$work/data"
pl() { "$bin" --data "$data" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
# expect STATUS COMMAND...: runs the command (stdout in $work/out, stderr in $work/err) and
# checks its exit status.
expect() {
  local want=$1 got=0
  shift
  "$@" > "$work/out" 2> "$work/err" || got=$?
  [ "$got" -eq "$want" ] || fail "$* exited $got, expected $want: $(cat "$work/err")"
}
# verify_file FILE STATUS PATTERN: verify --file, from a directory without any data.
verify_file() {
  (cd "$work/empty" && expect "$2" "$bin" verify --file "$1")
  grep -q -- "$3" "$work/out" "$work/err" || fail "verify --file $1: want '$3', got: $(cat "$work/out" "$work/err")"
}
mkdir "$work/empty"

# History: the demo's three events, then six more from a second process that keeps the log.
"$demo" "$bin" "$data" > /dev/null
mkfifo "$work/hold.in"
"$holder" hold "$data" 6 < "$work/hold.in" > "$work/hold.out" &
holder_pid=$!
exec 3> "$work/hold.in"  # the holder runs until this closes
for _ in $(seq 600); do
  grep -q '^ready' "$work/hold.out" && break
  sleep 0.1
done
grep -q "^ready $holder_pid 9\$" "$work/hold.out" || fail "holder not ready: $(cat "$work/hold.out")"

# Export beside the writer, verify offline.
pl export > "$work/events.jsonl"
[ "$(wc -l < "$work/events.jsonl")" -eq 9 ] || fail "export should have 9 lines"
grep -q 'Avery Quill' "$work/events.jsonl" && fail "plain export shows personal data"
grep -q '"sealed":"' "$work/events.jsonl" || fail "export lacks the sealed ciphertext"
verify_file "$work/events.jsonl" 0 '^ok: 9 events verified (positions 1..9)'
# (Through files, not `| grep -q`: grep exits at the first match and the writer would die of
# SIGPIPE, which pipefail reports.)
pl export --reveal > "$work/revealed.jsonl"
grep -q '"personal":{"name":"Avery Quill"' "$work/revealed.jsonl" || fail "--reveal lacks personal"
pl export --from 4 --to 6 > "$work/part.jsonl"
[ "$(wc -l < "$work/part.jsonl")" -eq 3 ] || fail "export --from 4 --to 6 should have 3 lines"
verify_file "$work/part.jsonl" 0 'starts at position 4'
(cd "$work/empty" && "$bin" verify --file - < "$work/events.jsonl" > "$work/stdin.out")
grep -q '^ok: 9 events' "$work/stdin.out" || fail "verify --file - (stdin)"

# Tampering: exit 3, one line on stderr naming the position (or the line).
sed '3s/"actor":"[^"]*"/"actor":"staff:mallory"/' "$work/events.jsonl" > "$work/t1.jsonl"
verify_file "$work/t1.jsonl" 3 'FAILED at position 3: hash does not match'
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "verify failure should be one line"
sed '5d' "$work/events.jsonl" > "$work/t2.jsonl"
verify_file "$work/t2.jsonl" 3 'FAILED at position 5: line 5 has position 6'
sed '7s/"payload":{"t":0/"payload":{"t":1/' "$work/events.jsonl" > "$work/t3.jsonl"
verify_file "$work/t3.jsonl" 3 'FAILED at position 7: field "payload" does not match'
sed '2s/.*/not json/' "$work/events.jsonl" > "$work/t4.jsonl"
verify_file "$work/t4.jsonl" 3 'FAILED at line 2: not JSON'
head -c -20 "$work/events.jsonl" > "$work/t5.jsonl"
verify_file "$work/t5.jsonl" 3 'FAILED at line 9: cut short'
# Issue 12: an empty file fails; --digest anchors the file; the report says what the chain
# covers, and checks revealed plaintext against the ciphertext when the key is there.
: > "$work/nothing.jsonl"
verify_file "$work/nothing.jsonl" 3 'FAILED: .*the file holds no events'
verify_file "$work/events.jsonl" 0 '^not anchored'
pl digest > "$work/digest.json"
(cd "$work/empty" && expect 0 "$bin" verify --file "$work/events.jsonl" --digest "$work/digest.json")
grep -q '^anchored: position 9 has the hash of the digest' "$work/out" || fail "anchor: $(cat "$work/out")"
grep -q '^covered by the chain: .*sealed ciphertext (5 events' "$work/out" || fail "coverage: $(cat "$work/out")"
(cd "$work/empty" && expect 3 "$bin" verify --file "$work/part.jsonl" --digest "$work/digest.json")
grep -q 'does not contain position 9' "$work/err" || fail "anchor outside the file: $(cat "$work/err")"
sed 's/"head_hash":"./"head_hash":"0/' "$work/digest.json" > "$work/bad-digest.json"
(cd "$work/empty" && expect 3 "$bin" verify --file "$work/events.jsonl" --digest "$work/bad-digest.json")
verify_file "$work/revealed.jsonl" 0 'NOT covered by the chain: the revealed plaintext .* of 5 events'
grep -q '5 of them NOT checked: no key' "$work/out" || fail "unchecked plaintext: $(cat "$work/out")"
expect 0 pl verify --file "$work/revealed.jsonl"  # with the data directory: the key is there
grep -q '5 of them checked against their ciphertext' "$work/out" || fail "check: $(cat "$work/out")"
sed '1s/Avery Quill/Avery Quilt/' "$work/revealed.jsonl" > "$work/t6.jsonl"
verify_file "$work/t6.jsonl" 0 'NOT covered by the chain'  # the chain cannot see the edit
expect 3 pl verify --file "$work/t6.jsonl"
grep -q 'FAILED at position 1: the revealed personal data is not the plaintext' "$work/err" ||
  fail "edited plaintext not caught: $(cat "$work/err")"
(cd "$work/empty" && expect 2 "$bin" verify --file "$work/missing.jsonl")
(cd "$work/empty" && expect 2 "$bin" verify --file "$work/events.jsonl" --from 2)

# Backup while the holder has the log open for writing.
expect 0 pl backup "$work/backup"
grep -q "in use by process $holder_pid" "$work/out" || fail "backup note: $(cat "$work/out")"
grep -q 'master key is NOT in this backup' "$work/out" || fail "master key note: $(cat "$work/out")"
grep -q '9 events verified' "$work/out" || fail "backup head: $(cat "$work/out")"
[ -e "$work/backup/master.key" ] && fail "master key copied without --include-master-key"
expect 2 pl backup "$work/backup"  # not empty
grep -q 'is not empty' "$work/err" || fail "non-empty target: $(cat "$work/err")"

exec 3>&-
wait "$holder_pid" || fail "holder exited with $?"
holder_pid=

# Restore: needs a key, then equals the original.
expect 2 "$bin" restore "$work/backup" --data "$work/restored"
grep -q -- '--master-key' "$work/err" || fail "missing key message: $(cat "$work/err")"
[ -e "$work/restored" ] && fail "a refused restore left $work/restored"
expect 2 "$bin" restore "$work/backup"  # --data must be named
expect 0 "$bin" restore "$work/backup" --data "$work/restored" --master-key "$data/master.key"
grep -q '9 events verified' "$work/out" || fail "restore output: $(cat "$work/out")"
head_of() { "$bin" --data "$1" verify | sed -n 's/.*; head \([0-9a-f]*\)$/\1/p'; }
original=$(head_of "$data")
[ -n "$original" ] || fail "no head hash from verify"
[ "$(head_of "$work/restored")" = "$original" ] || fail "restored head differs"
grep -q "\"hash\":\"$original\"" "$work/backup/BACKUP.json" || fail "BACKUP.json head differs"
pl export --reveal > "$work/original.jsonl"
"$bin" --data "$work/restored" export --reveal > "$work/restored.jsonl"
[ "$(wc -l < "$work/restored.jsonl")" -eq 9 ] || fail "restored export should have 9 lines"
cmp -s "$work/original.jsonl" "$work/restored.jsonl" || fail "restored events differ"
expect 2 "$bin" restore "$work/backup" --data "$work/restored" --master-key "$data/master.key"

# --include-master-key: the backup restores on its own; the key file is 0600.
expect 0 pl backup --include-master-key "$work/backup-key"
grep -q 'master key IS in this backup' "$work/out" || fail "key note: $(cat "$work/out")"
[ "$(stat -c %a "$work/backup-key/master.key")" = 600 ] || fail "master.key is not 0600"
expect 0 "$bin" restore "$work/backup-key" --data "$work/restored-key"
grep -q 'master key from the backup' "$work/out" || fail "key source: $(cat "$work/out")"
[ "$(head_of "$work/restored-key")" = "$original" ] || fail "restored-key head differs"

echo "backup_test: ok"
