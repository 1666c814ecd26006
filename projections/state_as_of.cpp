#include "projections/state_as_of.h"

#include <algorithm>
#include <charconv>
#include <ctime>

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
  // YYYY-MM-DD[THH:MM:SS[.frac]][Z|±HH:MM]
  auto num = [&](std::size_t pos, std::size_t len, int& out) {
    if (pos + len > text.size()) return false;
    auto [end, ec] = std::from_chars(text.data() + pos, text.data() + pos + len, out);
    return ec == std::errc() && end == text.data() + pos + len;
  };
  std::tm tm{};
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const Error bad =
      MakeError(ErrorCode::kInvalidArgument, "\"" + std::string(text) +
                                                 "\" is neither a position nor an ISO-8601 time "
                                                 "(2026-11-28T12:00:00Z)");
  if (!num(0, 4, year) || text.size() < 10 || text[4] != '-' || !num(5, 2, month) ||
      text[7] != '-' || !num(8, 2, day)) {
    return bad;
  }
  std::size_t pos = 10;
  std::int64_t micros = 0;
  std::int64_t offset_s = 0;
  if (pos < text.size() && (text[pos] == 'T' || text[pos] == ' ')) {
    if (text.size() < pos + 9 || !num(pos + 1, 2, hour) || text[pos + 3] != ':' ||
        !num(pos + 4, 2, minute) || text[pos + 6] != ':' || !num(pos + 7, 2, second)) {
      return bad;
    }
    pos += 9;
    if (pos < text.size() && text[pos] == '.') {
      std::int64_t scale = 100'000;
      for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
        micros += (text[pos] - '0') * scale;
        scale /= 10;
      }
    }
    if (pos < text.size() && text[pos] == 'Z') {
      ++pos;
    } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      int oh = 0, om = 0;
      if (!num(pos + 1, 2, oh) || text.size() < pos + 6 || text[pos + 3] != ':' ||
          !num(pos + 4, 2, om)) {
        return bad;
      }
      offset_s = (text[pos] == '+' ? 1 : -1) * (oh * 3600 + om * 60);
      pos += 6;
    }
  } else {
    // A bare date means the end of that day (UTC): "as of 2026-11-28" includes the day.
    hour = 23;
    minute = 59;
    second = 59;
    micros = 999'999;
  }
  if (pos != text.size() || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 ||
      minute > 59 || second > 60) {
    return bad;
  }
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::int64_t seconds = static_cast<std::int64_t>(timegm(&tm)) - offset_s;
  return seconds * 1'000'000 + micros;
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
