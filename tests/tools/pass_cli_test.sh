#!/usr/bin/env bash
# End-to-end test of passes from a fresh data directory: import the sample roster, render a
# signed .pkpass for every pass with the development certificates (made on first use), and
# check each one with `passledger pass inspect`, the real `openssl cms -verify`, unzip and the
# project's pass.json schema checker. Then the failure paths: a tampered bundle, a wrong CA,
# configuration mistakes, a certificate for another pass type.
# With PASSLEDGER_TEST_SERVER=1 `passledger serve` runs on the data directory throughout: the
# import and the token revocation go through its operator socket, the rest reads beside it.
# Usage: pass_cli_test.sh PASSLEDGER_BINARY SOURCE_DIR
set -euo pipefail
bin=${1:?passledger binary}
src=${2:?source dir}
work=$(mktemp -d "${TMPDIR:-/tmp}/passledger-pass-test.XXXXXX")
. "$src/tests/tools/server_mode.sh"
trap 'server_cleanup; rm -rf "$work"' EXIT
data="$work/data"
pl() { "$bin" --data "$data" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
umask 022 # what most shells have; the files that must be private must not depend on it

start_server_on "$bin" "$data" "$work"
if server_mode; then
  mode=$(stat -c %a "$data/passledger.sock")
  [ "$mode" = 600 ] || fail "the operator socket has mode $mode under umask 022, want 600"
fi
pl import "$src/tests/data/altru-roster.csv" > "$work/import.out"
pl pass render --all --out "$work/passes" > "$work/render.out" 2> "$work/render.err"
grep -q 'will NOT install on an iPhone' "$work/render.err" || fail "no dev-certificate warning"
# A pass carries its authentication token: written 0600 even under a permissive umask.
for f in "$work/passes"/*.pkpass; do
  mode=$(stat -c %a "$f")
  [ "$mode" = 600 ] || fail "$f has mode $mode, want 600"
done
root="$data/dev-certs/root-ca.pem"
[ -f "$root" ] || fail "dev certificates were not made in $data/dev-certs"

count=$(ls "$work/passes"/*.pkpass | wc -l)
members=$(pl log | grep -c '"type":"PassIssued"')
[ "$count" -eq "$members" ] || fail "rendered $count passes, the log issued $members"
[ "$count" -ge 7 ] || fail "expected the sample roster's passes, got $count"

for pkpass in "$work/passes"/*.pkpass; do
  name=$(basename "$pkpass" .pkpass)
  out="$work/unz/$name"
  mkdir -p "$out"
  unzip -q "$pkpass" -d "$out" || fail "$name: not a valid zip"
  for f in pass.json manifest.json signature icon.png icon@2x.png; do
    [ -f "$out/$f" ] || fail "$name: $f missing"
  done
  openssl cms -verify -binary -inform DER -in "$out/signature" -content "$out/manifest.json" \
    -CAfile "$root" -purpose any -out /dev/null 2> "$work/cms.err" ||
    fail "$name: openssl cms -verify failed: $(cat "$work/cms.err")"
  # Every manifest hash, recomputed by sha1sum.
  python3 - "$out" <<'PY' || fail "$name: manifest hashes"
import hashlib, json, os, sys
root = sys.argv[1]
manifest = json.load(open(os.path.join(root, "manifest.json")))
files = set()
for dirpath, _, names in os.walk(root):
    for n in names:
        rel = os.path.relpath(os.path.join(dirpath, n), root)
        if rel not in ("manifest.json", "signature"):
            files.add(rel)
assert files == set(manifest), (files ^ set(manifest))
for rel, digest in manifest.items():
    assert hashlib.sha1(open(os.path.join(root, rel), "rb").read()).hexdigest() == digest, rel
PY
  # The signature carries a signing time, a SHA-256 digest and both certificates.
  openssl cms -cmsout -print -inform DER -in "$out/signature" > "$work/cms.txt"
  grep -q 'signingTime' "$work/cms.txt" || fail "$name: no signing time"
  grep -q 'sha256' "$work/cms.txt" || fail "$name: no SHA-256 digest"
  [ "$(grep -c 'subject:' "$work/cms.txt")" -ge 2 ] || fail "$name: fewer than two certificates"
  pl pass inspect "$pkpass" --ca "$root" > "$work/inspect.out" ||
    fail "$name: inspect reported problems: $(cat "$work/inspect.out")"
  grep -q '^signature: valid, chains to the CA file' "$work/inspect.out" || fail "$name: inspect"
done
python3 "$src/tests/tools/check_pass_json.py" "$work/passes"/*.pkpass ||
  fail "pass.json schema check"

# The sample's family membership has two passes; the lapsed member's pass is voided.
family=$(pl pass render --member 8-10000001 --out "$work/family" | wc -l)
[ "$family" -eq 2 ] || fail "family membership should have 2 passes, got $family"
voided=0
for d in "$work/unz"/*; do
  if python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("voided") else 1)' \
    "$d/pass.json"; then voided=$((voided + 1)); fi
done
[ "$voided" -ge 1 ] || fail "no voided pass (the sample has a lapsed member)"

# One serial to a chosen file; rendering twice gives the cached bytes within one process only,
# so compare the parts that must not change: pass.json and the manifest.
serial=$(head -1 "$work/render.out" | cut -f1)
pl pass render --serial "$serial" --out "$work/one.pkpass" > /dev/null
[ -f "$work/one.pkpass" ] || fail "--serial --out FILE did not write the file"
unzip -p "$work/one.pkpass" pass.json | cmp -s - "$work/unz/$serial/pass.json" ||
  fail "pass.json differs between two renders of the same pass"

# Tampering: a changed pass.json no longer matches the manifest.
mkdir -p "$work/tamper" && cd "$work/tamper"
unzip -q "$work/one.pkpass"
sed -i 's/"formatVersion":1/"formatVersion":1 /' pass.json
python3 - "$work/tampered.pkpass" <<'PY'
import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as z:
    for dirpath, _, names in sorted(os.walk(".")):
        for n in sorted(names):
            z.write(os.path.join(dirpath, n)[2:])
PY
cd - > /dev/null
set +e
pl pass inspect "$work/tampered.pkpass" --ca "$root" > "$work/inspect.out"; status=$?
set -e
[ $status -eq 3 ] || fail "tampered pass: inspect should exit 3, got $status"
grep -q 'SHA-1 of pass.json does not match' "$work/inspect.out" || fail "tamper not named"

# A CA the pass does not chain to.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/other.key" -out "$work/other.pem" \
  -subj "/CN=Other" -days 2 2> /dev/null
set +e
pl pass inspect "$work/one.pkpass" --ca "$work/other.pem" > "$work/inspect.out"; status=$?
set -e
[ $status -eq 3 ] || fail "wrong CA: inspect should exit 3, got $status"

# Configuration mistakes are named with file, line and key.
printf '[pass]\nbarcode = "qrcode"\n' > "$work/bad.toml"
set +e
"$bin" --config "$work/bad.toml" config check 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] || fail "bad barcode: exit 2 expected, got $status"
grep -q 'bad.toml:2: pass.barcode' "$work/err" || fail "bad barcode message: $(cat "$work/err")"
printf '[pass]\nteam_idd = "X"\n' > "$work/typo.toml"
set +e
"$bin" --config "$work/typo.toml" config check 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] || fail "unknown key: exit 2 expected"
grep -q 'unknown key "pass.team_idd"' "$work/err" || fail "typo message: $(cat "$work/err")"
PASSLEDGER_PASS_BARCODE=aztec "$bin" config check > /dev/null || fail "env override rejected"
set +e
PASSLEDGER_PASS_BARCODE=nope "$bin" config check 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] && grep -q PASSLEDGER_PASS_BARCODE "$work/err" || fail "bad env override"

# The documented reference is the one the binary prints.
"$bin" config keys > "$work/keys.md"
python3 - "$work/keys.md" "$src/docs/CONFIG.md" <<'PY' || fail "docs/CONFIG.md is out of date: run passledger config keys"
import sys
keys, doc = open(sys.argv[1]).read(), open(sys.argv[2]).read()
sys.exit(0 if keys in doc else 1)
PY

# The example in docs/CONFIG.md is a valid configuration.
python3 - "$src/docs/CONFIG.md" > "$work/example.toml" <<'PY'
import re, sys
print(re.search(r"```toml\n(.*?)```", open(sys.argv[1]).read(), re.S).group(1))
PY
"$bin" --config "$work/example.toml" config check > /dev/null || fail "docs/CONFIG.md example"

# A configured certificate for another pass type is refused before anything is signed.
cat > "$work/other-type.toml" <<EOT
[pass]
type_id = "pass.org.other.member"
[certificates]
certificate = "$data/dev-certs/pass.pem"
key = "$data/dev-certs/pass-key.pem"
wwdr = "$data/dev-certs/wwdr.pem"
EOT
set +e
"$bin" --data "$data" --config "$work/other-type.toml" pass render --serial "$serial" \
  --out "$work/x.pkpass" 2> "$work/err"; status=$?
set -e
[ $status -ne 0 ] || fail "a certificate for another pass type must be refused"
grep -q 'UID' "$work/err" || fail "UID mismatch not named: $(cat "$work/err")"
[ ! -e "$work/x.pkpass" ] || fail "a pass was written with the wrong certificate"

# Token revocation (issue 12): a new generation, and the pass rendered again carries its token.
token() {  # token PKPASS: its pass.json's authenticationToken
  unzip -p "$1" pass.json | python3 -c 'import json, sys; print(json.load(sys.stdin)["authenticationToken"])'
}
serial=$(basename "$(ls "$work/passes"/*.pkpass | head -1)" .pkpass)
pl pass render --serial "$serial" --out "$work/before.pkpass" > /dev/null 2>&1
old_token=$(token "$work/before.pkpass")
[ "$old_token" = "$(token "$work/passes/$serial.pkpass")" ] || fail "rendering changed the token"
pl pass revoke-token --serial "$serial" --reason "shared online" > "$work/revoke.out"
grep -q "generation 1 -> 2" "$work/revoke.out" || fail "revoke-token: $(cat "$work/revoke.out")"
grep -q "needs the new pass" "$work/revoke.out" || fail "revoke-token does not say what to do next"
pl log --stream "pass-$serial" > "$work/pass.log"
grep -q '"type":"PassTokenRevoked"' "$work/pass.log" || fail "no PassTokenRevoked event"
pl pass render --serial "$serial" --out "$work/after.pkpass" > /dev/null 2>&1
new_token=$(token "$work/after.pkpass")
[ -n "$new_token" ] && [ "$new_token" != "$old_token" ] || fail "the new pass has the old token"
pl pass inspect "$work/after.pkpass" --ca "$root" > /dev/null || fail "the new pass does not inspect"
set +e
pl pass revoke-token --serial NO-SUCH-SERIAL > /dev/null 2> "$work/err"; status=$?
set -e
[ $status -eq 2 ] || fail "revoke-token of an unknown serial should exit 2, got $status"

expect_server_routes /admin/api/operator/import "/admin/api/passes/{serial}/revoke-token"
stop_server
echo "pass_cli_test: ok ($count passes)"
