// HeadState (internal to events/): the last durable position and hash, published by the
// writer after each group commit, read and waited on by everyone else. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <stop_token>

#include "base/error.h"
#include "base/mutex.h"
#include "events/event_log.h"

namespace passledger::events {

class HeadState {
 public:
  explicit HeadState(Head initial) : head_(initial) {}

  Head Get() const {
    MutexLock lock(mutex_);
    return head_;
  }

  void Publish(const Head& head) {
    {
      MutexLock lock(mutex_);
      head_ = head;
    }
    changed_.notify_all();
  }

  Result<std::uint64_t> WaitPast(std::uint64_t position, std::chrono::milliseconds timeout,
                                 std::stop_token stop) const {
    MutexLock lock(mutex_);
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    const bool passed = changed_.wait_until(
        lock, stop, deadline, [&]() PL_REQUIRES(mutex_) { return head_.position > position; });
    if (passed) return head_.position;
    if (stop.stop_requested()) return MakeError(ErrorCode::kCancelled, "wait cancelled");
    return MakeError(ErrorCode::kTimeout,
                     "head did not pass position " + std::to_string(position) + " in time");
  }

 private:
  mutable Mutex mutex_;
  mutable std::condition_variable_any changed_;
  Head head_ PL_GUARDED_BY(mutex_);
};

}  // namespace passledger::events
