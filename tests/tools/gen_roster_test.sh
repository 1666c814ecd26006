#!/usr/bin/env bash
# End-to-end test of `passledger gen-roster`: the Altru layout (BOM, header, CRLF, trailing
# empty rows), exact row counts, determinism, bad rows, and --change.
# Usage: gen_roster_test.sh PASSLEDGER_BINARY
set -euo pipefail
bin=${1:?passledger binary}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-gen-roster-test.XXXXXX")
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# Determinism: same seed -> same bytes, whether to stdout or --out; another seed differs.
"$bin" gen-roster 5000 --seed 7 > "$work/a.csv"
"$bin" gen-roster 5000 --seed 7 --out "$work/b.csv" > "$work/b.out"
"$bin" gen-roster 5000 --seed 8 > "$work/c.csv"
cmp -s "$work/a.csv" "$work/b.csv" || fail "same seed, different bytes"
cmp -s "$work/a.csv" "$work/c.csv" && fail "different seeds, same bytes"
grep -q '^wrote 5000 rows' "$work/b.out" || fail "--out summary: $(cat "$work/b.out")"
[ ! -e "$work/b.csv.tmp" ] || fail "temporary file left behind"

# The rest of the checks are CSV-aware (fields may hold commas, quotes and line breaks).
"$bin" gen-roster 10000 --seed 3 > "$work/base.csv"
"$bin" gen-roster 10000 --seed 3 --bad-rows 25 > "$work/bad.csv"
"$bin" gen-roster 0 > "$work/empty.csv"
"$bin" gen-roster 10000 --seed 3 --change 1 --from "$work/base.csv" > "$work/changed.csv"
"$bin" gen-roster 10000 --seed 3 --change 1 --from "$work/base.csv" > "$work/changed2.csv"
"$bin" gen-roster --seed 4 --change 1 --from "$work/base.csv" > "$work/changed3.csv"
cmp -s "$work/changed.csv" "$work/changed2.csv" || fail "--change is not deterministic"
cmp -s "$work/changed.csv" "$work/changed3.csv" && fail "--change ignores the seed"
"$bin" gen-roster --change 0 --from "$work/base.csv" > "$work/unchanged.csv"
cmp -s "$work/base.csv" "$work/unchanged.csv" || fail "--change 0 is not byte-identical"

python3 - "$work" <<'EOF' || fail "python checks (above)"
import csv, datetime, io, re, sys
from collections import Counter, OrderedDict

work = sys.argv[1]
HEADER = ("Membership ID,Membership level,Expiration date,Status,Members\\Membership Card\\Name,"
          "Members\\Constituent\\Last/Organization/Group/Household name,"
          "Members\\Constituent\\First name,"
          "Members\\Constituent\\Address (Primary)\\Address line 1,"
          "Members\\Constituent\\Address (Primary)\\Address line 2,"
          "Members\\Constituent\\Address (Primary)\\City,"
          "Members\\Constituent\\Address (Primary)\\State abbreviation,"
          "Members\\Constituent\\Address (Primary)\\ZIP,"
          "Members\\Constituent\\Email Addresses\\Email address,"
          "Members\\Membership\\Add-ons\\Add-on,Members\\Membership\\Add-ons\\Quantity")
TRAILER = b"\r\n" + b"," * 14 + b"\r\n" + b"," * 14
errors = []

def check(ok, message):
    if not ok:
        errors.append(message)

def raw(name):
    with open(f"{work}/{name}", "rb") as f:
        return f.read()

def rows(name):
    text = raw(name).decode("utf-8")
    table = list(csv.reader(io.StringIO(text, newline="")))
    return [r for r in table[1:] if any(r)]

def layout(name):
    data = raw(name)
    check(data.startswith(b"\xef\xbb\xbf"), f"{name}: no UTF-8 BOM")
    check(data[3:].split(b"\r\n", 1)[0] == HEADER.encode(), f"{name}: header differs")
    check(data.endswith(TRAILER), f"{name}: not ended by two empty rows without a line end")
    # Line breaks inside quoted fields are LF only, so CRLF always ends a row.
    check(data.count(b"\r") == data.count(b"\r\n"), f"{name}: a CR without LF")

for name in ("a.csv", "base.csv", "bad.csv", "empty.csv", "changed.csv"):
    layout(name)

def valid_date(text):
    for pattern in (r"(\d{1,2})/(\d{1,2})/(\d{4})", r"(\d{1,2})/(\d{1,2})/(\d{2})",
                    r"(\d{4})-(\d{2})-(\d{2})"):
        m = re.fullmatch(pattern, text)
        if not m:
            continue
        a, b, c = map(int, m.groups())
        year, month, day = (a, b, c) if "-" in text else (c % 100 + 2000 if c < 100 else c, a, b)
        try:
            datetime.date(year, month, day)
            return True
        except ValueError:
            return False
    return False

def bad(row):
    return (not row[0] or not valid_date(row[2]) or row[3] not in ("Active", "Lapsed") or
            (row[12] != "" and "@" not in row[12]))

base = rows("base.csv")
check(len(base) == 10000, f"base.csv: {len(base)} rows, expected 10000")
check(all(len(r) == 15 for r in base), "base.csv: a row without 15 fields")
check(not any(bad(r) for r in base), "base.csv: a bad row without --bad-rows")
check(rows("empty.csv") == [], "gen-roster 0 wrote rows")
check(len(rows("a.csv")) == 5000, "a.csv: expected 5000 rows")

# Realism: the mix the import must handle.
ids = OrderedDict()
for r in base:
    ids.setdefault(r[0], []).append(r)
