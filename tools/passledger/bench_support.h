// Helpers shared by the `passledger bench …` commands: timing, medians, the scratch
// directory, and the raw RocksDB write reference the benchmarks compare against.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "events/error.h"

namespace passledger::tools {

using BenchClock = std::chrono::steady_clock;

double SecondsSince(BenchClock::time_point start);
double Median(std::vector<double> values);

// `dir` when given (kept afterwards by the caller), else a fresh per-process directory
// /tmp/passledger-bench-<name>-<pid> (removed by the caller).
std::filesystem::path BenchScratchDir(const std::string& dir, std::string_view name);

// Seconds to write `count` keys (scattered order) with `value_bytes`-byte values into a new
// RocksDB at `scratch`, unsynced, 1,000 per batch — opening included; `scratch` is removed.
Result<double> RawBatchedWriteSeconds(const std::filesystem::path& scratch, std::uint64_t count,
                                      std::size_t value_bytes);

}  // namespace passledger::tools
