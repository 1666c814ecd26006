// The .pkpass container: manifest.json (lowercase hex SHA-1 of every other file), the
// detached signature over the manifest's exact bytes, and the zip around them — built and
// read in memory with libzip. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "signer/bundle_file.h"

namespace passledger::signer {

// Lowercase hex SHA-1 of `bytes`.
std::string Sha1Hex(std::string_view bytes);

// {"<path>": "<sha1>", ...} over `files` in path order. Every file of the bundle except
// manifest.json and signature must be listed.
std::string ManifestJson(std::span<const BundleFile* const> files);

// Zips `files` in the given order (deterministic: fixed entry order and `mtime_unix` as
// every entry's time): JSON deflated (level 1), everything else stored.
Result<std::string> ZipBundle(std::span<const BundleFile* const> files, std::int64_t mtime_unix);

// Limits for reading an untrusted .pkpass (`pass inspect`).
struct PkpassLimits {
  std::size_t max_entries = 256;
  std::uint64_t max_total_bytes = 64u << 20;  // uncompressed
};

// Reads every entry of a .pkpass (zip) held in memory, in archive order, sha1_hex filled.
// kInvalidArgument for a damaged zip, unsafe entry names (absolute, "..", backslashes),
// duplicate names or limits exceeded.
Result<std::vector<BundleFile>> ReadPkpass(std::string_view zip_bytes,
                                           const PkpassLimits& limits = {});

}  // namespace passledger::signer
