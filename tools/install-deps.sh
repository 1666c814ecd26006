#!/usr/bin/env bash
# Installs every Debian 12 package PassLedger needs to build, test and benchmark.
# Idempotent and non-interactive: packages already present are skipped without
# touching the network; otherwise `apt-get update` runs once, then one install.
# Must run as root (or with sudo available).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config ccache clang libclang-rt-14-dev
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev libboost-test1.81-dev
  librocksdb-dev libssl-dev
  # apns: libcurl's multi interface over HTTP/2 (Debian's libcurl is built with nghttp2)
  libcurl4-openssl-dev
  libcli11-dev libspdlog-dev libfmt-dev libjemalloc-dev
  # signer: zip (Debian's libzip CMake config needs its tools), templates, time zones
  libzip-dev zipcmp zipmerge ziptool libkainjow-mustache-dev tzdata
  # configuration
  libtomlplusplus-dev
  # staff passwords: Argon2id (handlers/staff/passwords.h)
  libargon2-dev
  # CLI and test helpers
  openssl python3-jsonschema unzip curl
  # tests/testing/smtp_server.py: the real SMTP server of mail_test (under /usr/bin/python3)
  python3-aiosmtpd
  # tests/tools/forget_purge_test.sh reads SST files with RocksDB's sst_dump
  rocksdb-tools
  # benchmarks (tools/bench/http.sh: the load generator and the reference server)
  wrk nginx
  # tools/bench/push.sh: the reference HTTP/2 server and load generator (nghttpd, h2load)
  nghttp2-server nghttp2-client
  # profiles for docs/PERFORMANCE.md (perf record / perf report)
  linux-perf
  # the pass preview's barcode drawn as SVG by the server (signer/barcode_svg.h)
  libzint-dev
  # the staff web app's browser tests (tests/web/): Debian's Chromium driven by playwright-core
  # (npm, tools/install-npm.sh), fonts for its pages, Node for the harness (its npm comes with it)
  chromium fonts-dejavu-core nodejs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
