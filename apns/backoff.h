// Backoff: exponential delays with full jitter ("sleep a random time between 0 and
// min(cap, base * 2^attempt)"), so that many connections or tokens failing at once do not
// retry in step. Not thread-safe: one per owner.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace passledger::apns {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap);

  // The delay before try number `attempt + 1` after `attempt` failures (attempt >= 1). At
  // least base / 2, so that a retry never spins.
  std::chrono::milliseconds Delay(int attempt);

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  std::mt19937_64 random_;
};

}  // namespace passledger::apns
