// Access log: one structured line per request, written through a pluggable sink.
//
// The line carries the route template, never the raw target (which holds device ids and
// serial numbers) and never a header value (no Authorization):
//   access method=GET route="/v1/passes/{passType}/{serial}" status=200 bytes=1234
//   duration_us=5678 remote=127.0.0.1:50000
// Requests that matched no route log route="-". Pure formatting; thread-safety of a sink is
// the sink's business (the default one writes whole lines to stderr with one fmt call).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace passledger::http {

using LogSink = std::function<void(std::string_view line)>;

struct AccessLogEntry {
  std::string_view method;
  std::string_view route;
  unsigned status = 0;
  std::size_t bytes = 0;  // bytes written on the wire (header and body)
  std::chrono::microseconds duration{0};
  std::string_view remote;
};

[[nodiscard]] std::string FormatAccessLog(const AccessLogEntry& entry);

// Writes the line and a newline to stderr.
[[nodiscard]] LogSink StderrSink();

}  // namespace passledger::http
