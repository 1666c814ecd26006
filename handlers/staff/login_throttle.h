// LoginThrottle: failed logins counted per key (a username, a client address) in memory, and
// the lockout policy of docs/ADMIN.md ("Login throttling"): `max_failures` failures, each
// within `lockout` of the one before, lock the key for `lockout`; when a lock has run out (or
// after a quiet spell of `lockout`) counting starts again.
//
// Bounded: at most `max_keys` keys; setting one more forgets the least recently set, so a
// flood of invented usernames or addresses can make the throttle forget, never grow.
//
// Not thread-safe: the owner (StaffSessions) serialises every call.
#pragma once

#include <cstdint>
#include <list>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "base/crypto.h"

namespace passledger::handlers {

struct LoginPolicy {
  std::int64_t max_failures = 5;
  std::int64_t lockout_us = 15 * 60 * 1'000'000LL;
};

struct FailureState {
  std::int64_t failures = 0;
  std::int64_t locked_until_us = 0;  // 0: never locked
  std::int64_t last_failure_us = 0;
  // For an account: a stamp of the password the count was made against (a new password
  // starts a new count). Zero for addresses and unknown usernames.
  Hash password_stamp{};
};

// The state after one more failure at `now_us`.
FailureState AfterFailure(FailureState state, std::int64_t now_us, const LoginPolicy& policy);

// How long the key stays locked, in microseconds; 0 when it is not locked.
std::int64_t LockedFor(const FailureState& state, std::int64_t now_us);

class LoginThrottle {
 public:
  // REQUIRES: max_keys >= 1.
  explicit LoginThrottle(std::size_t max_keys) : max_keys_(max_keys) {}

  // The state of `key`; nullptr when none is kept.
  const FailureState* Find(std::string_view key) const;
  // Keeps `state` for `key` as the most recent, forgetting the least recent past the bound.
  void Set(std::string_view key, const FailureState& state);

  std::size_t size() const { return index_.size(); }

 private:
  using Entries = std::list<std::pair<std::string, FailureState>>;  // most recent first

  const std::size_t max_keys_;
  Entries entries_;
  std::map<std::string, Entries::iterator, std::less<>> index_;
};

}  // namespace passledger::handlers
