// ChildProcess: a helper program started with posix_spawn, with its stdin and stdout
// connected to pipes (stderr is inherited, so a failing child explains itself in the test
// log). A child still running when the ChildProcess is destroyed is killed with SIGKILL and
// reaped, so a failing test never leaves one behind. Not thread-safe.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

extern char** environ;

namespace passledger::testing {

class ChildProcess {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts argv[0] (a path) with the given arguments. Throws std::system_error.
  static ChildProcess Start(const std::vector<std::string>& argv) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0) Throw("pipe2");
    if (::pipe2(out, O_CLOEXEC) != 0) Throw("pipe2");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 clears O_CLOEXEC on the child's copies; every other descriptor of ours closes.
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(in[0]);
    ::close(out[1]);
    if (rc != 0) {
      ::close(in[1]);
      ::close(out[0]);
      throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv[0]);
    }
    return ChildProcess(pid, in[1], out[0]);
  }

  ChildProcess(ChildProcess&& other) noexcept
      : pid_(std::exchange(other.pid_, -1)),
        stdin_(std::exchange(other.stdin_, -1)),
        stdout_(std::exchange(other.stdout_, -1)),
        buffer_(std::move(other.buffer_)),
        eof_(other.eof_) {}
  ChildProcess& operator=(ChildProcess&&) = delete;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  ~ChildProcess() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      Wait();
    }
    CloseStdin();
    if (stdout_ >= 0) ::close(stdout_);
  }

  pid_t pid() const { return pid_; }

  // The next complete line of the child's stdout (without '\n'); nullopt at end of file or
  // when `deadline` passes first.
  std::optional<std::string> ReadLine(Clock::time_point deadline) {
    for (;;) {
      if (auto line = TakeLine()) return line;
      if (eof_ || !Fill(deadline)) return std::nullopt;
    }
  }
  std::optional<std::string> ReadLine(std::chrono::milliseconds timeout) {
    return ReadLine(Clock::now() + timeout);
  }

  // Every complete line written until `deadline` (or end of file).
  std::vector<std::string> ReadLinesUntil(Clock::time_point deadline) {
    std::vector<std::string> lines;
    while (auto line = ReadLine(deadline)) lines.push_back(std::move(*line));
    return lines;
  }

  // Closing stdin tells a holding child to exit.
  void CloseStdin() {
    if (stdin_ >= 0) ::close(std::exchange(stdin_, -1));
  }

  void Kill(int signal) {
    if (pid_ > 0) ::kill(pid_, signal);
  }

  // Reaps the child and returns its waitpid() status.
  int Wait() {
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    pid_ = -1;
    return status;
  }

 private:
  ChildProcess(pid_t pid, int in, int out) : pid_(pid), stdin_(in), stdout_(out) {}

  [[noreturn]] static void Throw(const char* what) {
    throw std::system_error(errno, std::generic_category(), what);
  }

  std::optional<std::string> TakeLine() {
    const auto newline = buffer_.find('\n');
    if (newline == std::string::npos) return std::nullopt;
    std::string line = buffer_.substr(0, newline);
    buffer_.erase(0, newline + 1);
    return line;
  }

  // Reads once from the pipe; false when `deadline` passed first.
  bool Fill(Clock::time_point deadline) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd fd{stdout_, POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno != EINTR) Throw("poll");
    if (ready <= 0) return true;  // timed out or interrupted: the loop re-checks the deadline
    char chunk[4096];
    const ssize_t n = ::read(stdout_, chunk, sizeof chunk);
    if (n < 0 && errno != EINTR) Throw("read");
    if (n == 0) eof_ = true;
    if (n > 0) buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  pid_t pid_;
  int stdin_;
  int stdout_;
  std::string buffer_;  // read but not yet returned
  bool eof_ = false;
};

}  // namespace passledger::testing
