#include "http/worker_pool.h"

#include <algorithm>

namespace passledger::http {

WorkerPool::WorkerPool(std::size_t threads, std::size_t max_queue, std::size_t max_queue_bytes)
    : max_queue_(max_queue), max_queue_bytes_(max_queue_bytes) {
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

WorkerPool::~WorkerPool() { Stop(); }

bool WorkerPool::Submit(std::function<void()> task, std::size_t bytes) {
  {
    MutexLock lock(mutex_);
    if (stopping_ || queue_.size() >= max_queue_) return false;
    if (!queue_.empty() && bytes > max_queue_bytes_ - std::min(queued_bytes_, max_queue_bytes_)) {
      return false;
    }
    queue_.push_back({std::move(task), bytes});
    queued_bytes_ += bytes;
  }
  wake_.notify_one();
  return true;
}

void WorkerPool::Stop() {
  {
    MutexLock lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
}

void WorkerPool::Run() {
  while (true) {
    std::function<void()> task;
    {
      MutexLock lock(mutex_);
      wake_.wait(lock, [this]() PL_REQUIRES(mutex_) { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      task = std::move(queue_.front().run);
      queued_bytes_ -= queue_.front().bytes;
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace passledger::http
