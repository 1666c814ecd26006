// The audit log browser (DESIGN §10): the events of the log, newest first, filtered by
// stream, type, actor and recorded time, a page at a time.
//
// Each event is shown as `passledger log` prints it (events/envelope_json.h: the stored
// payload and schema version, the upcast payload when this build reads a newer shape, the
// chain hashes) plus a line a person can read (handlers/admin/event_summary.h). Personal
// parts: revealed (decrypted) for the roles admin and staff, "sealed" for auditors, and
// "forgotten" for everyone once the subject was forgotten. Secrets are replaced by
// "[redacted]" wherever they stand in a payload or a personal part (a device's pushToken, a
// staff password hash): the hash still covers them, the page never shows them.
//
// Cost: bounded per call. Without a stream the scan walks positions down from the head (or
// the cursor); with one it walks that stream's versions through the stream index. A `to`
// time is found by binary search (times never go back along the log), a `from` time ends the
// scan. At most `max_scanned` events are read per call: a page that reaches it is short,
// `capped` is set and `next_cursor` goes on from where it stopped. A full page looks ahead
// for one more match (within the same cap) so that the last page has no cursor.
//
// Reading personal parts is the caller's to audit-log (events::ReadOptions::reveal).
// Thread-safe; the log is borrowed and must outlive this object.
#pragma once

#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "events/event_log.h"

namespace passledger::handlers {

enum class PersonalAccess { kRevealed, kSealed };
// "admin" and "staff" read personal parts; "auditor", and any role this build does not know,
// see them sealed.
PersonalAccess PersonalAccessOf(std::string_view role);

struct EventQuery {
  std::string stream;  // exactly this stream; empty: every stream
  std::string type;    // exactly this type; empty: every type
  // Exactly this actor, or, ending in '*', every actor starting with the rest ("staff:*").
  std::string actor;
  std::optional<std::int64_t> from_us;  // recorded at or after (Unix µs)
  std::optional<std::int64_t> to_us;    // recorded before
  std::string cursor;                   // a page's next_cursor; empty: the newest
  std::size_t limit = 50;               // events per page, 1..200
  std::size_t max_scanned = 5'000;      // events read per call, 1..20,000
  PersonalAccess personal = PersonalAccess::kSealed;
};

struct AuditEvent {
  std::uint64_t position = 0;
  std::string stream;
  std::uint64_t version = 0;
  std::string type;
  std::uint32_t schema_version = 0;  // as stored: the shape of `payload`
  std::int64_t recorded_at_us = 0;
  std::string actor;
  std::string correlation_id;
  std::uint64_t causation = 0;
  std::string subject;
  boost::json::object payload;  // as stored, secrets redacted
  // When this build reads the event in a newer shape: that version and the payload in it.
  std::optional<boost::json::object> upcast_payload;
  std::uint32_t upcast_schema_version = 0;
  events::PersonalState personal_state = events::PersonalState::kNone;
  boost::json::object personal;  // kRevealed only, in the newest shape, secrets redacted
  std::string summary;
  std::string prev_hash, hash;  // hex
};

struct EventPage {
  std::vector<AuditEvent> events;  // newest first
  std::string next_cursor;         // empty: nothing older matches
  std::size_t scanned = 0;
  bool capped = false;
};

// The value secrets are replaced by.
inline constexpr std::string_view kRedacted = "[redacted]";

class EventBrowser {
 public:
  explicit EventBrowser(const events::EventLog* log) : log_(log) {}

  // kInvalidArgument for a cursor of another query (or of a stream query without the
  // stream, and the reverse) and for a malformed stream name.
  Result<EventPage> Find(const EventQuery& query) const;

 private:
  const events::EventLog* const log_;
};

}  // namespace passledger::handlers
