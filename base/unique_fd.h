// UniqueFd: owns a POSIX file descriptor and closes it on scope exit unless released.
// For the few raw descriptors events/ needs (lock file, fsync of files and directories).
#pragma once

#include <unistd.h>

#include <utility>

namespace passledger {

class UniqueFd {
 public:
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

}  // namespace passledger
