// WorkerPool: a fixed number of threads and a bounded FIFO queue for blocking work (disk,
// signing, SMTP) that must never run on an I/O thread.
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

namespace passledger::http {

class WorkerPool {
 public:
  // REQUIRES: threads > 0, max_queue > 0.
  WorkerPool(std::size_t threads, std::size_t max_queue);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False (and `task` not run) when the queue is full or the pool is stopping: the caller
  // answers 503. A task that throws is a bug and terminates the process.
  [[nodiscard]] bool Submit(std::function<void()> task);

  // Runs every queued task, then joins the threads. Idempotent.
  void Stop();

 private:
  void Run();

  const std::size_t max_queue_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // State below is protected by mutex_.
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  // Constant after construction (joined by Stop).
  std::vector<std::thread> threads_;
};

}  // namespace passledger::http
