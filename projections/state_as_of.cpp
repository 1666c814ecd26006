#include "projections/state_as_of.h"

#include <algorithm>
#include <charconv>

#include "base/time.h"
#include "projections/folder.h"
#include "projections/member_fields.h"
#include "projections/view_format.h"

namespace passledger::projections {
namespace {

bool Before(const events::RecordedEvent& e, const AsOf& at) {
  if (at.position && e.envelope.position > *at.position) return false;
  if (at.time_us && e.envelope.recorded_at_us > *at.time_us) return false;
  return true;
}

Result<std::vector<events::RecordedEvent>> StreamUpTo(const events::EventLog& log,
                                                      const std::string& stream, const AsOf& at) {
  std::vector<events::RecordedEvent> out;
  for (std::uint64_t version = 1;;) {
    auto page = log.ReadStream(stream, version, 1000, events::ReadOptions{.reveal = true});
    if (!page) return page.error();
    for (auto& event : *page) {
      if (!Before(event, at)) return out;
      out.push_back(std::move(event));
    }
    if (page->size() < 1000) return out;
    version = out.back().envelope.version + 1;
  }
}

Result<EntityState> Replay(std::vector<events::RecordedEvent> events,
                           std::string_view membership_id,
                           const std::vector<std::string>& serials) {
  std::sort(events.begin(), events.end(),
            [](const auto& a, const auto& b) { return a.envelope.position < b.envelope.position; });
  MemoryBackend memory;
  ViewCache views(&memory, FinalizeRecord);
  EntityState state;
  for (const auto& event : events) {
    const boost::json::object* personal =
        event.personal_state == events::PersonalState::kRevealed ? &event.personal : nullptr;
    if (auto ok = Fold({event.envelope, event.payload, personal}, views); !ok) return ok.error();
    state.position = event.envelope.position;
  }
  if (!membership_id.empty()) {
    auto member = views.Find<MemberView>(format::Key(format::View::kMembers, membership_id));
    if (!member) return member.error();
    if (*member && (*member)->enrolled()) {
      state.member = **member;
      state.member->row_hash = MemberRowHash(*state.member);  // else computed when written
    }
  }
  for (const auto& serial : serials) {
    auto pass = views.Find<PassView>(format::Key(format::View::kPasses, serial));
    if (!pass) return pass.error();
    if (*pass) state.passes.push_back(**pass);
  }
  return state;
}

Result<std::int64_t> ParseTime(std::string_view text) {
  if (const auto date = ParseIsoDate(text)) {
    // A bare date means the end of that day (UTC): "as of 2026-11-28" includes the day.
    return (DaysFromCivil(*date) + 1) * kSecondsPerDay * kMicrosPerSecond - 1;
  }
  // Without an offset the time is read as UTC, as it always has been here.
  if (const auto micros = ParseTimestamp(text, MissingOffset::kUtc)) return *micros;
  return MakeError(ErrorCode::kInvalidArgument, "\"" + std::string(text) +
                                                    "\" is neither a position nor an ISO-8601 "
                                                    "time (2026-11-28T12:00:00Z)");
}

}  // namespace

Result<AsOf> ParseAsOf(std::string_view text) {
  std::uint64_t position = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), position);
  if (ec == std::errc() && end == text.data() + text.size()) return AsOf{position, std::nullopt};
  auto time = ParseTime(text);
  if (!time) return time.error();
  return AsOf{std::nullopt, *time};
}

Result<EntityState> MemberStateAsOf(const events::EventLog& log, const ReadModel& views,
                                    std::string_view membership_id, const AsOf& at) {
  auto events = StreamUpTo(log, "member-" + std::string(membership_id), at);
  if (!events) return events.error();
  std::vector<std::string> serials;
  auto passes = views.PassesOfMember(membership_id);
  if (!passes) return passes.error();
  for (const auto& pass : *passes) {
    serials.push_back(pass.serial);
    auto pass_events = StreamUpTo(log, "pass-" + serials.back(), at);
    if (!pass_events) return pass_events.error();
    std::move(pass_events->begin(), pass_events->end(), std::back_inserter(*events));
  }
  return Replay(std::move(*events), membership_id, serials);
}

Result<EntityState> PassStateAsOf(const events::EventLog& log, std::string_view serial,
                                  const AsOf& at) {
  auto events = StreamUpTo(log, "pass-" + std::string(serial), at);
  if (!events) return events.error();
  return Replay(std::move(*events), "", {std::string(serial)});
}

}  // namespace passledger::projections