check(all(re.fullmatch(r"8-1\d{7}", i) for i in ids), "a Membership ID not like 8-1xxxxxxx")
levels = Counter(rs[0][1] for rs in ids.values())
check(set(levels) == {"Individual", "Dual", "Family", "Patron", "Sustaining", "Organisation"},
      f"levels: {levels}")
lapsed = sum(rs[0][3] == "Lapsed" for rs in ids.values()) / len(ids)
check(0.05 < lapsed < 0.11, f"lapsed share {lapsed:.3f}")
no_email = sum(rs[0][12] == "" for rs in ids.values()) / len(ids)
check(0.01 < no_email < 0.06, f"share without e-mail {no_email:.3f}")
families = [rs for rs in ids.values() if rs[0][1] == "Family"]
cards = Counter(len({r[4] for r in rs}) for rs in families[:-1])
check(set(cards) == {2, 3, 4}, f"family cardholder counts {cards}")
check(all(rs[0][6] == "" for rs in ids.values() if rs[0][1] == "Organisation"),
      "an organisation with a first name")
check(all(rs[0][6] != "" for rs in ids.values() if rs[0][1] != "Organisation"),
      "a person without a first name")
add_ons = [r for r in base if r[13]]
check(add_ons and {r[13] for r in add_ons} == {"Guest Pass", "Parking", "Reciprocal"},
      "add-on names")
check(all(1 <= int(r[14]) <= 10 for r in add_ons), "add-on quantity outside 1..10")
check(any(r[14] == "10" for r in add_ons), "no add-on quantity 10")
for rs in ids.values():  # one membership: same membership fields on every row
    check(len({tuple(r[:4] + r[5:13]) for r in rs}) == 1, f"{rs[0][0]}: fields differ")
    check(len({(r[4], r[13]) for r in rs}) == len(rs), f"{rs[0][0]}: duplicate rows")
dates = Counter("iso" if "-" in r[2] else "short" if len(r[2].split("/")[2]) == 2 else "long"
                for r in base)
check(dates["long"] > dates["short"] > 0 and dates["iso"] > 0, f"date formats {dates}")
check(any(re.fullmatch(r"0\d{4}(-\d{4})?", r[11]) for r in base), "no ZIP with a leading zero")
check(any(re.search(r"[^\x00-\x7f]", r[4]) for r in base), "no non-ASCII name")
check(any("," in r[7] or "," in r[8] for r in base), "no address with a comma")
check(b'"' in raw("base.csv"), "no quoted field")
emails = Counter(rs[0][12] for rs in ids.values() if rs[0][12])
check(emails.most_common(1)[0][1] <= 5, f"e-mails not unique enough: {emails.most_common(3)}")

# --bad-rows: exactly that many more rows, each bad, the good rows as before.
with_bad = rows("bad.csv")
check(len(with_bad) == 10025, f"bad.csv: {len(with_bad)} rows, expected 10025")
bad_rows = [i for i, r in enumerate(with_bad) if bad(r)]
check(len(bad_rows) == 25, f"bad.csv: {len(bad_rows)} bad rows, expected 25")
check(bad_rows and bad_rows[0] < 2000 and bad_rows[-1] > 8000, "bad rows not spread")
check(all(len(r) == 15 for r in with_bad), "bad.csv: a row without 15 fields")
kinds = Counter("id" if not r[0] else "date" if not valid_date(r[2]) else
                "status" if not r[3] else "email" for r in (with_bad[i] for i in bad_rows))
check(set(kinds) == {"id", "date", "status", "email"}, f"bad row kinds {kinds}")

# --change 1: about 1% of the memberships differ; every other row is byte-identical.
def raw_groups(name):
    groups = OrderedDict()
    body = raw(name)[3:].split(b"\r\n")[1:-2]  # records: CRLF ends each row
    for record in body:
        groups.setdefault(record.split(b",", 1)[0], []).append(record)
    return groups

before, after = raw_groups("base.csv"), raw_groups("changed.csv")
check(list(before) == list(after), "--change added, removed or reordered memberships")
changed = [k for k in before if before[k] != after.get(k)]
expected = round(len(before) * 0.01)
check(len(changed) == expected, f"--change 1 changed {len(changed)} of {len(before)}, "
      f"expected {expected}")
after_rows = rows("changed.csv")
check(abs(len(after_rows) - 10000) <= expected, "--change: row count drifted too far")

for e in errors:
    print("  " + e, file=sys.stderr)
sys.exit(1 if errors else 0)
EOF

# The header byte for byte against the sample export, when the repository has it.
sample="$(dirname "$0")/../data/altru-roster.csv"
if [ -f "$sample" ]; then
  cmp -s <(head -n 1 "$sample") <(head -n 1 "$work/base.csv") ||
    fail "the header differs from tests/data/altru-roster.csv"
fi

# Usage errors exit 2 with one line on stderr.
set +e
"$bin" gen-roster 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] || fail "gen-roster without N should exit 2, got $status"
set +e
"$bin" gen-roster --change 1 --from "$work/a.csv" --bad-rows 3 > /dev/null 2> "$work/err"
status=$?
set -e
[ $status -eq 2 ] || fail "--bad-rows with --change should exit 2, got $status"
[ "$(wc -l < "$work/err")" -eq 1 ] || fail "error should be one line"
printf 'not,a,roster\r\n1,2,3\r\n' > "$work/foreign.csv"
set +e
"$bin" gen-roster --change 1 --from "$work/foreign.csv" > /dev/null 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] || fail "a foreign file should exit 2, got $status"
grep -q 'Altru' "$work/err" || fail "foreign file message: $(cat "$work/err")"
echo "ok: gen-roster"
