// What a staff account is to the services of handlers/staff/ and their callers
// (docs/ADMIN.md): the roles, the shape of a username, the account's stream and sealing
// subject, and StaffSummary, the account as callers see it — never its password hash.
//
// Pure functions, except SummarizeStaff, which reads the log; all thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/error.h"
#include "events/event_log.h"
#include "projections/views.h"

namespace passledger::handlers {

// The roles (docs/ADMIN.md, "Roles"). What each may do is decided by the admin API.
inline constexpr std::string_view kRoleAdmin = "admin";
inline constexpr std::string_view kRoleStaff = "staff";
inline constexpr std::string_view kRoleAuditor = "auditor";  // reads only

inline constexpr std::size_t kMaxUsernameBytes = 64;

bool IsStaffRole(std::string_view role);

// 1-64 of [a-z0-9._-], the first a letter or a digit.
bool IsValidUsername(std::string_view username);

// kInvalidArgument stating the rule unless IsValidUsername.
Result<void> CheckUsername(std::string_view username);

// "staff-<username>": the account's stream. REQUIRES: IsValidUsername(username).
std::string StaffStream(std::string_view username);
// "staff:<username>": the subject its password hashes are sealed under.
std::string StaffSubject(std::string_view username);

struct StaffSummary {
  std::string username;
  std::string role;
  bool disabled = false;
  bool forgotten = false;  // `passledger forget --subject staff:<username>`
  std::uint64_t created_position = 0;
  std::int64_t created_us = 0;       // when StaffCreated was recorded, Unix microseconds
  std::int64_t failures = 0;         // failed logins since the last success or lockout
  std::int64_t locked_until_us = 0;  // the last lockout's end (it may be past); 0 = never
  bool operator==(const StaffSummary&) const = default;
};

// The summary of `view`; its creation time is read from `log` (the StaffCreated event).
Result<StaffSummary> SummarizeStaff(const events::EventLog& log,
                                    const projections::StaffView& view);

}  // namespace passledger::handlers
