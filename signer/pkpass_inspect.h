// Inspection of a .pkpass someone hands us (`passledger pass inspect`): its pass.json, every
// manifest hash, and the detached CMS signature over manifest.json, verified against a CA
// file when one is given. Problems are collected, not stopped at, so one run lists them all.
// Pure function; thread-safe.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace passledger::signer {

struct PkpassReport {
  std::string pass_json;              // as stored (empty when missing)
  std::vector<std::string> files;     // entry names in archive order
  std::vector<std::string> problems;  // empty = the bundle is sound
  std::vector<std::string> notes;     // facts worth printing (signer, signing time, ...)
  bool signature_verified = false;    // the CMS signature matches manifest.json
  bool chain_verified = false;        // ... and its certificate chains to the CA file
  bool ok() const { return problems.empty(); }
};

// Only an unreadable zip is an error; everything else is a problem in the report.
// Without `ca_file` the signature is checked against the certificate it carries and the
// chain is not (a note says so).
Result<PkpassReport> InspectPkpass(std::string_view zip_bytes,
                                   const std::optional<std::filesystem::path>& ca_file);

}  // namespace passledger::signer
