// A progress line for long commands: redrawn in place on a terminal, a line every ten percent
// otherwise (logs stay readable). On a terminal it shows the rate and the time left.
#pragma once

#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace passledger::tools {

class ProgressLine {
 public:
  explicit ProgressLine(std::string what)
      : what_(std::move(what)),
        tty_(::isatty(STDERR_FILENO) == 1),
        start_(std::chrono::steady_clock::now()) {}

  void Update(std::uint64_t done, std::uint64_t total) {
    const double seconds = Elapsed();
    const double rate = seconds > 0 ? static_cast<double>(done) / seconds : 0;
    const int percent = total ? static_cast<int>(100 * done / total) : 100;
    if (tty_) {
      const double eta = rate > 0 && total > done ? static_cast<double>(total - done) / rate : 0;
      std::fprintf(stderr, "\r%s: %llu/%llu (%d%%), %.0f/s, ETA %.0f s   ", what_.c_str(),
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total),
                   percent, rate, eta);
    } else if (percent >= next_percent_) {
      std::fprintf(stderr, "%s: %d%% (%llu/%llu)\n", what_.c_str(), percent,
                   static_cast<unsigned long long>(done), static_cast<unsigned long long>(total));
      next_percent_ = percent / 10 * 10 + 10;
    }
  }
  void Done() {
    if (tty_) std::fputc('\n', stderr);
  }
  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::string what_;
  bool tty_;
  std::chrono::steady_clock::time_point start_;
  int next_percent_ = 0;
};

}  // namespace passledger::tools
