#!/usr/bin/env bash
# The CLI demo behind `make run` (until the server exists): appends a few events of a small
# membership story, prints the log, reveals the sealed personal data, verifies the chain and
# takes a signed digest. Every append carries an idempotency key, so running the demo again
# writes nothing new: the log stays exactly as it was.
# Usage: tools/demo.sh PASSLEDGER_BINARY DATA_DIR
set -euo pipefail
bin=${1:?usage: demo.sh PASSLEDGER_BINARY DATA_DIR}
data=${2:-./data}
pl() { "$bin" --data "$data" "$@"; }

echo "== appending a membership story to $data (idempotent)"
pl append --stream member-8-10000001 --type MemberEnrolled --expected-version any \
  --idempotency-key demo-1 --actor system:demo \
  --payload '{"membershipId":"8-10000001","level":"Family","status":"Active","active":true,"expires":"2027-12-31"}' \
  --subject 8-10000001 \
  --personal '{"name":"Avery Quill","email":"avery.quill@example.org","address":{"zip":"15210"}}'
pl append --stream pass-DEMOSERIAL1 --type PassIssued --idempotency-key demo-2 --actor system:demo \
  --payload '{"membershipId":"8-10000001","serial":"DEMOSERIAL1","passTypeId":"pass.org.example.member","cardholderIndex":0,"tokenGeneration":1}' \
  --subject 8-10000001 --personal '{"cardholder":"Avery Quill"}'
pl append --stream member-8-10000001 --type MemberChanged --idempotency-key demo-3 \
  --actor staff:demo \
  --payload '{"membershipId":"8-10000001","changes":{"level":{"old":"Family","new":"Patron"}}}'

echo; echo "== passledger log (personal data stays sealed)"
pl log
echo; echo "== passledger log --reveal --stream member-8-10000001"
pl log --reveal --stream member-8-10000001
echo; echo "== passledger verify"
pl verify
echo; echo "== passledger digest"
pl digest
