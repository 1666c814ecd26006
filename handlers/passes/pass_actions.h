// Staff actions on one pass (the admin API's void / unvoid; revoking the token is
// handlers/passes/pass_tokens.h): each appends one event to pass-<serial> expecting the
// stream's current version, so a pass that changes meanwhile is kConflict (try again). Voiding
// and unvoiding change the pass's content: the push dispatcher then pushes every device that
// holds it (docs/PUSH.md), which is why the outcome says how many devices that is.
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

// A pass as the views have it, with its stream's version read first: the view is at least
// that new, so an append expecting `version` fails if the pass changed after it was read.
struct PassAtVersion {
  projections::PassView pass;
  std::uint64_t version = 0;
};

// kNotFound for a serial never issued, kInvalidArgument for one that cannot be a serial.
Result<PassAtVersion> ReadPassForChange(events::EventLog& log, const projections::ReadModel& read,
                                        std::string_view serial);

struct PassActionOutcome {
  std::uint64_t position = 0;  // of the event appended
  std::size_t devices = 0;     // devices holding the pass, to be pushed
};

inline constexpr std::size_t kMaxVoidReason = 200;

// PassVoided {serial, reason}. kFailedPrecondition when already void; kInvalidArgument for an
// empty reason, one longer than kMaxVoidReason bytes, or with control characters.
Result<PassActionOutcome> VoidPass(events::EventLog& log, const projections::ReadModel& read,
                                   std::string_view serial, std::string_view reason,
                                   std::string actor);

// PassUnvoided {serial, reason: "unvoided by staff"}. kFailedPrecondition when the pass is not
// void, or its member was forgotten (that void is for good).
Result<PassActionOutcome> UnvoidPass(events::EventLog& log, const projections::ReadModel& read,
                                     std::string_view serial, std::string actor);

}  // namespace passledger::handlers
