// Wiring for commands that make passes: from the configuration, the data directory and the
// open log to a ready PassFactory — certificates loaded and checked (or development
// certificates made in <data>/dev-certs on first use), the template loaded, the token secret
// derived from the log's master key, the bundle cache sized. Start-up code: not thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "events/event_log.h"
#include "signer/certificates.h"
#include "signer/pass_factory.h"
#include "tools/passledger/config.h"

namespace passledger::tools {

struct PassSetup {
  std::shared_ptr<const signer::PassFactory> factory;
  // The pass certificate and key the factory signs with (also APNs' default client identity).
  std::shared_ptr<const signer::SigningIdentity> identity;
  std::vector<std::string> warnings;  // certificate expiry, development certificates, http URL
};

// The purpose string of the token secret (events::EventLog::DeriveKey).
inline constexpr std::string_view kTokenSecretPurpose = "pass-authentication-token";

Result<PassSetup> SetUpPasses(const Config& config, const std::filesystem::path& data_dir,
                              const events::EventLog& log);

}  // namespace passledger::tools
