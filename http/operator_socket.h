// Internal to http/: the file and the peers of the operator socket (ServerOptions::
// operator_socket, docs/ADMIN.md "The operator socket"). Server::Start binds it with
// BindOperatorSocket, every accepted connection's peer goes through CheckOperatorPeer, and
// Server::Stop removes the file with RemoveOperatorSocket.
//
// Thread-safety: BindOperatorSocket changes the process umask for the duration of bind(2)
// (tightening it only), so call it at start-up; the others may be called from any thread.
#pragma once

#include <sys/types.h>

#include <boost/asio/local/stream_protocol.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "base/error.h"
#include "http/router.h"

namespace passledger::http {

// Which file the server created, so that Stop never removes a socket another process put at
// the path meanwhile.
struct SocketFile {
  std::string path;
  dev_t device = 0;
  ino_t inode = 0;
};

// Opens, binds (mode 0600 whatever the umask) and listens on `path`. A socket already at the
// path that nobody accepts on (a crashed server's) is replaced; a live one, or a file of any
// other kind, is kFailedPrecondition and left alone. kInvalidArgument for a path longer than a
// Unix socket's 107 bytes.
Result<SocketFile> BindOperatorSocket(boost::asio::local::stream_protocol::acceptor& acceptor,
                                      const std::string& path);

// Unlinks the socket file if it is still the one bound.
void RemoveOperatorSocket(const SocketFile& file);

// The peer of an accepted connection when it may use the socket: the server's own effective
// uid or root. Otherwise kPermissionDenied naming the uid and pid (no secret), or the
// getsockopt failure.
Result<LocalPeer> CheckOperatorPeer(int fd);

// The login name of `uid`, or "uid-<n>" when the password database has none.
std::string UserNameOf(std::uint32_t uid);

}  // namespace passledger::http
