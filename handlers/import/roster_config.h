// How a roster export is read and applied (docs/IMPORT.md): which header
// names hold which values, the words that mean "active", the file's encoding and limits, and
// the policies for lapsed and departed memberships. The defaults read a Blackbaud Altru
// membership-card export.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "handlers/import/csv_parser.h"

namespace passledger::handlers {

// What a column holds. Order = the Altru export's column order.
enum class RosterColumn {
  kMembershipId,
  kLevel,
  kExpires,
  kStatus,
  kCardName,
  kLastName,  // last, organisation, group or household name
  kFirstName,
  kAddressLine1,
  kAddressLine2,
  kCity,
  kState,
  kZip,
  kEmail,
  kAddOn,
  kAddOnQuantity,
};
inline constexpr std::size_t kRosterColumnCount = 15;

// The key of each column in a `[import.columns]` config table, and its Altru header name.
struct RosterColumnInfo {
  RosterColumn column;
  std::string_view config_key;
  std::string_view altru_header;
  bool personal;  // values are personal data: never shown in rejection events
};
inline constexpr std::array<RosterColumnInfo, kRosterColumnCount> kRosterColumns = {{
    {RosterColumn::kMembershipId, "membership_id", "Membership ID", false},
    {RosterColumn::kLevel, "level", "Membership level", false},
    {RosterColumn::kExpires, "expires", "Expiration date", false},
    {RosterColumn::kStatus, "status", "Status", false},
    {RosterColumn::kCardName, "card_name", "Members\\Membership Card\\Name", true},
    {RosterColumn::kLastName, "last_name",
     "Members\\Constituent\\Last/Organization/Group/Household name", true},
    {RosterColumn::kFirstName, "first_name", "Members\\Constituent\\First name", true},
    {RosterColumn::kAddressLine1, "address_line1",
     "Members\\Constituent\\Address (Primary)\\Address line 1", true},
    {RosterColumn::kAddressLine2, "address_line2",
     "Members\\Constituent\\Address (Primary)\\Address line 2", true},
    {RosterColumn::kCity, "city", "Members\\Constituent\\Address (Primary)\\City", true},
    {RosterColumn::kState, "state", "Members\\Constituent\\Address (Primary)\\State abbreviation",
     true},
    {RosterColumn::kZip, "zip", "Members\\Constituent\\Address (Primary)\\ZIP", true},
    {RosterColumn::kEmail, "email", "Members\\Constituent\\Email Addresses\\Email address", true},
    {RosterColumn::kAddOn, "add_on", "Members\\Membership\\Add-ons\\Add-on", false},
    {RosterColumn::kAddOnQuantity, "add_on_quantity", "Members\\Membership\\Add-ons\\Quantity",
     false},
}};

inline const RosterColumnInfo& InfoOf(RosterColumn column) {
  return kRosterColumns[static_cast<std::size_t>(column)];
}

// What happens to a membership that is no longer in the upload.
enum class LeftPolicy { kKeep, kVoid };

struct ImportConfig {
  // Header name per column (matched ignoring case and surrounding spaces); empty = not read.
  std::array<std::string, kRosterColumnCount> headers = [] {
    std::array<std::string, kRosterColumnCount> h;
    for (const auto& info : kRosterColumns) {
      h[static_cast<std::size_t>(info.column)] = std::string(info.altru_header);
    }
    return h;
  }();
  std::vector<std::string> active_statuses = {"Active"};  // ignoring case
  CsvOptions csv;
  std::uint64_t max_file_bytes = 200ull << 20;
  bool void_on_lapse = true;  // a lapsed membership's passes are voided (unvoided on return)
  LeftPolicy left_policy = LeftPolicy::kKeep;
  std::string pass_type_id = "pass.org.example.member";
  std::size_t memberships_per_chunk = 1'000;  // memberships per atomic append
  std::size_t max_rejection_events = 1'000;   // ImportRowRejected events per job (rest counted)
};

}  // namespace passledger::handlers
