#!/usr/bin/env bash
# Installs the npm packages of the staff app's browser tests and benchmark (tests/web/
# package.json and its committed lock file: playwright-core, axe-core, @zxing/library, pngjs)
# into tests/web/node_modules with `npm ci`, so every machine gets exactly the locked versions.
# Nothing of them is shipped: the app in web/ vendors no npm package. Skipped when the
# installed tree was made from the same lock file. Called by `make deps` after install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/../tests/web"

if ! command -v npm >/dev/null 2>&1; then
  # Debian's nodejs has no npm of its own; NodeSource's (Node 20) bundles it, and Debian's npm
  # package would conflict with that one, so it is installed only when npm is missing.
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "install-npm: installing Debian's npm"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends npm
fi

stamp=node_modules/.passledger-lock-sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "install-npm: tests/web/node_modules is up to date"
  exit 0
fi
echo "install-npm: npm ci in tests/web"
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
