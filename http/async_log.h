// AsyncLog: a bounded queue of log lines and one thread that hands them to the real sinks, so
// that an I/O thread never waits for a slow or stuck stderr (a full pipe, a paused terminal).
// When the queue is full a line is dropped and counted, never waited for.
//
// The sinks Wrap returns share the queue's state, so they stay safe to call after the AsyncLog
// is destroyed (lines are then dropped and counted). Thread-safety: every member may be called
// from any thread; the wrapped sinks are called from the writer thread only, one line at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "http/access_log.h"

namespace passledger::http {

class AsyncLog {
 public:
  // REQUIRES: max_lines > 0.
  AsyncLog(std::size_t max_lines, std::size_t max_bytes);
  // Writes what is queued, then joins the writer thread.
  ~AsyncLog();
  AsyncLog(const AsyncLog&) = delete;
  AsyncLog& operator=(const AsyncLog&) = delete;

  // A sink that queues each line for `sink` (empty: an empty sink, logging off).
  [[nodiscard]] LogSink Wrap(LogSink sink);

  // Lines dropped because the queue was full (or the log stopped).
  [[nodiscard]] std::uint64_t dropped() const;
  // Returns a function reading dropped() that stays valid after the AsyncLog is gone.
  [[nodiscard]] std::function<std::uint64_t()> DroppedCounter() const;

 private:
  struct Queue;
  std::shared_ptr<Queue> queue_;
  std::thread writer_;
};

}  // namespace passledger::http
