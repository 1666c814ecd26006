#include "tools/passledger/bench_support.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>

namespace passledger::tools {

double SecondsSince(BenchClock::time_point start) {
  return std::chrono::duration<double>(BenchClock::now() - start).count();
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

std::filesystem::path BenchScratchDir(const std::string& dir, std::string_view name) {
  if (!dir.empty()) return dir;
  return std::filesystem::temp_directory_path() /
         fmt::format("passledger-bench-{}-{}", name, ::getpid());
}

}  // namespace passledger::tools
