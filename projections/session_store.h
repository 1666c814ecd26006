// SessionStore: the staff app's login sessions (docs/ADMIN.md, "Sessions"), kept beside the
// event log rather than in it: a session is not history, and a login must not grow the log.
// handlers::StaffSessions decides what a session is worth; this class only keeps them.
//
// A session is known by the SHA-256 of its id: the id itself (the cookie's value) is never
// stored, so reading the store does not let anyone act as a staff member. The record holds
// the account's username, the SHA-256 of the session's CSRF token, its creation, last-seen and
// expiry times, a stamp of the password it was opened with and the client it came from.
//
// Bounded: at most `max_records` sessions. Putting one more first drops the expired ones
// (expires_us <= the new session's last_seen_us), then, while still full, the least recently
// seen.
//
// Storage: the column family "staff_sessions" of the log's database (docs/STORAGE.md, "Staff
// sessions"), created on first use by a writable log; every record is also held in memory
// (read once at Open), so Get never reads the disk. Puts and touches are not synced on their
// own: a crash of the process keeps them (they are in the write-ahead log), a crash of the
// machine may lose the last few until the next synced log commit — a lost session only means
// logging in again. Erasures are synced, so that a logout, a password change or a disabled
// account is never undone by a power cut. A record that does not decode is deleted at Open (its
// session simply ends).
//
// Thread-safety: every method may be called from any thread. The store borrows the log's
// database and must be destroyed before the EventLog.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/crypto.h"
#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"

namespace passledger::projections {

inline constexpr std::string_view kStaffSessionsColumnFamily = "staff_sessions";
inline constexpr std::size_t kMaxSessionClientBytes = 256;  // longer `client`s are cut

struct StaffSession {
  std::string username;
  Hash csrf_token_hash{};       // SHA-256 of the CSRF token
  Hash password_stamp{};        // SHA-256 of the account's password hash at login
  std::int64_t created_us = 0;  // Unix microseconds
  std::int64_t last_seen_us = 0;
  std::int64_t expires_us = 0;  // set by the caller from its policy; Put/Touch keep it
  std::string client;           // where the login came from (as the caller names it)
  bool operator==(const StaffSession&) const = default;
};

class SessionStore {
 public:
  // On a read-only log whose database has no staff_sessions column family yet, the store is
  // empty and every write fails with kFailedPrecondition. REQUIRES: max_records >= 1.
  static Result<std::unique_ptr<SessionStore>> Open(events::EventLog* log,
                                                    std::size_t max_records = 10'000);
  ~SessionStore();
  SessionStore(const SessionStore&) = delete;
  SessionStore& operator=(const SessionStore&) = delete;

  // Stores `session` under `id_hash` (replacing one there), first making room as above.
  Result<void> Put(const Hash& id_hash, StaffSession session);
  // nullopt when there is none (expired ones are returned too: the caller judges).
  std::optional<StaffSession> Get(const Hash& id_hash) const;
  // Sets last_seen_us and expires_us; false when there is no such session.
  Result<bool> Touch(const Hash& id_hash, std::int64_t last_seen_us, std::int64_t expires_us);
  // False when there was no such session.
  Result<bool> Erase(const Hash& id_hash);
  // Every session of `username`; how many there were.
  Result<std::size_t> EraseUser(std::string_view username);
  // The sessions with expires_us <= now_us; how many there were.
  Result<std::size_t> PruneExpired(std::int64_t now_us);

  std::size_t size() const;
  std::size_t max_records() const { return max_records_; }
  // Records that did not decode at Open and were deleted.
  std::size_t dropped_at_open() const { return dropped_at_open_; }

 private:
  struct Column;  // the column family's handle (session_store.cpp: RocksDB stays inside)
  using Records = std::map<Hash, StaffSession>;
  SessionStore(events::EventLog* log, std::unique_ptr<Column> column, std::size_t max_records,
               Records records, std::size_t dropped_at_open);

  Result<void> CheckWritable() const;
  // Deletes `victims` from the column family (synced when `sync`) and then from records_.
  Result<void> EraseKeys(const std::vector<Hash>& victims, bool sync) PL_REQUIRES(mutex_);
  std::vector<Hash> Expired(std::int64_t now_us) const PL_REQUIRES(mutex_);
  // Room for one more record: the expired ones, then the least recently seen.
  Result<void> MakeRoom(std::int64_t now_us) PL_REQUIRES(mutex_);

  // Constant after construction.
  events::EventLog* const log_;
  const std::unique_ptr<Column> column_;  // its handle is null: nothing stored yet (read-only)
  const std::size_t max_records_;
  const std::size_t dropped_at_open_;

  mutable Mutex mutex_;
  Records records_ PL_GUARDED_BY(mutex_);
};

}  // namespace passledger::projections
