// Helpers shared by the `passledger bench …` commands: timing, medians, the scratch
// directory, and the raw RocksDB write reference the benchmarks compare against.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

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

// Waits until `db` has no flush or compaction running or pending (at most `limit`), so that a
// benchmark phase does not pay for the background work of the one before — as a daily import
// would not. Returns the seconds waited.
double WaitForBackgroundWork(rocksdb::DB* db, std::chrono::seconds limit);

}  // namespace passledger::tools
