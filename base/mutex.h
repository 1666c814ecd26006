// Mutex: std::mutex with Clang thread-safety annotations (base/thread_annotations.h), and
// MutexLock, its scoped holder. MutexLock is BasicLockable, so std::condition_variable_any
// waits on it directly; the analysis cannot see into a wait's predicate, so a predicate that
// reads guarded state is written as a lambda marked PL_REQUIRES(mu).
//
//   Mutex mutex_;
//   int count_ PL_GUARDED_BY(mutex_);
//   ...
//   MutexLock lock(mutex_);
//   wake_.wait(lock, [&]() PL_REQUIRES(mutex_) { return count_ > 0; });
#pragma once

#include <mutex>

#include "base/thread_annotations.h"

namespace passledger {

class PL_CAPABILITY("mutex") Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;

  void lock() PL_ACQUIRE() { mutex_.lock(); }
  void unlock() PL_RELEASE() { mutex_.unlock(); }
  bool try_lock() PL_TRY_ACQUIRE(true) { return mutex_.try_lock(); }

 private:
  std::mutex mutex_;
};

// Holds a Mutex from construction to destruction, unless unlock() lets it go early (lock()
// takes it back; std::condition_variable_any calls both around a wait, out of the analysis'
// sight, so to the analysis the mutex stays held across a wait).
class PL_SCOPED_CAPABILITY MutexLock {
 public:
  explicit MutexLock(Mutex& mutex) PL_ACQUIRE(mutex) : mutex_(mutex) { mutex_.lock(); }
  ~MutexLock() PL_RELEASE() { mutex_.unlock(); }
  MutexLock(const MutexLock&) = delete;
  MutexLock& operator=(const MutexLock&) = delete;

  void lock() PL_ACQUIRE() { mutex_.lock(); }
  void unlock() PL_RELEASE() { mutex_.unlock(); }

 private:
  Mutex& mutex_;
};

}  // namespace passledger
