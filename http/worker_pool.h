// WorkerPool: a fixed number of threads and a bounded FIFO queue for blocking work (disk,
// signing, SMTP) that must never run on an I/O thread. The queue is bounded in tasks and in
// bytes: each task declares the bytes it holds (a request's body and headers) until it starts.
//
// Thread-safety: Submit and Stop may be called from any thread. The destructor calls Stop.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "base/mutex.h"

namespace passledger::http {

class WorkerPool {
 public:
  static constexpr std::size_t kDefaultMaxQueueBytes = 64u << 20;

  // REQUIRES: threads > 0, max_queue > 0.
  WorkerPool(std::size_t threads, std::size_t max_queue,
             std::size_t max_queue_bytes = kDefaultMaxQueueBytes);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False (and `task` not run) when the queue is full (max_queue tasks, or `bytes` would take
  // the queued tasks' bytes past max_queue_bytes) or the pool is stopping: the caller answers
  // 503. A task is accepted into an empty queue whatever its bytes, so that one large request
  // is never refused forever. A task that throws is a bug and terminates the process.
  [[nodiscard]] bool Submit(std::function<void()> task, std::size_t bytes = 0);

  // Runs every queued task, then joins the threads. Idempotent.
  void Stop();

 private:
  void Run();

  struct Task {
    std::function<void()> run;
    std::size_t bytes = 0;
  };

  const std::size_t max_queue_;
  const std::size_t max_queue_bytes_;
  Mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<Task> queue_ PL_GUARDED_BY(mutex_);
  std::size_t queued_bytes_ PL_GUARDED_BY(mutex_) = 0;
  bool stopping_ PL_GUARDED_BY(mutex_) = false;
  // Constant after construction (joined by Stop).
  std::vector<std::thread> threads_;
};

}  // namespace passledger::http
