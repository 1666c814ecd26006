// TempDir: a unique, empty directory for one test case, under $TMPDIR (else /tmp), named
// after the running test case.
//
// The directory and everything in it are removed when the TempDir is destroyed, unless the
// environment variable PASSLEDGER_KEEP_TEST_DIRS is set: then it is kept and its path is
// logged, so that a failing case can be inspected. Not thread-safe; one per test case.
#pragma once

#include <stdlib.h>

#include <boost/test/unit_test.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace passledger::testing {

class TempDir {
 public:
  TempDir() {
    const char* tmpdir = std::getenv("TMPDIR");
    const std::filesystem::path base = tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp";
    std::string pattern = (base / ("passledger-" + TestCaseName() + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
    }
    path_ = pattern;
  }

  ~TempDir() {
    if (std::getenv("PASSLEDGER_KEEP_TEST_DIRS") != nullptr) {
      BOOST_TEST_MESSAGE("kept test directory " << path_.string());
      return;
    }
    std::error_code ec;  // best effort: a leftover directory must not fail the test
    std::filesystem::remove_all(path_, ec);
  }

  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

 private:
  // The current test case's name, reduced to characters that are safe in a file name.
  static std::string TestCaseName() {
    std::string name = "test";
    if (boost::unit_test::framework::test_in_progress()) {
      name = boost::unit_test::framework::current_test_case().p_name.get();
    }
    for (char& c : name) {
      const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '_' || c == '-';
      if (!safe) c = '_';
    }
    return name.substr(0, 64);
  }

  std::filesystem::path path_;
};

}  // namespace passledger::testing
