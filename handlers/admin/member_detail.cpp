#include "handlers/admin/member_detail.h"

#include <algorithm>

#include "handlers/admin/admin_cursor.h"
#include "handlers/admin/event_summary.h"

namespace passledger::handlers {
namespace {

constexpr char kTimelineCursor = 't';

std::vector<std::string> StreamsOf(const projections::MemberView& member) {
  std::vector<std::string> streams = {"member-" + member.membership_id};
  for (const auto& serial : member.serials) streams.push_back("pass-" + serial);
  return streams;
}

// Per stream, the newest version still to show: from the cursor, else the stream's version.
// Streams the cursor does not name (passes issued since its first page) show nothing.
Result<std::vector<std::uint64_t>> Tops(const events::EventLog& log,
                                        const std::vector<std::string>& streams,
                                        std::string_view cursor) {
  std::vector<std::uint64_t> tops;
  if (!cursor.empty()) {
    auto numbers = DecodeNumbers(cursor, kTimelineCursor);
    if (!numbers) return numbers.error();
    if (numbers->size() > streams.size()) {
      return MakeError(ErrorCode::kInvalidArgument, "the cursor belongs to another member");
    }
    tops = std::move(*numbers);
    tops.resize(streams.size(), 0);
    return tops;
  }
  for (const auto& stream : streams) {
    auto version = log.StreamVersion(stream);
    if (!version) return version.error();
    tops.push_back(*version);
  }
  return tops;
}

TimelineEntry EntryOf(const events::RecordedEvent& event) {
  const events::Envelope& e = event.envelope;
  return {e.position, e.recorded_at_us, e.stream, e.type, e.actor, EventSummary(event)};
}

}  // namespace

Result<projections::MemberView> MemberDetails::FindMember(std::string_view membership_id) const {
  auto member = read_.Member(membership_id);
  if (!member) return member.error();
  if (!*member) {
    return MakeError(ErrorCode::kNotFound, "no member with id " + std::string(membership_id));
  }
  return std::move(**member);
}

Result<MemberDetail> MemberDetails::Get(std::string_view membership_id,
                                        std::size_t timeline_limit) const {
  auto member = FindMember(membership_id);
  if (!member) return member.error();
  auto passes = read_.PassesOfMember(membership_id);
  if (!passes) return passes.error();
  auto timeline = TimelineOf(*member, "", timeline_limit);
  if (!timeline) return timeline.error();
  return MemberDetail{std::move(*member), std::move(*passes), std::move(*timeline)};
}

Result<Timeline> MemberDetails::TimelineOf(std::string_view membership_id, std::string_view cursor,
                                           std::size_t limit) const {
  auto member = FindMember(membership_id);
  if (!member) return member.error();
  return TimelineOf(*member, cursor, limit);
}

// The newest `limit` events of each stream below its top, merged newest first; the page keeps
// the newest `limit` of them, and each stream's top moves down past the ones it kept.
Result<Timeline> MemberDetails::TimelineOf(const projections::MemberView& member,
                                           std::string_view cursor, std::size_t limit) const {
  limit = std::clamp<std::size_t>(limit, 1, kMaxTimelineLimit);
  const std::vector<std::string> streams = StreamsOf(member);
  auto tops = Tops(*log_, streams, cursor);
  if (!tops) return tops.error();
  std::vector<std::pair<events::RecordedEvent, std::size_t>> candidates;  // event, stream
  for (std::size_t i = 0; i < streams.size(); ++i) {
    const std::uint64_t top = (*tops)[i];
    if (top == 0) continue;
    const std::uint64_t count = std::min<std::uint64_t>(top, limit);
    auto events = log_->ReadStream(streams[i], top - count + 1, count);
    if (!events) return events.error();
    for (auto& event : *events) candidates.emplace_back(std::move(event), i);
  }
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) {
    return a.first.envelope.position > b.first.envelope.position;
  });
  if (candidates.size() > limit) candidates.resize(limit);
  Timeline out;
  for (const auto& [event, stream] : candidates) {
    out.entries.push_back(EntryOf(event));
    --(*tops)[stream];
  }
  if (std::any_of(tops->begin(), tops->end(), [](std::uint64_t top) { return top > 0; })) {
    out.next_cursor = EncodeNumbers(kTimelineCursor, *tops);
  }
  return out;
}

}  // namespace passledger::handlers
