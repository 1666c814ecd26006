#include "handlers/staff/staff_accounts.h"

#include <array>

#include "events/catalogue.h"
#include "handlers/staff/passwords.h"

namespace passledger::handlers {

namespace ev = events;

namespace {

Error Refused(ErrorCode code, std::string message) { return MakeError(code, std::move(message)); }

Result<void> CheckActor(std::string_view actor) {
  // system: for the server's own start-up work (the demo admin of `serve --demo`).
  constexpr std::array<std::string_view, 4> kPrefixes = {"staff:", "operator:", "cli:", "system:"};
  for (const std::string_view prefix : kPrefixes) {
    if (actor.starts_with(prefix) && actor.size() > prefix.size()) return {};
  }
  return Refused(ErrorCode::kInvalidArgument,
                 "the actor \"" + std::string(actor) +
                     "\" is not staff:<username>, operator:<unix user>, cli:<unix user> or system:<what>");
}

Result<void> CheckRole(std::string_view role) {
  if (IsStaffRole(role)) return {};
  return Refused(ErrorCode::kInvalidArgument,
                 "\"" + std::string(role) + "\" is not a role: admin, staff or auditor");
}

bool IsEnabledAdmin(const projections::StaffView& staff) {
  return staff.role == kRoleAdmin && !staff.disabled && !staff.forgotten;
}

// The new password's hash, once the rules allow it.
Result<std::string> NewPasswordHash(std::string_view password, std::string_view username) {
  if (auto ok = CheckNewPassword(password, username); !ok) return ok.error();
  return HashPassword(password);
}

// An event whose sealed part is the account's password hash.
ev::NewEvent PasswordEvent(std::string_view type, boost::json::object payload,
                           std::string_view username, const std::string& hash) {
  return ev::NewEvent{std::string(type), 0, std::move(payload), StaffSubject(username),
                      boost::json::object{{"passwordHash", hash}}};
}

}  // namespace

StaffAccounts::StaffAccounts(events::EventLog* log, projections::ReadModel read,
                             projections::SessionStore* sessions)
    : log_(log), read_(read), sessions_(sessions) {}

Result<projections::StaffView> StaffAccounts::Existing(std::string_view username) const {
  if (auto ok = CheckUsername(username); !ok) return ok.error();
  auto staff = read_.Staff(username);
  if (!staff) return staff.error();
  if (!*staff) {
    return Refused(ErrorCode::kNotFound, "no staff account " + std::string(username));
  }
  return std::move(**staff);
}

Result<void> StaffAccounts::CheckUnused(std::string_view username) const {
  auto existing = read_.Staff(username);
  if (!existing) return existing.error();
  if (!*existing) return {};
  return Refused(ErrorCode::kAlreadyExists,
                 "the username " + std::string(username) +
                     " is taken (also disabled and forgotten accounts keep their names)");
}

Result<projections::StaffView> StaffAccounts::Changeable(std::string_view username) const {
  auto staff = Existing(username);
  if (!staff) return staff;
  if (staff->forgotten) {
    return Refused(ErrorCode::kFailedPrecondition,
                   "the staff account " + std::string(username) + " was forgotten");
  }
  if (staff->disabled) {
    return Refused(ErrorCode::kFailedPrecondition,
                   "the staff account " + std::string(username) + " is disabled");
  }
  return staff;
}

Result<void> StaffAccounts::CheckNotLastAdmin(const projections::StaffView& account) const {
  if (!IsEnabledAdmin(account)) return {};
  std::size_t enabled_admins = 0;
  auto scanned = read_.ScanStaff([&](const projections::StaffView& staff) {
    if (IsEnabledAdmin(staff)) ++enabled_admins;
    return enabled_admins < 2;  // one other is enough
  });
  if (!scanned) return scanned;
  if (enabled_admins >= 2) return {};
  return Refused(ErrorCode::kFailedPrecondition,
                 account.username + " is the last enabled admin; make another account admin first");
}

Result<StaffSummary> StaffAccounts::AppendAndSummarize(std::string_view username,
                                                       events::NewEvent event,
                                                       events::ExpectedVersion expected,
                                                       std::string_view actor) {
  events::AppendRequest request;
  request.stream = StaffStream(username);
  request.expected = expected;
  request.actor = std::string(actor);
  request.events.push_back(std::move(event));
  auto appended = log_->Append(std::move(request));
  if (!appended) return appended.error();
  auto staff = Existing(username);
  if (!staff) return staff.error();
  return SummarizeStaff(*log_, *staff);
}

Result<void> StaffAccounts::EndSessions(std::string_view username) {
  auto ended = sessions_->EraseUser(username);
  if (!ended) return ended.error();
  return {};
}

Result<StaffSummary> StaffAccounts::Create(std::string_view username, std::string_view role,
                                           std::string_view password, std::string_view actor) {
  if (auto ok = CheckUsername(username); !ok) return ok.error();
  if (auto ok = CheckRole(role); !ok) return ok.error();
  if (auto ok = CheckActor(actor); !ok) return ok.error();
  if (auto ok = CheckUnused(username); !ok) return ok.error();  // before the slow hash
  auto hash = NewPasswordHash(password, username);
  if (!hash) return hash.error();
  MutexLock lock(mutex_);
  if (auto ok = CheckUnused(username); !ok) return ok.error();
  auto created = AppendAndSummarize(
      username,
      PasswordEvent(ev::kStaffCreated, {{"username", username}, {"role", role}}, username, *hash),
      events::ExpectedVersion::NoStream(), actor);
  if (!created && created.error().code == ErrorCode::kConflict) {
    return Refused(ErrorCode::kAlreadyExists,
                   "the username " + std::string(username) + " was just taken by another request");
  }
  return created;
}

Result<StaffSummary> StaffAccounts::ChangePassword(std::string_view username,
                                                   std::string_view new_password,
                                                   std::string_view actor) {
  if (auto ok = CheckActor(actor); !ok) return ok.error();
  auto account = Changeable(username);
  if (!account) return account.error();
  if (VerifyPassword(account->password_hash, new_password)) {
    return Refused(ErrorCode::kInvalidArgument,
                   "the new password is the current one; choose another");
  }
  auto hash = NewPasswordHash(new_password, username);
  if (!hash) return hash.error();
  MutexLock lock(mutex_);
  // Again under the lock: it may have been disabled while the password was hashed.
  if (auto still = Changeable(username); !still) return still.error();
  auto changed = AppendAndSummarize(
      username, PasswordEvent(ev::kStaffPasswordChanged, {{"username", username}}, username, *hash),
      events::ExpectedVersion::Any(), actor);
  if (!changed) return changed;
  if (auto ended = EndSessions(username); !ended) return ended.error();
  return changed;
}

Result<StaffSummary> StaffAccounts::ChangeRole(std::string_view username, std::string_view role,
                                               std::string_view actor) {
  if (auto ok = CheckRole(role); !ok) return ok.error();
  if (auto ok = CheckActor(actor); !ok) return ok.error();
  MutexLock lock(mutex_);
  auto account = Changeable(username);
  if (!account) return account.error();
  if (account->role == role) return SummarizeStaff(*log_, *account);  // nothing to change
  if (role != kRoleAdmin) {
    if (auto ok = CheckNotLastAdmin(*account); !ok) return ok.error();
  }
  return AppendAndSummarize(
      username,
      ev::NewEvent{std::string(ev::kStaffRoleChanged),
                   0,
                   boost::json::object{
                       {"username", username}, {"role", role}, {"previousRole", account->role}},
                   {},
                   std::nullopt},
      events::ExpectedVersion::Any(), actor);
}

Result<StaffSummary> StaffAccounts::Disable(std::string_view username, std::string_view reason,
                                            std::string_view actor) {
  if (auto ok = CheckActor(actor); !ok) return ok.error();
  if (reason.size() > kMaxDisableReasonBytes) {
    return Refused(
        ErrorCode::kInvalidArgument,
        "the reason is longer than " + std::to_string(kMaxDisableReasonBytes) + " bytes");
  }
  MutexLock lock(mutex_);
  auto existing = Existing(username);
  if (!existing) return existing.error();
  if (existing->disabled) return SummarizeStaff(*log_, *existing);  // nothing to change
  auto account = Changeable(username);
  if (!account) return account.error();
  if (auto ok = CheckNotLastAdmin(*account); !ok) return ok.error();
  boost::json::object payload{{"username", username}};
  if (!reason.empty()) payload["reason"] = reason;
  auto disabled = AppendAndSummarize(
      username,
      ev::NewEvent{std::string(ev::kStaffDisabled), 0, std::move(payload), {}, std::nullopt},
      events::ExpectedVersion::Any(), actor);
  if (!disabled) return disabled;
  if (auto ended = EndSessions(username); !ended) return ended.error();
  return disabled;
}

Result<std::optional<StaffSummary>> StaffAccounts::Get(std::string_view username) const {
  if (!IsValidUsername(username)) return std::optional<StaffSummary>();
  auto staff = read_.Staff(username);
  if (!staff) return staff.error();
  if (!*staff) return std::optional<StaffSummary>();
  auto summary = SummarizeStaff(*log_, **staff);
  if (!summary) return summary.error();
  return std::optional<StaffSummary>(std::move(*summary));
}

Result<std::vector<StaffSummary>> StaffAccounts::List() const {
  std::vector<StaffSummary> out;
  Result<void> failed;
  auto scanned = read_.ScanStaff([&](const projections::StaffView& staff) {
    auto summary = SummarizeStaff(*log_, staff);
    if (!summary) {
      failed = summary.error();
      return false;
    }
    out.push_back(std::move(*summary));
    return true;
  });
  if (!scanned) return scanned.error();
  if (!failed) return failed.error();
  return out;
}

}  // namespace passledger::handlers
