#include "handlers/passkit/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace passledger::handlers {
namespace {

constexpr std::string_view kOverflowKey = "";

}  // namespace

RateLimiter::RateLimiter(RateLimit limit, Clock clock) : limit_(limit), clock_(std::move(clock)) {
  overflow_ = Bucket{limit_.burst, clock_()};
}

void RateLimiter::Refill(Bucket& bucket, std::chrono::steady_clock::time_point now) const {
  const std::chrono::duration<double, std::ratio<60>> elapsed = now - bucket.updated;
  if (elapsed.count() <= 0) return;
  bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed.count() * limit_.per_minute);
  bucket.updated = now;
}

void RateLimiter::ForgetFullBuckets(std::chrono::steady_clock::time_point now) {
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    Refill(it->second, now);
    it = it->second.tokens >= limit_.burst ? buckets_.erase(it) : std::next(it);
  }
}

RateLimiter::Bucket& RateLimiter::BucketFor(std::string_view key,
                                            std::chrono::steady_clock::time_point now) {
  if (auto it = buckets_.find(key); it != buckets_.end()) return it->second;
  if (buckets_.size() >= limit_.max_keys && now >= next_sweep_) {
    // A sweep visits every bucket: at most one per token interval, so a flood of new keys
    // at the cap does not scan the map on every request (they share overflow_ meanwhile).
    ForgetFullBuckets(now);
    next_sweep_ = now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                            std::chrono::duration<double, std::ratio<60>>(1 / limit_.per_minute));
  }
  if (buckets_.size() >= limit_.max_keys || key == kOverflowKey) return overflow_;
  return buckets_.emplace(std::string(key), Bucket{limit_.burst, now}).first->second;
}

std::chrono::milliseconds RateLimiter::Admit(std::string_view key, double cost) {
  const auto now = clock_();
  MutexLock lock(mutex_);
  Bucket& bucket = BucketFor(key, now);
  Refill(bucket, now);
  if (bucket.tokens >= cost) {
    bucket.tokens -= cost;
    return std::chrono::milliseconds(0);
  }
  const double minutes = (std::min(cost, limit_.burst) - bucket.tokens) / limit_.per_minute;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(minutes * 60'000)));
}

void RateLimiter::Refund(std::string_view key, double cost) {
  const auto now = clock_();
  MutexLock lock(mutex_);
  Bucket& bucket = BucketFor(key, now);
  Refill(bucket, now);
  bucket.tokens = std::min(limit_.burst, bucket.tokens + cost);
}

}  // namespace passledger::handlers
