// ScopedEnv: sets or unsets one environment variable for the lifetime of the object and
// restores the previous value (or absence) on destruction. The environment is process-wide:
// use only while no other thread reads it.
#pragma once

#include <stdlib.h>

#include <optional>
#include <string>

namespace passledger::testing {

class ScopedEnv {
 public:
  // Unsets `name` when `value` is nullopt.
  ScopedEnv(std::string name, std::optional<std::string> value) : name_(std::move(name)) {
    if (const char* old = ::getenv(name_.c_str())) previous_ = old;
    Apply(value);
  }
  ~ScopedEnv() { Apply(previous_); }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  void Apply(const std::optional<std::string>& value) const {
    if (value) {
      ::setenv(name_.c_str(), value->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }

  std::string name_;
  std::optional<std::string> previous_;
};

}  // namespace passledger::testing
