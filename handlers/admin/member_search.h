// The admin member list: search and filter (projections::MemberQuery: id prefix, start of a
// name word or e-mail; status, level, e-mailed, on a device), one page of summaries at a time
// with an opaque cursor.
//
// Cost: bounded per call whatever the roster's size — one page of members, and at most
// `max_scanned` rows examined (projections/read_model.h, ReadModel::Members): a sparse filter
// answers a short page with `capped` set and a cursor that goes on from where it stopped. No
// pass is read: the counts shown come from the member record.
//
// Thread-safe; the read model is borrowed by value (cheap to copy).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "projections/read_model.h"

namespace passledger::handlers {

// One row of the member list: what the list shows, nothing secret.
struct MemberListEntry {
  std::string membership_id;
  std::string name;  // empty when forgotten (or never given)
  std::string level, status, expires;
  bool active = false, left_roster = false, forgotten = false;
  bool has_email = false;                                                   // an address is on file
  projections::EmailStatus email_status = projections::EmailStatus::kNone;  // newest e-mail's
  std::int64_t passes = 0;            // issued to the member (voided ones included)
  std::int64_t passes_installed = 0;  // on at least one device
  std::int64_t passes_emailed = 0;    // e-mailed (status sent)
};

struct MemberListPage {
  std::vector<MemberListEntry> members;
  std::string next_cursor;  // empty: no further page
  std::size_t scanned = 0;
  bool capped = false;  // the scan cap ended the page early: follow next_cursor
};

// "all", "active", "lapsed", "left", "forgotten" (the API's names of MemberFilter).
Result<projections::MemberFilter> ParseMemberFilter(std::string_view name);
std::string_view MemberFilterName(projections::MemberFilter filter);
// "yes" / "no" (and "true" / "false"); empty: no filter. kInvalidArgument otherwise.
Result<std::optional<bool>> ParseYesNo(std::string_view text);

MemberListEntry ListEntryOf(const projections::MemberView& member);

class MemberSearch {
 public:
  explicit MemberSearch(projections::ReadModel read) : read_(read) {}

  // kInvalidArgument for a cursor of another query.
  Result<MemberListPage> Find(const projections::MemberQuery& query) const;

 private:
  const projections::ReadModel read_;
};

}  // namespace passledger::handlers
