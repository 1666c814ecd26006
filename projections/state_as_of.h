// State as of a position or a time: one member's (or one pass's) records as they were, by
// replaying that entity's streams through the same folder the live views use. Device streams
// are not replayed, so the counts kept from registrations (a pass's `devices`, a member's
// `passes_installed`) read 0 here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "events/event_log.h"
#include "projections/read_model.h"
#include "projections/views.h"

namespace passledger::projections {

// A point in history: a position, or a UTC time in microseconds (inclusive).
struct AsOf {
  std::optional<std::uint64_t> position;
  std::optional<std::int64_t> time_us;
};

// "1234" → position; "2026-11-28T12:00:00Z", "…T12:00:00.5Z", "…+01:00", "2026-11-28" → time.
Result<AsOf> ParseAsOf(std::string_view text);

struct EntityState {
  std::uint64_t position = 0;  // the last event folded (0: none yet)
  std::optional<MemberView> member;
  std::vector<PassView> passes;
};

// The member and its passes (the passes it has now, as they were then).
Result<EntityState> MemberStateAsOf(const events::EventLog& log, const ReadModel& views,
                                    std::string_view membership_id, const AsOf& at);
Result<EntityState> PassStateAsOf(const events::EventLog& log, std::string_view serial,
                                  const AsOf& at);

}  // namespace passledger::projections
