#!/usr/bin/env bash
# Makes the certificates and keys for tests against tests/testing/apns_standin.mjs, in OUT_DIR:
#   ca.pem ca.key                 a test CA (EC P-256, 10 years)
#   server.pem server.key         the stand-in's certificate for 127.0.0.1 and localhost, from
#                                 the CA (SAN IP:127.0.0.1, DNS:localhost; serverAuth)
#   client.pem client.key         a provider certificate, CN pass.org.example.member, from the
#                                 CA (clientAuth)
#   AuthKey_TESTKEY123.p8         an APNs token-signing key as Apple hands it out: EC P-256,
#                                 PKCS#8 PEM ("BEGIN PRIVATE KEY"); key id TESTKEY123
#   AuthKey_TESTKEY123.pub.pem    its public half, for apns_standin.mjs --jwt-public-key
# Every file is 0600. Idempotent: when all of them are there nothing is made again; otherwise
# all are made afresh in a temporary directory and moved in, so a run that is interrupted
# never leaves a mismatched set.
# Usage: make_apns_test_certs.sh OUT_DIR
set -euo pipefail
out=${1:?usage: make_apns_test_certs.sh OUT_DIR}
files=(ca.pem ca.key server.pem server.key client.pem client.key
       AuthKey_TESTKEY123.p8 AuthKey_TESTKEY123.pub.pem)
umask 077
mkdir -p "$out"
out=$(cd "$out" && pwd)

complete=1
for f in "${files[@]}"; do [ -s "$out/$f" ] || complete=0; done
[ $complete -eq 1 ] && exit 0

tmp=$(mktemp -d "$out/.make-certs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2> /dev/null; }
serial() { echo "0x$(openssl rand -hex 16)"; }

ec_key ca.key
openssl req -x509 -new -key ca.key -sha256 -days 3650 \
  -subj "/O=PassLedger tests/CN=APNs stand-in test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out ca.pem

# leaf NAME SUBJECT EXTENSIONS: NAME.key and NAME.pem signed by the CA.
leaf() {
  ec_key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$1.csr"
  printf '%s\n' "$3" > "$1.ext"
  openssl x509 -req -in "$1.csr" -CA ca.pem -CAkey ca.key -set_serial "$(serial)" -sha256 \
    -days 3650 -extfile "$1.ext" -out "$1.pem" 2> /dev/null
  rm -f "$1.csr" "$1.ext"
}
leaf server "/O=PassLedger tests/CN=127.0.0.1" \
  "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost"
leaf client "/O=PassLedger tests/CN=pass.org.example.member" \
  "basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"

ec_key AuthKey_TESTKEY123.p8
openssl pkey -in AuthKey_TESTKEY123.p8 -pubout -out AuthKey_TESTKEY123.pub.pem

openssl verify -CAfile ca.pem server.pem client.pem > /dev/null
chmod 600 "${files[@]}"
for f in "${files[@]}"; do mv -f "$f" "$out/$f"; done
