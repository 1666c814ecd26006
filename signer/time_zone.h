// TimeZone: one IANA time zone read from /usr/share/zoneinfo (TZif versions 1, 2 and 3), so
// that a membership expires at the end of its last day in the organisation's zone.
//
// Instants are Unix seconds (POSIX time, no leap seconds). Instants inside the file's
// transition table use that table; instants after its last transition use the POSIX TZ rule
// of the TZif footer (v2+), so far-future years (2040 and later) get the right daylight-saving
// offsets. Leap-second ("right/") zones are refused.
//
// Thread-safety: a TimeZone is immutable after Load and shares its rules through a
// shared_ptr, so copies are cheap and any number of threads may use one concurrently.
// Loading reads and parses a file: hold a TimeZone (or use LoadCached) instead of loading it
// for every pass.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger::signer {

namespace internal {
struct ZoneRules;  // the parsed TZif file; defined in time_zone.cpp
}  // namespace internal

class TimeZone {
 public:
  // Reads /usr/share/zoneinfo/<name>, e.g. "UTC", "America/New_York". kInvalidArgument for a
  // name that is unsafe (absolute, "..", odd characters) or names no TZif file.
  static Result<TimeZone> Load(std::string_view name);

  // Load through a process-wide cache: the file is read once per name for the life of the
  // process (a tzdata update needs a restart). Thread-safe. Failures are not cached.
  static Result<TimeZone> LoadCached(std::string_view name);

  // Coordinated Universal Time without reading a file.
  static TimeZone Utc();

  // The IANA name this zone was loaded under.
  const std::string& name() const;

  // Seconds east of UTC at that instant (e.g. -14400 for New York in summer).
  std::int64_t OffsetAt(std::int64_t utc_seconds) const;

  // The last instant of local civil day year-month-day (23:59:59 local; if that local time
  // is skipped by a transition, the last second before the jump) as a W3C date-time with that
  // instant's offset, e.g. "2027-03-31T23:59:59-04:00". REQUIRES: a valid calendar date.
  std::string EndOfDayW3C(int year, unsigned month, unsigned day) const;

  // The first instant of that local day (00:00:00 local, or the first second after a jump
  // over midnight) in the same format.
  std::string StartOfDayW3C(int year, unsigned month, unsigned day) const;

  // `utc_seconds` as local time with its offset, e.g. "2027-03-31T23:59:59-04:00".
  std::string FormatW3C(std::int64_t utc_seconds) const;

 private:
  explicit TimeZone(std::shared_ptr<const internal::ZoneRules> rules) : rules_(std::move(rules)) {}

  // The last instant whose local time is <= local_seconds (local time as seconds since
  // 1970-01-01T00:00:00 local).
  std::int64_t LastInstantAtOrBefore(std::int64_t local_seconds) const;
  // The first instant whose local time is >= local_seconds.
  std::int64_t FirstInstantAtOrAfter(std::int64_t local_seconds) const;

  std::shared_ptr<const internal::ZoneRules> rules_;  // never null
};

}  // namespace passledger::signer
