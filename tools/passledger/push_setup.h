// Wiring for push: from the [apns] configuration and the pass setup to a ready APNs client
// and the dispatcher's options (docs/PUSH.md). Start-up code: not thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "apns/client.h"
#include "apns/provider_token.h"
#include "base/error.h"
#include "handlers/push/push_dispatcher.h"
#include "http/metrics.h"
#include "signer/certificates.h"
#include "tools/passledger/config.h"
#include "tools/passledger/pass_setup.h"

namespace passledger::tools {

// Members in destruction order: the client (which borrows the token) goes first.
struct PushSetup {
  std::unique_ptr<apns::ProviderToken> token;
  std::shared_ptr<const signer::SigningIdentity> identity;  // certificate auth
  std::unique_ptr<apns::Client> client;
  handlers::PushDispatcherOptions dispatcher;
  std::string description;  // "token auth (key ABC123DEFG, team T) to https://..."
};

// nullopt when push is off (apns.auth, or its default with development certificates).
// kInvalidArgument/kNotFound naming the [apns] key that is wrong.
Result<std::optional<PushSetup>> SetUpPush(const Config& config, const PassSetup& passes);

// The push series in /metrics: outcomes, in flight, queue depth, latencies, the stop alert.
void AddPushMetrics(http::Metrics& metrics, const apns::Client& client,
                    const handlers::PushDispatcher& dispatcher);

}  // namespace passledger::tools
