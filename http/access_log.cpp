#include "http/access_log.h"

#include <fmt/core.h>

#include <cstdio>

namespace passledger::http {

std::string FormatAccessLog(const AccessLogEntry& entry) {
  return fmt::format("access method={} route=\"{}\" status={} bytes={} duration_us={} remote={}",
                     entry.method, entry.route.empty() ? "-" : entry.route, entry.status,
                     entry.bytes, entry.duration.count(), entry.remote);
}

LogSink StderrSink() {
  return [](std::string_view line) { fmt::print(stderr, "{}\n", line); };
}

}  // namespace passledger::http
