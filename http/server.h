// Server: the listener and its sessions on N I/O threads (Boost.Beast; plain TCP, or TLS
// detected per connection when a certificate is configured).
//
// Each connection is a Session bound to one I/O thread (its own io_context): HTTP/1.1 keep-alive, a
// fresh parser per message, limits (header 8 KiB -> 431, target 4 KiB -> 414, body per route ->
// 413), timeouts before every read and write, bounded pipelining, and connection caps, global
// and per client address (excess connections get 503 and are closed; at most
// kMaxRejectionsInFlight such answers at once, beyond that they are closed unanswered). Responses
// are written in request order. See docs/HTTP.md for the numbers.
//
// With ServerOptions::operator_socket the same Router is also served on a Unix-domain stream
// socket (docs/ADMIN.md, "The operator socket"), with the same limits and timeouts; only peers
// whose uid (SO_PEERCRED) is the server's own or root are served, others are closed unanswered.
//
// Ownership: the Router (and the Metrics, if any) must outlive the Server. Thread-safety:
// Start, port and Stop are called from one controlling thread; handlers run on I/O threads.
// REQUIRES: every Responder has completed (worker pools stopped) before the Server is
// destroyed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "http/access_log.h"
#include "http/client_address.h"
#include "http/metrics.h"
#include "http/status.h"
#include "http/router.h"

namespace passledger::http {

// Connections over a cap being answered 503 at one time: each holds a descriptor for up to 1 s,
// and `serve` budgets descriptors for them (tools/passledger/cmd_serve.cpp).
inline constexpr std::size_t kMaxRejectionsInFlight = 64;

struct ServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: any free port, see Server::port()
  unsigned threads = 0;       // I/O threads; 0: std::thread::hardware_concurrency()

  std::size_t max_connections = 10000;
  // Per client address (IPv4 address, IPv6 /64), below the global cap: one client cannot take
  // every slot. Behind a reverse proxy every connection comes from the proxy: raise it to
  // max_connections there. 0: no per-address cap.
  std::size_t max_connections_per_address = 256;
  std::size_t header_limit = 8 * 1024;           // request line + headers; over -> 431
  std::size_t max_target_length = 4 * 1024;      // over -> 414
  std::size_t default_body_limit = 1024 * 1024;  // per route via RouteOptions; over -> 413
  std::size_t pipeline_limit = 8;                // requests queued per connection

  // Deadlines for one whole operation, not per byte: a client trickling a byte per second
  // is dropped when its deadline passes.
  std::chrono::milliseconds header_timeout{10'000};  // first request line and headers
  std::chrono::milliseconds idle_timeout{15'000};    // keep-alive: waiting for the next request
  std::chrono::milliseconds body_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};

  // TLS (1.2 and later) when both are set: PEM files, the certificate file may hold the
  // chain. The listener detects a ClientHello; plain HTTP on the same port is closed unless
  // tls_only is false.
  std::string tls_certificate_file;
  std::string tls_key_file;
  bool tls_only = true;

  // Reverse proxies whose X-Forwarded-For is believed (Request::client); empty: the client
  // is always the peer.
  std::vector<Network> trusted_proxies;

  // The operator socket's path; empty: none. Start creates it mode 0600, replacing a stale
  // socket left at the path (never a file of another kind); Stop removes it. Requests on it
  // carry Request::local_peer.
  std::string operator_socket;

  std::string server_name = "PassLedger";
  // Headers a family of paths puts on every answer, routing errors and refusals (404, 405,
  // 413, ...) included — the admin API's security headers. The first entry whose prefix
  // begins the request target applies.
  struct Decoration {
    std::string path_prefix;
    void (*decorate)(Response&) = nullptr;
  };
  std::vector<Decoration> decorations;
  LogSink access_log = StderrSink();  // empty: no access log
  LogSink error_log = StderrSink();   // internal errors and unexpected I/O failures
  // Both logs go through one bounded queue and a writer thread (http/async_log.h), so an I/O
  // thread never waits for its sink; lines past the bound are dropped and counted
  // (passledger_log_lines_dropped_total). 0 lines: the sinks are called directly.
  std::size_t log_queue_lines = 10'000;
  std::size_t log_queue_bytes = 4u << 20;
  Metrics* metrics = nullptr;  // optional, borrowed
};

class Server {
 public:
  Server(ServerOptions options, Router& router);
  ~Server();  // Stop(0) if still running
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the TLS certificate and key if configured, binds host:port (and the operator
  // socket), starts accepting and the I/O threads. kInvalidArgument for a bad host, unusable
  // TLS files or a socket path too long for a Unix socket; kUnavailable when the address
  // cannot be bound; kFailedPrecondition when the socket path holds something else or a live
  // socket. REQUIRES: not started before.
  [[nodiscard]] Result<void> Start();

  // The bound port (after Start).
  [[nodiscard]] std::uint16_t port() const;

  // Graceful: stops accepting, closes idle connections, lets in-flight requests finish
  // (their connections close after the last response) for at most `drain`, then closes
  // whatever is left and joins the I/O threads. The operator socket is removed at once.
  // Idempotent.
  void Stop(std::chrono::milliseconds drain);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace passledger::http
