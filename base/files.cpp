#include "base/files.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include "base/unique_fd.h"

namespace passledger {
namespace fs = std::filesystem;
namespace {

Error SysError(ErrorCode code, const std::string& what, const fs::path& path) {
  return MakeError(code, what + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<void> FsyncDir(const fs::path& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0 || ::fsync(fd.get()) != 0) {
    return SysError(ErrorCode::kUnavailable, "cannot fsync directory", dir);
  }
  return {};
}

Result<void> WriteFileAtomically(const fs::path& path, std::string_view contents, unsigned mode) {
  // Written under a temporary name and renamed into place, so a crash never leaves a
  // half-written key or marker behind: the file is either absent or complete.
  fs::path tmp = path;
  tmp += ".tmp";
  ::unlink(tmp.c_str());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode));
    if (fd.get() < 0) return SysError(ErrorCode::kUnavailable, "cannot create", tmp);
    std::size_t written = 0;
    while (written < contents.size()) {
      const ssize_t n = ::write(fd.get(), contents.data() + written, contents.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return SysError(ErrorCode::kUnavailable, "cannot write", tmp);
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) return SysError(ErrorCode::kUnavailable, "cannot fsync", tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    return SysError(ErrorCode::kUnavailable, "cannot rename into", path);
  }
  return FsyncDir(path.parent_path().empty() ? fs::path(".") : path.parent_path());
}

Result<void> WriteSecretFile(const fs::path& path, std::string_view contents) {
  std::error_code ec;
  if (fs::exists(path, ec)) {
    return MakeError(ErrorCode::kAlreadyExists, path.string() + " already exists");
  }
  return WriteFileAtomically(path, contents, 0600);
}

Result<std::string> ReadSmallFile(const fs::path& path, std::size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return SysError(ErrorCode::kNotFound, "cannot open", path);
  std::string data(max_bytes + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<std::size_t>(in.gcount()));
  if (data.size() > max_bytes) {
    return MakeError(ErrorCode::kTooLarge, path.string() + " is larger than expected");
  }
  return data;
}

}  // namespace passledger
