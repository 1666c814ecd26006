#include "handlers/staff/staff_types.h"

namespace passledger::handlers {
namespace {

bool IsUsernameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool IsLetterOrDigit(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

}  // namespace

bool IsStaffRole(std::string_view role) {
  return role == kRoleAdmin || role == kRoleStaff || role == kRoleAuditor;
}

bool IsValidUsername(std::string_view username) {
  if (username.empty() || username.size() > kMaxUsernameBytes) return false;
  if (!IsLetterOrDigit(username.front())) return false;
  for (const char c : username) {
    if (!IsUsernameChar(c)) return false;
  }
  return true;
}

Result<void> CheckUsername(std::string_view username) {
  if (IsValidUsername(username)) return {};
  return MakeError(ErrorCode::kInvalidArgument,
                   "a username is 1 to 64 of a-z, 0-9, '.', '_' and '-', starting with a "
                   "letter or a digit (lower case only)");
}

std::string StaffStream(std::string_view username) { return "staff-" + std::string(username); }

std::string StaffSubject(std::string_view username) { return "staff:" + std::string(username); }

Result<StaffSummary> SummarizeStaff(const events::EventLog& log,
                                    const projections::StaffView& view) {
  StaffSummary summary{view.username,         view.role, view.disabled, view.forgotten,
                       view.created_position, 0,         view.failures, view.locked_until_us};
  if (view.created_position == 0) return summary;
  auto created = log.ReadRange(view.created_position, 1);
  if (!created) return created.error();
  if (!created->empty()) summary.created_us = created->front().envelope.recorded_at_us;
  return summary;
}

}  // namespace passledger::handlers
