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

// The process's memory from /proc/self/status: ResetPeakRss sets the kernel's peak mark
// (VmHWM) back to the current RSS, so a phase can report its own peak.
void ResetPeakRss();
double PeakRssMiB();     // VmHWM
double CurrentRssMiB();  // VmRSS

}  // namespace passledger::tools
