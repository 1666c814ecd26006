// RateLimiter: one token bucket per key (a client network, a serial): `burst` tokens at once,
// then `per_minute` a minute; a request costs one token, or what its caller says (bytes). Buckets
// that have filled up again are forgotten, and the number of buckets is capped, so a flood of
// distinct keys cannot grow memory without bound (past the cap, new keys share one overflow bucket
// rather than being let through unlimited). At the cap the map is swept for full buckets at most
// once per token interval (1 / per_minute).
//
// Thread-safe: Admit may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "base/mutex.h"

namespace passledger::handlers {

struct RateLimit {
  double per_minute = 10;
  double burst = 20;
  std::size_t max_keys = 100'000;
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;

  // REQUIRES: limit.per_minute > 0, limit.burst >= 1.
  explicit RateLimiter(RateLimit limit, Clock clock = std::chrono::steady_clock::now);

  // Zero when a request from `key` costing `cost` tokens may go ahead now (and takes them);
  // otherwise how long until it may (nothing is taken). A cost above the burst never goes
  // ahead (the wait is then the time to refill a whole burst).
  std::chrono::milliseconds Admit(std::string_view key, double cost = 1);
  // Gives back what Admit took (another limit refused the request after all).
  void Refund(std::string_view key, double cost = 1);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point updated;
  };

  void Refill(Bucket& bucket, std::chrono::steady_clock::time_point now) const;
  Bucket& BucketFor(std::string_view key, std::chrono::steady_clock::time_point now)
      PL_REQUIRES(mutex_);
  void ForgetFullBuckets(std::chrono::steady_clock::time_point now) PL_REQUIRES(mutex_);

  // Constant after construction.
  const RateLimit limit_;
  const Clock clock_;

  Mutex mutex_;
  std::map<std::string, Bucket, std::less<>> buckets_ PL_GUARDED_BY(mutex_);
  Bucket overflow_ PL_GUARDED_BY(mutex_);
  // ForgetFullBuckets not before then.
  std::chrono::steady_clock::time_point next_sweep_ PL_GUARDED_BY(mutex_);
};

}  // namespace passledger::handlers
