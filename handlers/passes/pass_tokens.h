// Revoking a pass's authentication token (`passledger pass revoke-token`). The token is
// HMAC(serial, tokenGeneration) under the pass type's secret (signer/auth_token.h), so a new
// generation makes a new token and the old one stops matching on every token route. The
// member needs the new pass, which carries the new token (docs/PASSKIT.md).
//
// Thread-safe as the EventLog and ReadModel are; both are borrowed for the call.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "events/event_log.h"
#include "projections/read_model.h"

namespace passledger::handlers {

struct TokenRevocation {
  std::uint64_t previous_generation = 0;
  std::uint64_t generation = 0;  // the pass's token generation now
  std::uint64_t position = 0;    // of PassTokenRevoked
};

// Appends PassTokenRevoked {serial, tokenGeneration: current + 1, reason} to pass-<serial>,
// expecting the stream's current version: a pass that changes meanwhile is kConflict (run it
// again). kNotFound for a serial that was never issued; kInvalidArgument for a bad serial.
// REQUIRES: `log` writable, `read` reading the projections that `log` feeds.
Result<TokenRevocation> RevokePassToken(events::EventLog& log, const projections::ReadModel& read,
                                        std::string_view serial, std::string actor,
                                        std::string reason);

}  // namespace passledger::handlers
