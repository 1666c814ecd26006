// StaffSessions: staff logins and their sessions (docs/ADMIN.md, "Sessions" and "Login
// throttling") — the back end of the admin login; http/ sets the cookie and checks the CSRF
// token with these results.
//
// Login: a username and password become a session id (32 random bytes, base64url: 43
// characters, the cookie's value) and a CSRF token (the same shape), stored in the
// SessionStore only as SHA-256 hashes. The outcome is a success, an invalid login, or a lock:
//   - Invalid is one answer, with one reason, for a wrong password, an unknown (or malformed)
//     username, a disabled or forgotten account. Its cost is the same too: an unknown
//     username is verified against DummyPasswordHash() (the same Argon2id parameters), and
//     the one write a failure of a real account makes — its StaffLoginFailed event — is
//     handed to the log's writer without waiting for it (EventLog::AppendAsync), so no fsync
//     lies on either path. No event is ever appended for a username without an account: an
//     attacker cannot grow the log with invented streams.
//   - Locked{retry_after_seconds}: `max_failures` failures lock an account for `lockout`
//     (LoginThrottle's policy). The count of a real account is persisted in its
//     StaffLoginFailed events {failures, lockedUntilUs}, so a lock survives a restart;
//     usernames without an account are counted the same way in memory only (so a lock does
//     not tell which usernames exist), and so is every client address (one address locks
//     after `max_failures` failures, whatever the usernames). Both kept in bounded LRU
//     tables. A locked login is refused before its password is checked.
//   - A success ends the account's count: when it had failures, StaffLoginFailed{failures: 0}
//     is appended (again without waiting). Successes themselves are not events: sessions
//     live in the SessionStore.
// Usernames are compared in lower case (accounts are lower case).
//
// Validate: a session id becomes the session's account and role, read afresh from the views
// on every call (a role change applies at once), or nullopt when the id is unknown, the
// session has been idle for `idle` or open for `absolute`, or the account is disabled,
// forgotten, or has had its password changed since the login. Last-seen times are written at
// most once per `touch_interval` per session, so idle expiry may come up to that much early.
//
// Thread-safety: every method may be called from any thread (the HTTP workers). The log, the
// read model's projections and the store are borrowed and must outlive this object; it
// waits for its appends in flight when destroyed. A login costs an Argon2id verification
// (tens of milliseconds of a core, 19 MiB): call Login from a worker, never an I/O thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "base/crypto.h"
#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"
#include "handlers/staff/login_throttle.h"
#include "handlers/staff/staff_types.h"
#include "projections/read_model.h"
#include "projections/session_store.h"

namespace passledger::handlers {

struct StaffSessionOptions {
  std::chrono::seconds idle = std::chrono::minutes(30);
  std::chrono::seconds absolute = std::chrono::hours(12);
  int max_failures = 5;
  std::chrono::seconds lockout = std::chrono::minutes(15);
  // Usernames and client addresses whose failures are counted in memory (each).
  std::size_t max_tracked = 10'000;
  std::chrono::seconds touch_interval = std::chrono::minutes(1);
  // StaffLoginFailed appends in flight at most; past it a failure is counted in memory only.
  std::size_t max_pending_appends = 256;
};

// The one reason an invalid login gives.
inline constexpr std::string_view kInvalidLoginReason = "wrong username or password";

struct LoginSuccess {
  std::string session_id;  // the cookie's value: shown once, stored only as its SHA-256
  std::string csrf_token;  // to be sent back with every state-changing request
  StaffSummary user;
  std::int64_t expires_us = 0;  // when the session expires if it stays idle
};
struct LoginInvalid {};
struct LoginLocked {
  std::int64_t retry_after_seconds = 0;  // at least 1
};
using LoginOutcome = std::variant<LoginSuccess, LoginInvalid, LoginLocked>;

struct SessionInfo {
  std::string username;
  std::string role;  // from the views at this call
  Hash csrf_token_hash{};
  std::int64_t created_us = 0;
  std::int64_t expires_us = 0;  // the earlier of the idle and the absolute expiry
};

class StaffSessions {
 public:
  // `log`, `read`'s projections and `store` are borrowed and must outlive this object.
  // `now_us` is the clock of every decision (tests step it). Computes DummyPasswordHash().
  StaffSessions(events::EventLog* log, projections::ReadModel read,
                projections::SessionStore* store, StaffSessionOptions options = {},
                events::Clock now_us = events::SystemClockMicros);
  // Waits for the StaffLoginFailed appends in flight (Flush).
  ~StaffSessions();
  StaffSessions(const StaffSessions&) = delete;
  StaffSessions& operator=(const StaffSessions&) = delete;

