#include "tools/passledger/bench_support.h"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>

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

void ResetPeakRss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

namespace {
double StatusMiB(std::string_view field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.starts_with(field)) return std::stod(line.substr(field.size())) / 1024.0;
  }
  return 0;
}
}  // namespace

double PeakRssMiB() { return StatusMiB("VmHWM:"); }
double CurrentRssMiB() { return StatusMiB("VmRSS:"); }

}  // namespace passledger::tools
