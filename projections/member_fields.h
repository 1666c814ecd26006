// Pure functions over member records shared by the folder and the importer: which fields a
// member has, the row hash the importer diffs against, and the search terms of a member.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "projections/views.h"

namespace passledger::projections {

// Public member fields (also in MemberEnrolled's payload) and personal ones (sealed), by their
// names in events.
inline constexpr std::string_view kPublicMemberFields[] = {"level",   "status", "active",
                                                           "expires", "addOns", "emailable"};
inline constexpr std::string_view kPersonalMemberFields[] = {"name",  "firstName", "lastName",
                                                             "email", "address",   "cardholders"};

// SHA-256 (hex) of the member's public fields and personal fields (none when forgotten) in a
// fixed order: equal hashes mean a roster row says nothing new. Other fields do not count.
std::string MemberRowHash(const MemberView& member);

// Lowercased words of the names and the whole e-mail address, deduplicated and sorted, each
// at most 64 bytes: the keys of the member search index.
std::vector<std::string> SearchTerms(const MemberPersonal& personal);

// Lowercases ASCII letters; other bytes (UTF-8 included) are kept.
std::string LowerAscii(std::string_view text);

}  // namespace passledger::projections