  // `client_address` is what the per-address limit counts under and the session records:
  // give the client's rate-limit network (http::RateLimitNetwork). Errors are storage
  // failures only.
  Result<LoginOutcome> Login(std::string_view username, std::string_view password,
                             std::string_view client_address);

  Result<std::optional<SessionInfo>> Validate(std::string_view session_id);

  // A cheap first look, for a request's headers before its body is read (an upload must not
  // be read for a caller who cannot make it): whether `session_id` names a session that has
  // not expired and `csrf_token` is its token. Memory only — no account read, no touch — so
  // it may run on an I/O thread; Validate still decides once the body is in.
  enum class PeekResult { kNoSession, kWrongToken, kLive };
  PeekResult Peek(std::string_view session_id, std::string_view csrf_token) const;

  // Whether `token` is the session's CSRF token (compared as SHA-256 digests, in constant
  // time).
  static bool CsrfMatches(const SessionInfo& session, std::string_view token);

  // A session's CSRF token: HMAC-SHA256 keyed with the session id, base64url. Derived rather
  // than random so that a page reloaded with the session cookie can be given it again
  // (GET /admin/api/session); it tells nothing of the id, and only its hash is stored.
  static std::string CsrfTokenFor(std::string_view session_id);

  // Ends one session (nothing happens for an unknown id).
  Result<void> Logout(std::string_view session_id);
  // Ends every session of `username`; how many there were.
  Result<std::size_t> EndSessions(std::string_view username);
  // Drops the store's expired sessions (a periodic job may call it; putting a session into
  // a full store does it too); how many.
  Result<std::size_t> PruneExpired();

  // Blocks until every StaffLoginFailed handed to the log so far is written (or failed).
  void Flush();
  // Failures whose StaffLoginFailed could not be appended (the log failed, or too many were
  // in flight); their counts were kept in memory.
  std::uint64_t unrecorded_failures() const;

 private:
  // Appends in flight, shared with their completion callbacks (which run on the log's
  // writer thread and may outlive nothing but this).
  struct Appends {
    Mutex mutex;
    std::condition_variable_any drained;
    std::size_t pending PL_GUARDED_BY(mutex) = 0;
    std::uint64_t unrecorded PL_GUARDED_BY(mutex) = 0;
  };

  // An account that may log in: its view, and a stamp of its password hash.
  struct Account {
    projections::StaffView view;
    Hash password_stamp{};
  };
  Result<std::optional<Account>> FindAccount(std::string_view username) const;

  // The state of `key` in users_, made afresh when the account's password (or existence)
  // differs from what it was counted against.
  FailureState UserState(const std::string& key, const std::optional<Account>& account,
                         std::int64_t now_us) PL_REQUIRES(mutex_);
  // Zero, or how long the address or the username stays locked.
  std::int64_t LockWait(const std::string& user_key, const std::string& address_key,
                        const std::optional<Account>& account, std::int64_t now_us)
      PL_REQUIRES(mutex_);
  void RecordFailure(const std::string& user_key, const std::string& address_key,
                     const std::optional<Account>& account, std::int64_t now_us);
  void RecordSuccess(const std::string& user_key, const Account& account, std::int64_t now_us);
  // Hands StaffLoginFailed{state} of `username` to the log without waiting.
  void Persist(const std::string& username, const FailureState& state) PL_REQUIRES(mutex_);
  Result<LoginOutcome> OpenSession(const Account& account, std::string_view client_address,
                                   std::int64_t now_us);
  std::int64_t ExpiresUs(std::int64_t created_us, std::int64_t last_seen_us) const;

  // Constant after construction.
  events::EventLog* const log_;
  const projections::ReadModel read_;
  projections::SessionStore* const store_;
  const StaffSessionOptions options_;
  const LoginPolicy policy_;
  const events::Clock now_us_;
  const std::shared_ptr<Appends> appends_;

  Mutex mutex_;
  LoginThrottle users_ PL_GUARDED_BY(mutex_);
  LoginThrottle addresses_ PL_GUARDED_BY(mutex_);
};

}  // namespace passledger::handlers
