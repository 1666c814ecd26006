#include "handlers/admin/member_search.h"

#include <array>
#include <utility>

namespace passledger::handlers {
namespace {

using projections::MemberFilter;

constexpr std::array<std::pair<std::string_view, MemberFilter>, 5> kFilterNames = {{
    {"all", MemberFilter::kAll},
    {"active", MemberFilter::kActive},
    {"lapsed", MemberFilter::kLapsed},
    {"left", MemberFilter::kLeftRoster},
    {"forgotten", MemberFilter::kForgotten},
}};

}  // namespace

Result<MemberFilter> ParseMemberFilter(std::string_view name) {
  if (name.empty()) return MemberFilter::kAll;
  for (const auto& [text, filter] : kFilterNames) {
    if (text == name) return filter;
  }
  return MakeError(
      ErrorCode::kInvalidArgument,
      "status \"" + std::string(name) + "\" is none of all, active, lapsed, left, forgotten");
}

std::string_view MemberFilterName(MemberFilter filter) {
  for (const auto& [text, f] : kFilterNames) {
    if (f == filter) return text;
  }
  return "all";
}

Result<std::optional<bool>> ParseYesNo(std::string_view text) {
  if (text.empty()) return std::optional<bool>();
  if (text == "yes" || text == "true") return std::optional<bool>(true);
  if (text == "no" || text == "false") return std::optional<bool>(false);
  return MakeError(ErrorCode::kInvalidArgument, "\"" + std::string(text) + "\" is not yes or no");
}

MemberListEntry ListEntryOf(const projections::MemberView& m) {
  MemberListEntry e;
  e.membership_id = m.membership_id;
  if (m.personal) {
    e.name = m.personal->name;
    e.has_email = !m.personal->email.empty();
  }
  e.level = m.level;
  e.status = m.status;
  e.expires = m.expires;
  e.active = m.active;
  e.left_roster = m.left_roster;
  e.forgotten = m.forgotten;
  e.email_status = m.email_status;
  e.passes = static_cast<std::int64_t>(m.serials.size());
  e.passes_installed = m.passes_installed;
  e.passes_emailed = m.passes_emailed;
  return e;
}

Result<MemberListPage> MemberSearch::Find(const projections::MemberQuery& query) const {
  auto page = read_.Members(query);
  if (!page) return page.error();
  MemberListPage out;
  out.members.reserve(page->members.size());
  for (const auto& member : page->members) out.members.push_back(ListEntryOf(member));
  out.next_cursor = std::move(page->next_cursor);
  out.scanned = page->scanned;
  out.capped = page->capped;
  return out;
}

}  // namespace passledger::handlers
