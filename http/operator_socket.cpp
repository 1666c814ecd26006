#include "http/operator_socket.h"

#include <fmt/core.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace passledger::http {
namespace {

using local = boost::asio::local::stream_protocol;

constexpr std::size_t kMaxPath = sizeof(sockaddr_un{}.sun_path) - 1;

Error Failed(std::string_view what, const std::string& path, int err) {
  return MakeError(ErrorCode::kUnavailable,
                   fmt::format("operator socket {}: {}: {}", path, what, std::strerror(err)));
}

// Whether a server accepts on the socket at `path` (a crashed server's socket refuses).
bool SomeoneListens(const std::string& path) {
  boost::asio::io_context io;
  local::socket probe(io);
  boost::system::error_code ec;
  probe.connect(local::endpoint(path), ec);
  return !ec;
}

// Makes room at `path`: nothing there, or a dead socket, which is removed.
Result<void> ClearStale(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    return Failed("lstat", path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "operator socket " + path + ": a file that is not a socket is in the way");
  }
  if (SomeoneListens(path)) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "operator socket " + path + ": another server is listening on it");
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Failed("unlink stale", path, errno);
  return {};
}

// bind(2) under umask 077, so that the socket is never reachable by others, not even between
// bind and chmod; then 0600 exactly.
Result<void> BindPrivately(local::acceptor& acceptor, const std::string& path) {
  boost::system::error_code ec;
  const mode_t previous = ::umask(077);
  acceptor.bind(local::endpoint(path), ec);
  ::umask(previous);
  if (ec) return MakeError(ErrorCode::kUnavailable, "operator socket " + path + ": bind: " + ec.message());
  if (::chmod(path.c_str(), 0600) != 0) return Failed("chmod", path, errno);
  return {};
}

}  // namespace

Result<SocketFile> BindOperatorSocket(local::acceptor& acceptor, const std::string& path) {
  if (path.size() > kMaxPath) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("operator socket {}: the path is {} bytes, a Unix socket's "
                                 "may have {}",
                                 path, path.size(), kMaxPath));
  }
  if (auto cleared = ClearStale(path); !cleared) return cleared.error();
  boost::system::error_code ec;
  acceptor.open(local(), ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "operator socket: open: " + ec.message());
  if (auto bound = BindPrivately(acceptor, path); !bound) return bound.error();
  acceptor.listen(boost::asio::socket_base::max_listen_connections, ec);
  if (ec) return MakeError(ErrorCode::kUnavailable, "operator socket: listen: " + ec.message());
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return Failed("lstat", path, errno);
  return SocketFile{path, st.st_dev, st.st_ino};
}

void RemoveOperatorSocket(const SocketFile& file) {
  if (file.path.empty()) return;
  struct stat st {};
  if (::lstat(file.path.c_str(), &st) != 0) return;
  if (st.st_dev != file.device || st.st_ino != file.inode) return;  // not ours any more
  ::unlink(file.path.c_str());
}

Result<LocalPeer> CheckOperatorPeer(int fd) {
  ucred cred{};
  socklen_t length = sizeof(cred);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &length) != 0) {
    return MakeError(ErrorCode::kInternal,
                     std::string("getsockopt(SO_PEERCRED): ") + std::strerror(errno));
  }
  const uid_t own = ::geteuid();
  if (cred.uid != own && cred.uid != 0) {
    return MakeError(ErrorCode::kPermissionDenied,
                     fmt::format("operator socket: refused a connection from uid {} (pid {}): "
                                 "only uid {} and root may use it",
                                 cred.uid, cred.pid, own));
  }
  return LocalPeer{static_cast<std::uint32_t>(cred.uid), UserNameOf(cred.uid)};
}

std::string UserNameOf(std::uint32_t uid) {
  long size = ::sysconf(_SC_GETPW_R_SIZE_MAX);
  std::vector<char> buffer(size > 0 ? static_cast<std::size_t>(size) : 16384);
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr &&
      found->pw_name != nullptr && found->pw_name[0] != '\0') {
    return found->pw_name;
  }
  return "uid-" + std::to_string(uid);
}

}  // namespace passledger::http
