// StaffAccounts: the commands on staff accounts (docs/ADMIN.md, "Accounts") behind
// `passledger user …` and the admin API — create, change a password, change a role, disable,
// list. Authorisation is the caller's (the admin API lets only admins call the changes; the
// CLI is run by the operator); `actor` says who it was, and is recorded with the event:
// "staff:<username>", "operator:<unix user>" or "cli:<unix user>".
//
// Each change is one event on the account's stream "staff-<username>" (StaffCreated,
// StaffPasswordChanged, StaffRoleChanged, StaffDisabled); password hashes (Argon2id,
// handlers/staff/passwords.h) go only in the sealed personal part, under the subject
// "staff:<username>", so forgetting that subject shreds them. Nothing here returns a hash.
// Changing a password or disabling an account also ends the account's sessions (erased from
// the SessionStore; StaffSessions refuses them as well, from the views).
//
// Refusals are errors whose messages say what to do: kInvalidArgument (a malformed username,
// role, actor or reason, or a password CheckNewPassword refuses), kAlreadyExists (the username
// is taken, also by a disabled or forgotten account: names are not reused), kNotFound (no such
// account), kFailedPrecondition (the account is disabled or forgotten; the change would leave
// no enabled admin). Setting the role an account already has, or disabling a disabled one,
// changes nothing and appends nothing (the summary is returned).
//
// Thread-safe: changes are serialised by one mutex, so the last-admin check and its append
// cannot interleave with another change made through this object. One StaffAccounts per log
// (a second one would not be coordinated with it).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"
#include "handlers/staff/staff_types.h"
#include "projections/read_model.h"
#include "projections/session_store.h"

namespace passledger::handlers {

inline constexpr std::size_t kMaxDisableReasonBytes = 500;

class StaffAccounts {
 public:
  // All three are borrowed and must outlive this object.
  StaffAccounts(events::EventLog* log, projections::ReadModel read,
                projections::SessionStore* sessions);

  // A new enabled account. Hashing the password takes tens of milliseconds.
  Result<StaffSummary> Create(std::string_view username, std::string_view role,
                              std::string_view password, std::string_view actor);
  // A new password (refused when it is the current one); ends the account's sessions.
  Result<StaffSummary> ChangePassword(std::string_view username, std::string_view new_password,
                                      std::string_view actor);
  Result<StaffSummary> ChangeRole(std::string_view username, std::string_view role,
                                  std::string_view actor);
  // Ends the account's sessions; there is no way back (create another account). `reason`
  // may be empty.
  Result<StaffSummary> Disable(std::string_view username, std::string_view reason,
                               std::string_view actor);

  // nullopt for an unknown (or malformed) username.
  Result<std::optional<StaffSummary>> Get(std::string_view username) const;
  // Every account, disabled and forgotten ones too, in username order.
  Result<std::vector<StaffSummary>> List() const;

 private:
  // The account's view; kInvalidArgument for a malformed username, kNotFound when there is
  // no such account.
  Result<projections::StaffView> Existing(std::string_view username) const;
  // kAlreadyExists when there is an account of that name.
  Result<void> CheckUnused(std::string_view username) const;
  // Existing, and kFailedPrecondition when the account is disabled or forgotten.
  Result<projections::StaffView> Changeable(std::string_view username) const;
  // kFailedPrecondition when `account` is the only enabled admin.
  Result<void> CheckNotLastAdmin(const projections::StaffView& account) const PL_REQUIRES(mutex_);
  // Appends `event` to the account's stream, then reads the account back.
  Result<StaffSummary> AppendAndSummarize(std::string_view username, events::NewEvent event,
                                          events::ExpectedVersion expected, std::string_view actor)
      PL_REQUIRES(mutex_);
  Result<void> EndSessions(std::string_view username);

  // Constant after construction.
  events::EventLog* const log_;
  const projections::ReadModel read_;
  projections::SessionStore* const sessions_;

  // Held across each change: its checks, the append and the sessions' end.
  Mutex mutex_;
};

}  // namespace passledger::handlers
