// Pure functions over member records shared by the folder and the importer: which fields a
// member has, the row hash the importer diffs against, and the search terms of a member.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace passledger::projections {

// Public member fields (also in MemberEnrolled's payload) and personal ones (sealed).
inline constexpr std::string_view kPublicMemberFields[] = {"level",   "status", "active",
                                                           "expires", "addOns", "emailable"};
inline constexpr std::string_view kPersonalMemberFields[] = {"name",  "firstName", "lastName",
                                                             "email", "address",   "cardholders"};

// SHA-256 (hex) of the member's public fields and personal fields in a fixed order: equal
// hashes mean the roster row says nothing new. `personal` may be null (forgotten or none).
std::string MemberRowHash(const boost::json::object& public_fields,
                          const boost::json::object* personal);

// Lowercased words of the names and the whole e-mail address, deduplicated, each at most
// 64 bytes: the keys of the member search index.
std::vector<std::string> SearchTerms(const boost::json::object& personal);

// Lowercases ASCII letters; other bytes (UTF-8 included) are kept.
std::string LowerAscii(std::string_view text);

}  // namespace passledger::projections
