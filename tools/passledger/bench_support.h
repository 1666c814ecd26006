// Helpers shared by the `passledger bench …` commands: timing, medians, the scratch
// directory. The raw RocksDB references they compare against are events/storage_reference.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace passledger::tools {

using BenchClock = std::chrono::steady_clock;

double SecondsSince(BenchClock::time_point start);
double Median(std::vector<double> values);

// `dir` when given (kept afterwards by the caller), else a fresh per-process directory
// /tmp/passledger-bench-<name>-<pid> (removed by the caller).
std::filesystem::path BenchScratchDir(const std::string& dir, std::string_view name);

}  // namespace passledger::tools
