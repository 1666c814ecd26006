#include "http/async_log.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <utility>

namespace passledger::http {

struct AsyncLog::Queue {
  struct Line {
    std::shared_ptr<const LogSink> sink;
    std::string text;
  };

  Queue(std::size_t max_lines_in, std::size_t max_bytes_in)
      : max_lines(max_lines_in), max_bytes(max_bytes_in) {}

  void Push(const std::shared_ptr<const LogSink>& sink, std::string_view text) {
    {
      std::lock_guard lock(mutex);
      if (stopping || lines.size() >= max_lines || bytes + text.size() > max_bytes) {
        dropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      lines.push_back({sink, std::string(text)});
      bytes += text.size();
    }
    wake.notify_one();
  }

  // The writer: takes the whole queue at once and writes it without the lock.
  void Run() {
    std::deque<Line> batch;
    while (true) {
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [this] { return stopping || !lines.empty(); });
        if (lines.empty()) return;
        batch.swap(lines);
        bytes = 0;
      }
      for (const Line& line : batch) (*line.sink)(line.text);
      batch.clear();
    }
  }

  const std::size_t max_lines;
  const std::size_t max_bytes;
  std::atomic<std::uint64_t> dropped{0};
  std::mutex mutex;
  std::condition_variable wake;
  // Protected by mutex.
  std::deque<Line> lines;
  std::size_t bytes = 0;
  bool stopping = false;
};

AsyncLog::AsyncLog(std::size_t max_lines, std::size_t max_bytes)
    : queue_(std::make_shared<Queue>(max_lines, max_bytes)),
      writer_([queue = queue_] { queue->Run(); }) {}

AsyncLog::~AsyncLog() {
  {
    std::lock_guard lock(queue_->mutex);
    queue_->stopping = true;
  }
  queue_->wake.notify_all();
  writer_.join();
}

LogSink AsyncLog::Wrap(LogSink sink) {
  if (!sink) return {};
  auto shared = std::make_shared<const LogSink>(std::move(sink));
  return [queue = queue_, shared](std::string_view line) { queue->Push(shared, line); };
}

std::uint64_t AsyncLog::dropped() const { return queue_->dropped.load(std::memory_order_relaxed); }

std::function<std::uint64_t()> AsyncLog::DroppedCounter() const {
  return [queue = queue_] { return queue->dropped.load(std::memory_order_relaxed); };
}

}  // namespace passledger::http
