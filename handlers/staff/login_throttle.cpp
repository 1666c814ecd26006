#include "handlers/staff/login_throttle.h"

namespace passledger::handlers {

FailureState AfterFailure(FailureState state, std::int64_t now_us, const LoginPolicy& policy) {
  const bool lock_ran_out = state.locked_until_us != 0 && state.locked_until_us <= now_us;
  const bool quiet_spell = now_us - state.last_failure_us >= policy.lockout_us;
  if (lock_ran_out || quiet_spell) {
    state.failures = 0;
    state.locked_until_us = 0;
  }
  ++state.failures;
  state.last_failure_us = now_us;
  if (state.failures >= policy.max_failures) state.locked_until_us = now_us + policy.lockout_us;
  return state;
}

std::int64_t LockedFor(const FailureState& state, std::int64_t now_us) {
  return state.locked_until_us > now_us ? state.locked_until_us - now_us : 0;
}

const FailureState* LoginThrottle::Find(std::string_view key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &it->second->second;
}

void LoginThrottle::Set(std::string_view key, const FailureState& state) {
  if (const auto it = index_.find(key); it != index_.end()) {
    it->second->second = state;
    entries_.splice(entries_.begin(), entries_, it->second);
    return;
  }
  entries_.emplace_front(std::string(key), state);
  index_.emplace(entries_.front().first, entries_.begin());
  while (index_.size() > max_keys_) {
    index_.erase(entries_.back().first);
    entries_.pop_back();
  }
}

}  // namespace passledger::handlers
