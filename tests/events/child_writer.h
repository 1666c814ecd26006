// Starting events_crash_child (crash_child.cpp), the second process that the crash, lock and
// read-only cases need. Its path is compiled in as PASSLEDGER_CRASH_CHILD.
#pragma once

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <filesystem>
#include <string>

#include "tests/testing/child_process.h"

namespace passledger::testing {

inline constexpr const char* kCrashChildPath = PASSLEDGER_CRASH_CHILD;

// Generous: the child is built with sanitizers and opens RocksDB on a loaded CI machine.
inline constexpr std::chrono::seconds kChildStartTimeout{60};

// Starts the child in `mode` on `data_dir` and returns once it prints its "ready" line
// (the log is then open and, for a writer, locked).
inline ChildProcess StartCrashChild(const std::string& mode, const std::filesystem::path& data_dir,
                                    const std::string& count = "") {
  std::vector<std::string> argv = {kCrashChildPath, mode, data_dir.string()};
  if (!count.empty()) argv.push_back(count);
  ChildProcess child = ChildProcess::Start(argv);
  const auto ready = child.ReadLine(kChildStartTimeout);
  BOOST_TEST_REQUIRE(ready.has_value(), "events_crash_child " << mode << " did not get ready");
  BOOST_TEST_REQUIRE(ready->starts_with("ready " + std::to_string(child.pid())), *ready);
  return child;
}

// A child holding the log open for writing, after appending `count` events.
inline ChildProcess StartHoldingWriter(const std::filesystem::path& data_dir, int count) {
  return StartCrashChild("hold", data_dir, std::to_string(count));
}

}  // namespace passledger::testing
