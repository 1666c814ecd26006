#!/usr/bin/env bash
# End-to-end test that `passledger forget` leaves no plaintext of the member anywhere in the
# data directory (issue 12, "Forgetting leaves nothing"). A member's surname and e-mail change
# twice, through roster imports, each written by its own command (every open of the database flushes
# the previous command's write-ahead log into new SST files, so former values sit in separate
# files). Every file of the data directory is then read: raw bytes (write-ahead log, MANIFEST,
# LOG and OPTIONS files, keys, anything else) and each SST's entries as RocksDB's `sst_dump`
# decodes them (the tables are LZ4-compressed and prefix-encoded, so raw bytes would miss
# them). Positive control first: before the forget every value is found, in more than one
# SST file. After it none is, while another member's values still are. A second forget
# completes the purge instead of stopping at "not found".
# Then the same history in a second data directory, forgotten by projections_forget_child,
# which commits the forget and dies before the views' purge (as a crash would): the former
# values are still there, and `passledger forget` run again completes the purge.
# Usage: forget_purge_test.sh PASSLEDGER_BINARY SST_DUMP_BINARY SAMPLE_ROSTER FORGET_CHILD
set -euo pipefail
bin=${1:?passledger binary}
sst_dump=${2:?sst_dump binary (Debian package rocksdb-tools)}
sample=${3:?sample roster (tests/data/altru-roster.csv)}
forget_child=${4:?projections_forget_child binary}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-forget-purge-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
unset PASSLEDGER_MASTER_KEY
data="$work/data"
pl() { "$bin" --data "$data" "$@" > /dev/null; }
fail() { echo "FAIL: $*" >&2; exit 1; }
command -v "$sst_dump" > /dev/null || [ -x "$sst_dump" ] || fail "no sst_dump at $sst_dump"

# files_with VALUE: the files of the data directory holding VALUE (any case: the search index
# holds lowercased terms), one line each; SSTs read through sst_dump as well as raw.
files_with() {
  local value=$1 f
  while IFS= read -r f; do
    if grep -qaiF -- "$value" "$f"; then
      echo "$f"
    elif [[ $f == *.sst ]]; then
      # Through a file, not a pipe: grep -q would stop early and pipefail report sst_dump's
      # SIGPIPE as a miss.
      "$sst_dump" --file="$f" --command=scan > "$work/dump" 2> /dev/null ||
        fail "sst_dump cannot read $f"
      if grep -qaiF -- "$value" "$work/dump"; then echo "$f"; fi
    fi
  done < <(find "$data" -type f | sort)
  return 0
}

# The sample roster with member 8-10000001's surname and e-mail replaced; one import per
# version (a command each: at most three flushes of the views, below RocksDB's level-0
# compaction trigger of four files, so the former values are still in their own files).
roster() {  # roster SURNAME EMAIL > FILE
  sed -e "/^\(\xef\xbb\xbf\)\?8-10000001,/{s/Quill/$1/g;s/avery\.quill@example\.org/$2/g}" "$sample"
}
surnames=(Quillfeather Brackenridge Castellanova)
emails=(quill.avery@example.org brack.avery@example.net castle.avery@example.com)
values=("${surnames[@]}" "${emails[@]}" Fernleaf)  # the street does not change
for i in 0 1 2; do
  roster "${surnames[i]}" "${emails[i]}" > "$work/roster$i.csv"
  grep -q "${surnames[i]}" "$work/roster$i.csv" || fail "roster $i lacks ${surnames[i]}"
done
history() {  # history: the three imports into $data
  for i in 0 1 2; do pl import "$work/roster$i.csv"; done
}

# Positive control: every past and present value is on disk, in SST files of its own.
positive_control() {
  local value hits f
  declare -A sst_files=()
  for value in "${values[@]}"; do
    hits=$(files_with "$value")
    [ -n "$hits" ] || fail "positive control ($1): '$value' not found in $data"
    while IFS= read -r f; do [[ $f == *.sst ]] && sst_files[$f]=1; done <<< "$hits"
  done
  [ "${#sst_files[@]}" -ge 2 ] ||
    fail "positive control ($1): the values sit in ${#sst_files[@]} SST file(s), want several"
}
history
positive_control "before forget"

"$bin" --data "$data" forget --subject 8-10000001 --reason test > "$work/out" ||
  fail "forget failed"
grep -q '^forgot subject 8-10000001' "$work/out" || fail "forget: $(cat "$work/out")"

check_nothing_left() {
  local value hits
  for value in "${values[@]}"; do
    hits=$(files_with "$value")
    [ -z "$hits" ] || fail "$1: '$value' still in: $hits"
  done
  [ -n "$(files_with Okafor)" ] || fail "$1: the other members' surnames are gone too"
  [ -n "$(files_with m.reyes@example.net)" ] || fail "$1: the other members' e-mails are gone too"
}
check_nothing_left "after forget"

# A second forget (as after an interrupted one) completes the purge and succeeds.
"$bin" --data "$data" forget --subject 8-10000001 > "$work/out" 2> "$work/err" ||
  fail "second forget failed: $(cat "$work/err")"
grep -q 'already forgotten' "$work/out" || fail "second forget: $(cat "$work/out")"
check_nothing_left "after the second forget"
"$bin" --data "$data" verify > /dev/null || fail "chain does not verify after forget"
"$bin" --data "$data" verify --projections > /dev/null || fail "views differ from a replay"

# An interrupted forget: committed, key destroyed, views not purged.
data="$work/interrupted"
history
"$forget_child" "$data" 8-10000001 > "$work/out" || fail "forget child failed"
grep -q '^forgotten ' "$work/out" || fail "forget child: $(cat "$work/out")"
positive_control "after an interrupted forget"
"$bin" --data "$data" forget --subject 8-10000001 > "$work/out" 2> "$work/err" ||
  fail "forget after an interrupted one failed: $(cat "$work/err")"
grep -q 'already forgotten' "$work/out" || fail "forget after interruption: $(cat "$work/out")"
check_nothing_left "after completing an interrupted forget"
"$bin" --data "$data" verify --projections > /dev/null || fail "views differ from a replay"

echo "forget_purge_test: ok"
