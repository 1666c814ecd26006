#!/usr/bin/env bash
# The storage boundary (docs/ARCHITECTURE.md): outside events/ and projections/ (and tests/),
# no C++ or CMake file includes a RocksDB header, names a rocksdb type, links RocksDB or
# includes events/storage_access.h. The setting server.rocksdb_max_open_files is allowed.
# Usage: storage_boundary_test.sh SOURCE_DIR
set -euo pipefail
root=${1:?source directory}
cd "$root"
fail() { echo "FAIL: $*" >&2; exit 1; }
pattern='rocksdb[:/]|ROCKSDB|storage_access\.h'
find_hits() {
  grep -rnE "$pattern" "$@" --include='*.cpp' --include='*.h' --include='*.in' \
    --include=CMakeLists.txt || true
}
# The control: the pattern does find the storage modules' own uses.
[ -n "$(find_hits events)" ] || fail "the pattern finds nothing in events/: it would miss a leak"
hits=$(find_hits tools handlers http signer)
[ -z "$hits" ] || fail "RocksDB outside events/ and projections/:
$hits"
echo "storage_boundary_test: ok"
