// One member for the admin UI: its record (fields, cardholders, add-ons), its passes (serial,
// cardholder, voided and why, e-mail status and error, how many devices hold it) and its
// timeline — every event of the member's stream and of each of its passes' streams
// (member-<id>, pass-<serial>), newest first, each with a line a person can read
// (handlers/admin/event_summary.h).
//
// The timeline is paged: a page is the newest `limit` events (at most kMaxTimelineLimit) not
// shown yet, and its cursor holds, per stream, the newest version still to show. A pass
// issued after the first page was read is not part of the later pages (its events are all
// newer than them). Cost per page: at most `limit` events read from each of the member's
// streams, by stream index (events/event_log.h, ReadStream), never a scan of the log.
// Personal parts are not read: the timeline is the same for every role.
//
// Thread-safe; the log and the read model are borrowed and must outlive this object.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "events/event_log.h"
#include "projections/read_model.h"

namespace passledger::handlers {

struct TimelineEntry {
  std::uint64_t position = 0;
  std::int64_t recorded_at_us = 0;
  std::string stream;
  std::string type;
  std::string actor;
  std::string summary;
};

struct Timeline {
  std::vector<TimelineEntry> entries;  // newest first
  std::string next_cursor;             // empty: nothing older
};

struct MemberDetail {
  projections::MemberView member;
  std::vector<projections::PassView> passes;  // in issue order
  Timeline timeline;                          // its first page
};

inline constexpr std::size_t kMaxTimelineLimit = 200;

class MemberDetails {
 public:
  MemberDetails(const events::EventLog* log, projections::ReadModel read)
      : log_(log), read_(read) {}

  // kNotFound for an unknown membership id (a stub only a pass named is not a member).
  Result<MemberDetail> Get(std::string_view membership_id, std::size_t timeline_limit = 50) const;

  // A page of the member's timeline after `cursor` (a Timeline's next_cursor; empty: the
  // newest). kNotFound as Get; kInvalidArgument for a cursor of another query.
  Result<Timeline> TimelineOf(std::string_view membership_id, std::string_view cursor,
                              std::size_t limit = 50) const;

 private:
  Result<Timeline> TimelineOf(const projections::MemberView& member, std::string_view cursor,
                              std::size_t limit) const;
  Result<projections::MemberView> FindMember(std::string_view membership_id) const;

  // Constant after construction.
  const events::EventLog* const log_;
  const projections::ReadModel read_;
};

}  // namespace passledger::handlers
