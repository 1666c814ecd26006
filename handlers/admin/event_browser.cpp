#include "handlers/admin/event_browser.h"

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <functional>
#include <map>

#include "base/crypto.h"
#include "handlers/admin/admin_cursor.h"
#include "handlers/admin/event_summary.h"

namespace passledger::handlers {
namespace {

constexpr char kLogCursor = 'e';
constexpr char kStreamCursor = 'v';
constexpr std::uint64_t kChunk = 256;  // events read at a time

// Field names whose values never leave: a device's push token, a staff password hash, and a
// pass's authentication token (no event carries one; named so that none ever shows).
constexpr std::array<std::string_view, 3> kSecretFields = {"pushToken", "passwordHash",
                                                           "authenticationToken"};

void Redact(boost::json::value& value);

void Redact(boost::json::object& object) {
  for (auto& [key, value] : object) {
    if (std::find(kSecretFields.begin(), kSecretFields.end(), key) != kSecretFields.end()) {
      value = kRedacted;
    } else {
      Redact(value);
    }
  }
}

void Redact(boost::json::value& value) {
  if (auto* object = value.if_object()) Redact(*object);
  if (auto* array = value.if_array()) {
    for (auto& item : *array) Redact(item);
  }
}

bool ActorMatches(std::string_view wanted, std::string_view actor) {
  if (wanted.empty()) return true;
  if (wanted.ends_with('*')) return actor.starts_with(wanted.substr(0, wanted.size() - 1));
  return actor == wanted;
}

// Reads `count` events from index `first`: log positions, or the versions of one stream.
using ReadFn =
    std::function<Result<std::vector<events::RecordedEvent>>(std::uint64_t, std::size_t)>;

// One call's walk down the indexes of a ReadFn.
class EventScan {
 public:
  EventScan(const events::EventLog& log, const EventQuery& query, ReadFn read, char cursor_kind)
      : log_(log),
        query_(query),
        read_(std::move(read)),
        kind_(cursor_kind),
        limit_(std::clamp<std::size_t>(query.limit, 1, 200)),
        max_scanned_(std::clamp<std::size_t>(query.max_scanned, 1, 20'000)) {}

  // The largest index <= top recorded before `to_us` (0: none), by binary search.
  Result<std::uint64_t> LastBefore(std::uint64_t top, std::int64_t to_us) const;
  // Walks down from index `top`.
  Result<EventPage> Run(std::uint64_t top);

 private:
  std::uint64_t IndexOf(const events::RecordedEvent& event) const {
    return kind_ == kStreamCursor ? event.envelope.version : event.envelope.position;
  }
  bool Matches(const events::Envelope& e) const {
    return (query_.type.empty() || e.type == query_.type) && ActorMatches(query_.actor, e.actor);
  }
  EventPage Stop(std::uint64_t next, bool capped) {
    page_.next_cursor = EncodeNumbers(kind_, std::array{next});
    page_.capped = capped;
    return std::move(page_);
  }
  Result<AuditEvent> Show(events::RecordedEvent event);
  Result<events::PersonalState> SealedState(const std::string& subject);

  const events::EventLog& log_;
  const EventQuery& query_;
  const ReadFn read_;
  const char kind_;
  const std::size_t limit_, max_scanned_;
  std::map<std::string, bool> forgotten_;  // subjects looked up in this call
  EventPage page_;
};

Result<std::uint64_t> EventScan::LastBefore(std::uint64_t top, std::int64_t to_us) const {
  std::uint64_t lo = 0, hi = top;  // the answer is in [lo, hi]
  while (lo < hi) {
    const std::uint64_t mid = lo + (hi - lo + 1) / 2;
    auto events = read_(mid, 1);
    if (!events) return events.error();
    if (events->empty()) return MakeError(ErrorCode::kCorruption, "the log has a gap");
    if (events->front().envelope.recorded_at_us < to_us) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

Result<EventPage> EventScan::Run(std::uint64_t top) {
  while (top >= 1) {
    if (page_.scanned >= max_scanned_) return Stop(top, /*capped=*/true);
    const std::uint64_t count =
        std::min<std::uint64_t>({kChunk, max_scanned_ - page_.scanned, top});
    auto events = read_(top - count + 1, count);
    if (!events) return events.error();
    for (auto it = events->rbegin(); it != events->rend(); ++it) {
      // Recorded times never go back along the log (nor along a stream): all below are older.
      if (query_.from_us && it->envelope.recorded_at_us < *query_.from_us) return std::move(page_);
      if (Matches(it->envelope) && page_.events.size() == limit_) return Stop(IndexOf(*it), false);
      ++page_.scanned;
      if (!Matches(it->envelope)) continue;
      auto shown = Show(std::move(*it));
      if (!shown) return shown.error();
      page_.events.push_back(std::move(*shown));
    }
    top -= count;
  }
  return std::move(page_);
}

// For a reader without the keys: "forgotten" once the subject's key is gone, else "sealed".
Result<events::PersonalState> EventScan::SealedState(const std::string& subject) {
  auto it = forgotten_.find(subject);
  if (it == forgotten_.end()) {
    auto forgotten = log_.IsForgotten(subject);
    if (!forgotten) return forgotten.error();
    it = forgotten_.emplace(subject, *forgotten).first;
  }
  return it->second ? events::PersonalState::kForgotten : events::PersonalState::kSealed;
}

Result<AuditEvent> EventScan::Show(events::RecordedEvent event) {
  const events::Envelope& e = event.envelope;
  AuditEvent out;
  out.position = e.position;
  out.stream = e.stream;
  out.version = e.version;
  out.type = e.type;
  out.schema_version = e.schema_version;
  out.recorded_at_us = e.recorded_at_us;
  out.actor = e.actor;
  out.correlation_id = e.correlation_id;
  out.causation = e.causation;
  out.subject = e.subject;
  out.summary = EventSummary(event);
  out.prev_hash = ToHex(e.prev_hash);
  out.hash = ToHex(e.hash);
  if (event.schema_version == e.schema_version) {
    out.payload = std::move(event.payload);
  } else {  // as events::EnvelopeJson shows it: the stored shape, and the newest beside it
    boost::system::error_code ec;
    boost::json::value stored = boost::json::parse(e.payload, ec);
    if (ec || !stored.is_object()) {
      return MakeError(ErrorCode::kCorruption, "payload of position " + std::to_string(e.position) +
                                                   " is not a JSON object");
    }
    out.payload = std::move(stored.as_object());
    out.upcast_payload = std::move(event.payload);
    out.upcast_schema_version = event.schema_version;
    Redact(*out.upcast_payload);
  }
  Redact(out.payload);
  out.personal_state = event.personal_state;
  if (out.personal_state == events::PersonalState::kSealed) {
    auto state = SealedState(e.subject);
    if (!state) return state.error();
    out.personal_state = *state;
  } else if (out.personal_state == events::PersonalState::kRevealed) {
    out.personal = std::move(event.personal);
    Redact(out.personal);
  }
  return out;
}

}  // namespace

PersonalAccess PersonalAccessOf(std::string_view role) {
  return role == "admin" || role == "staff" ? PersonalAccess::kRevealed : PersonalAccess::kSealed;
}

Result<EventPage> EventBrowser::Find(const EventQuery& query) const {
  const events::ReadOptions read{query.personal == PersonalAccess::kRevealed};
  const bool by_stream = !query.stream.empty();
  ReadFn reader = [&](std::uint64_t first, std::size_t count) {
    return by_stream ? log_->ReadStream(query.stream, first, count, read)
                     : log_->ReadRange(first, count, read);
  };
  EventScan scan(*log_, query, reader, by_stream ? kStreamCursor : kLogCursor);
  std::uint64_t top = 0;
  if (!query.cursor.empty()) {
    auto numbers = DecodeNumbers(query.cursor, by_stream ? kStreamCursor : kLogCursor);
    if (!numbers) return numbers.error();
    if (numbers->size() != 1) return MakeError(ErrorCode::kInvalidArgument, "not a cursor");
    top = numbers->front();
  } else {
    auto newest = by_stream ? log_->StreamVersion(query.stream)
                            : Result<std::uint64_t>(log_->GetHead().position);
    if (!newest) return newest.error();
    top = *newest;
    if (query.to_us) {
      auto before = scan.LastBefore(top, *query.to_us);
      if (!before) return before.error();
      top = *before;
    }
  }
  return scan.Run(top);
}

}  // namespace passledger::handlers
