// A minimal blocking HTTP/1.1 client over a raw POSIX socket, for http_test: it writes
// exactly the bytes a test gives it and parses responses by Content-Length.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace passledger::http::testing {

struct ClientResponse {
  int status = 0;
  std::string headers;  // the header block, lower-cased names kept as sent
  std::string body;

  // The value of header `name` (case-insensitive), empty if absent.
  std::string Header(std::string_view name) const {
    std::string lower_headers = headers;
    std::transform(lower_headers.begin(), lower_headers.end(), lower_headers.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string needle = "\r\n" + std::string(name) + ":";
    std::transform(needle.begin(), needle.end(), needle.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto at = lower_headers.find(needle);
    if (at == std::string::npos) return {};
    auto begin = at + needle.size();
    while (begin < headers.size() && headers[begin] == ' ') ++begin;
    return headers.substr(begin, headers.find("\r\n", begin) - begin);
  }
};

// How a Connection connects to 127.0.0.1.
struct ConnectOptions {
  std::chrono::seconds timeout{10};  // receive and send timeouts
  const char* source = nullptr;      // bind to this local address first, e.g. "127.0.0.2"
  int receive_buffer = 0;            // SO_RCVBUF before connecting (0: the system default)
};

class Connection {
 public:
  explicit Connection(std::uint16_t port, std::chrono::seconds timeout = std::chrono::seconds(10))
      : Connection(port, ConnectOptions{timeout}) {}
  Connection(std::uint16_t port, const ConnectOptions& options)
      : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    if (fd_ < 0) throw std::runtime_error("socket failed");
    timeval tv{static_cast<time_t>(options.timeout.count()), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (options.receive_buffer > 0) {
      ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &options.receive_buffer,
                   sizeof options.receive_buffer);
    }
    if (options.source != nullptr) {
      sockaddr_in local{};
      local.sin_family = AF_INET;
      ::inet_pton(AF_INET, options.source, &local.sin_addr);
      if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
        ::close(fd_);
        throw std::runtime_error("bind failed");
      }
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      throw std::runtime_error("connect failed");
    }
  }
  ~Connection() { ::close(fd_); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // False if the peer has closed or reset.
  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // One response, or nullopt on close, reset or timeout before it was complete.
  std::optional<ClientResponse> Read() {
    std::size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    ClientResponse response;
    response.headers = buffer_.substr(0, end + 2);
    if (response.headers.size() < 12) return std::nullopt;
    response.status = std::stoi(response.headers.substr(9, 3));
    const std::string length = response.Header("content-length");
    const std::size_t body_size = length.empty() ? 0 : std::stoul(length);
    while (buffer_.size() < end + 4 + body_size) {
      if (!Fill()) return std::nullopt;
    }
    response.body = buffer_.substr(end + 4, body_size);
    buffer_.erase(0, end + 4 + body_size);
    return response;
  }

  // Up to `max` raw bytes (what is buffered first); empty on close, reset or timeout.
  std::string ReadSome(std::size_t max) {
    if (!buffer_.empty()) {
      std::string out = buffer_.substr(0, max);
      buffer_.erase(0, out.size());
      return out;
    }
    std::string out(max, '\0');
    const ssize_t n = ::recv(fd_, out.data(), max, 0);
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }

  // True when the server closes the connection (EOF or reset) within the receive timeout,
  // discarding anything it sends first.
  bool WaitForClose() {
    char chunk[4096];
    while (true) {
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
    }
  }

 private:
  bool Fill() {
    char chunk[4096];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }

  int fd_;
  std::string buffer_;
};

inline std::string Get(std::string_view target, std::string_view extra_headers = "") {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: test\r\n" + std::string(extra_headers) +
         "\r\n";
}

}  // namespace passledger::http::testing
