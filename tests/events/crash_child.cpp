// events_crash_child: a separate process that writes to an event log, for the tests that
// need another process (crash_test.cpp kills it; the lock and read-only tests keep it alive).
//
//   events_crash_child append <data_dir>
//       Opens the log, prints "ready <pid>", then appends from kThreads threads until killed.
//       After each acknowledged request it prints one line per event:
//           "<position> <thread> <seq> <index in request>"
//       Every third request carries a personal part for subject "member-t<thread>".
//   events_crash_child hold <data_dir> <count>
//       Opens the log, appends `count` events (one at a time, every other one personal),
//       prints "ready <pid> <head>" and keeps the log open until its stdin reaches end of file.
//
// Exit status: 0 after `hold`, 2 for bad usage or when the log cannot be opened, 3 when an
// append fails (it never should).
#include <unistd.h>

#include <boost/json/object.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "events/event_log.h"

namespace {

using passledger::events::AppendRequest;
using passledger::events::EventLog;
using passledger::events::NewEvent;

constexpr int kThreads = 4;

// One write() per call: lines from different threads never interleave.
void WriteOut(const std::string& text) {
  std::string_view rest = text;
  while (!rest.empty()) {
    const ssize_t n = ::write(STDOUT_FILENO, rest.data(), rest.size());
    if (n <= 0) std::_Exit(3);
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

[[noreturn]] void Fail(std::string_view what, const passledger::Error& error, int status) {
  std::fprintf(stderr, "events_crash_child: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               error.ToString().c_str());
  std::_Exit(status);
}

std::unique_ptr<EventLog> OpenOrExit(const char* data_dir) {
  passledger::events::OpenOptions options;
  options.data_dir = data_dir;
  options.block_cache_bytes = 8u << 20;
  auto log = EventLog::Open(options);
  if (!log) Fail("open", log.error(), 2);
  return std::move(*log);
}

NewEvent MakeEvent(int thread, std::uint64_t seq, std::size_t index, bool personal) {
  NewEvent event;
  event.type = "CrashTick";
  event.payload = {{"t", thread}, {"seq", seq}, {"k", index}};
  if (personal) {
    event.subject = "member-t" + std::to_string(thread);
    event.personal =
        boost::json::object{{"name", "Member " + std::to_string(thread)}, {"seq", seq}};
  }
  return event;
}

// Appends requests of 1-3 events, to the thread's own stream or a shared one, forever.
void AppendForever(EventLog& log, int thread) {
  for (std::uint64_t seq = 0;; ++seq) {
    AppendRequest request;
    request.stream = seq % 4 == 0 ? "crash-shared" : "crash-t" + std::to_string(thread);
    request.actor = "test:crash-child";
    const std::size_t count = 1 + seq % 3;
    for (std::size_t k = 0; k < count; ++k) {
      request.events.push_back(MakeEvent(thread, seq, k, seq % 3 == 0));
    }
    auto result = log.Append(std::move(request));
    if (!result) Fail("append", result.error(), 3);
    std::string lines;
    for (std::uint64_t p = result->first_position; p <= result->last_position; ++p) {
      lines += std::to_string(p) + " " + std::to_string(thread) + " " + std::to_string(seq) + " " +
               std::to_string(p - result->first_position) + "\n";
    }
    WriteOut(lines);
  }
}

int RunAppend(const char* data_dir) {
  auto log = OpenOrExit(data_dir);
  WriteOut("ready " + std::to_string(::getpid()) + "\n");
  std::vector<std::jthread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&log, t] { AppendForever(*log, t); });
  }
  for (auto& thread : threads) thread.join();  // never returns: the test kills the process
  return 0;
}

int RunHold(const char* data_dir, std::uint64_t count) {
  auto log = OpenOrExit(data_dir);
  for (std::uint64_t i = 0; i < count; ++i) {
    AppendRequest request;
    request.stream = "hold-1";
    request.actor = "test:crash-child";
    request.events.push_back(MakeEvent(0, i, 0, i % 2 == 0));
    auto result = log->Append(std::move(request));
    if (!result) Fail("append", result.error(), 3);
  }
  WriteOut("ready " + std::to_string(::getpid()) + " " + std::to_string(log->GetHead().position) +
           "\n");
  char buffer[64];
  while (::read(STDIN_FILENO, buffer, sizeof buffer) > 0) {
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string_view mode = argc > 1 ? argv[1] : "";
  if (mode == "append" && argc == 3) return RunAppend(argv[2]);
  if (mode == "hold" && argc == 4) return RunHold(argv[2], std::strtoull(argv[3], nullptr, 10));
  std::fprintf(stderr,
               "usage: events_crash_child append <data_dir>\n"
               "       events_crash_child hold <data_dir> <count>\n");
  return 2;
}
