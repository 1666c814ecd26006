#include "http/server.h"

#include <fmt/core.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <future>
#include <thread>
#include <vector>

#include "http/async_log.h"
#include "http/operator_socket.h"
#include "http/session.h"

namespace passledger::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;
using local = asio::local::stream_protocol;

// What the per-address cap counts the operator socket's connections under.
constexpr std::string_view kLocalPeerKey = "unix";

constexpr std::string_view kTooManyConnections =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 32\r\n"
    "Connection: close\r\n"
    "\r\n"
    R"({"error":"too many connections"})";

constexpr std::string_view kTooManyFromAddress =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: application/json\r\n"
    "Content-Length: 50\r\n"
    "Connection: close\r\n"
    "\r\n"
    R"({"error":"too many connections from this address"})";

// After an accept error (e.g. out of file descriptors) wait before trying again rather than
// spinning.
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

// The bound after a forced close for handlers to notice and sessions to go away.
constexpr std::chrono::milliseconds kForceCloseGrace{1000};

unsigned ThreadCount(unsigned requested) {
  if (requested > 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

// Answers a fixed 503 on a connection over a cap and closes it, without a Session. With
// kMaxRejectionsInFlight answers already under way the socket is closed at once, so that a
// flood of connections cannot hold more descriptors than budgeted.
void RejectConnection(tcp::socket socket, std::string_view answer,
                      const std::shared_ptr<std::atomic<std::size_t>>& in_flight) {
  if (in_flight->fetch_add(1) >= kMaxRejectionsInFlight) {
    in_flight->fetch_sub(1);
    beast::error_code ec;
    socket.close(ec);
    return;
  }
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  stream->expires_after(std::chrono::seconds(1));
  asio::async_write(*stream, asio::buffer(answer.data(), answer.size()),
                    [stream, in_flight](beast::error_code, std::size_t) {
                      beast::error_code ec;
                      stream->socket().shutdown(tcp::socket::shutdown_send, ec);
                      stream->close();
                      in_flight->fetch_sub(1);
                    });
}

}  // namespace

// One single-threaded io_context per I/O thread, each connection bound to one of them in
// turn: a connection's handlers run on one thread (its implicit strand), and the threads share
// no scheduler queue or lock. Work from the worker pool is posted back to the connection's own
// context.
namespace {
std::vector<std::unique_ptr<asio::io_context>> MakeContexts(unsigned count) {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (unsigned i = 0; i < count; ++i) contexts.push_back(std::make_unique<asio::io_context>(1));
  return contexts;
}

std::unique_ptr<AsyncLog> MakeAsyncLog(const ServerOptions& options) {
  if (options.log_queue_lines == 0) return nullptr;
  auto log = std::make_unique<AsyncLog>(options.log_queue_lines, options.log_queue_bytes);
  if (options.metrics != nullptr) {
    options.metrics->AddCounter(
        "passledger_log_lines_dropped_total",
        "Access and error log lines dropped because the log queue was full",
        [dropped = log->DroppedCounter()] { return static_cast<double>(dropped()); });
  }
  return log;
}

// The options with both logs sent through `log`, when there is one.
ServerOptions QueueLogs(ServerOptions options, AsyncLog* log) {
  if (log == nullptr) return options;
  options.access_log = log->Wrap(std::move(options.access_log));
  options.error_log = log->Wrap(std::move(options.error_log));
  return options;
}
}  // namespace

struct Server::Impl {
  Impl(ServerOptions options, Router& router)
      : contexts(MakeContexts(ThreadCount(options.threads))),
        async_log(MakeAsyncLog(options)),
        state(
            std::make_shared<ServerState>(QueueLogs(std::move(options), async_log.get()), router)),
        acceptor(*contexts.front()),
        retry_timer(acceptor.get_executor()),
        local_acceptor(*contexts.front()),
        local_retry_timer(acceptor.get_executor()) {}

  Result<void> Bind();
  void DoAccept();
  void OnAccept(beast::error_code ec, tcp::socket socket);
  void DoAcceptLocal();
  void OnAcceptLocal(beast::error_code ec, local::socket socket);
  void CloseAcceptor();
  void CloseSessions(bool force);

  asio::io_context& NextContext() { return *contexts[next_context++ % contexts.size()]; }

  // First: destroyed last, after everything using them. One per I/O thread.
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::size_t next_context = 0;  // the acceptor's thread only
  // Keep the I/O threads running while no operation is pending: during a drain the acceptor
  // is closed and a session whose handler is on a worker pool waits on nothing, yet its
  // answer must still be posted and written.
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
  // Before state: its sinks queue into it (and stay safe after it is gone).
  std::unique_ptr<AsyncLog> async_log;
  std::shared_ptr<ServerState> state;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  // The operator socket (ServerOptions::operator_socket), on the same thread as `acceptor`.
  local::acceptor local_acceptor;
  asio::steady_timer local_retry_timer;
  SocketFile socket_file;  // empty path: none bound
  // Shared with the rejections' handlers, which may outlive the Impl.
  std::shared_ptr<std::atomic<std::size_t>> rejections_in_flight =
      std::make_shared<std::atomic<std::size_t>>(0);
  std::vector<std::thread> threads;
  std::uint16_t port = 0;
  bool running = false;
};

namespace {

// A TLS 1.2+ server context from PEM files.
Result<std::shared_ptr<asio::ssl::context>> LoadTls(const ServerOptions& options) {
  auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                       asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
  if (SSL_CTX_set_min_proto_version(context->native_handle(), TLS1_2_VERSION) != 1) {
    return MakeError(ErrorCode::kInternal, "SSL_CTX_set_min_proto_version failed");
  }
  beast::error_code ec;
  context->use_certificate_chain_file(options.tls_certificate_file, ec);
  if (ec) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        fmt::format("TLS certificate {}: {}", options.tls_certificate_file, ec.message()));
  }
  context->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, ec);
  if (ec) {
    return MakeError(ErrorCode::kInvalidArgument,
                     fmt::format("TLS key {}: {}", options.tls_key_file, ec.message()));
  }
  return context;
}

}  // namespace

Result<void> Server::Impl::Bind() {
  const ServerOptions& options = state->options;
  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) return MakeError(ErrorCode::kInvalidArgument, "bad listen address: " + options.host);
  const tcp::endpoint endpoint{address, options.port};
  const auto fail = [&](std::string_view what) {
    return MakeError(ErrorCode::kUnavailable,
                     fmt::format("{} {}:{}: {}", what, options.host, options.port, ec.message()));
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) return fail("open");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return fail("setsockopt");
  acceptor.bind(endpoint, ec);
  if (ec) return fail("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return fail("listen");
  port = acceptor.local_endpoint(ec).port();
  return {};
}

void Server::Impl::DoAccept() {
  acceptor.async_accept(NextContext(), [this](beast::error_code ec, tcp::socket socket) {
    OnAccept(ec, std::move(socket));
  });
}

void Server::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
  if (!acceptor.is_open()) return;
  if (ec) {
    state->LogError(fmt::format("http accept: {}", ec.message()));
    retry_timer.expires_after(kAcceptRetryDelay);
    retry_timer.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) DoAccept();
    });
    return;
  }
  beast::error_code endpoint_ec;
  const tcp::endpoint peer = socket.remote_endpoint(endpoint_ec);
  if (endpoint_ec) {  // already gone
    DoAccept();
    return;
  }
  std::string key = PeerKey(peer.address());
  switch (state->Admit(key)) {
    case ServerState::Admission::kAdmitted:
      std::make_shared<Session>(std::move(socket), state, std::move(key))->Run();
      break;
    case ServerState::Admission::kServerFull:
      RejectConnection(std::move(socket), kTooManyConnections, rejections_in_flight);
      break;
    case ServerState::Admission::kAddressFull:
      RejectConnection(std::move(socket), kTooManyFromAddress, rejections_in_flight);
      break;
  }
  DoAccept();
}

void Server::Impl::DoAcceptLocal() {
  local_acceptor.async_accept(NextContext(), [this](beast::error_code ec, local::socket socket) {
    OnAcceptLocal(ec, std::move(socket));
  });
}

// Only the server's own uid and root are served; anyone else is closed without an answer (a
// line in the error log says who, never what they sent).
void Server::Impl::OnAcceptLocal(beast::error_code ec, local::socket socket) {
  if (!local_acceptor.is_open()) return;
  if (ec) {
    state->LogError(fmt::format("operator socket accept: {}", ec.message()));
    local_retry_timer.expires_after(kAcceptRetryDelay);
    local_retry_timer.async_wait([this](beast::error_code wait_ec) {
      if (!wait_ec) DoAcceptLocal();
    });
    return;
  }
  auto peer = CheckOperatorPeer(socket.native_handle());
  if (!peer) {
    state->LogError(peer.error().message);
    beast::error_code close_ec;
    socket.close(close_ec);
  } else if (std::string key(kLocalPeerKey);
             state->Admit(key) == ServerState::Admission::kAdmitted) {
    std::make_shared<Session>(std::move(socket), state, std::move(key), std::move(*peer))->Run();
  } else {
    beast::error_code close_ec;
    socket.close(close_ec);  // over a cap: the CLI says the server is busy
  }
  DoAcceptLocal();
}

void Server::Impl::CloseAcceptor() {
  std::promise<void> closed;
  asio::post(acceptor.get_executor(), [this, &closed] {
    beast::error_code ec;
    acceptor.close(ec);
    retry_timer.cancel();
    local_acceptor.close(ec);
    local_retry_timer.cancel();
    closed.set_value();
  });
  closed.get_future().wait();
  RemoveOperatorSocket(socket_file);
  socket_file = {};
}

void Server::Impl::CloseSessions(bool force) {
  for (const auto& session : state->LiveSessions()) {
    force ? session->ForceClose() : session->Shutdown();
  }
}

Server::Server(ServerOptions options, Router& router)
    : impl_(std::make_unique<Impl>(std::move(options), router)) {}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

Result<void> Server::Start() {
  const ServerOptions& options = impl_->state->options;
  if (!options.tls_certificate_file.empty() || !options.tls_key_file.empty()) {
    auto tls = LoadTls(options);
    if (!tls) return tls.error();
    impl_->state->tls = std::move(*tls);
  }
  if (auto bound = impl_->Bind(); !bound) return bound;
  if (!options.operator_socket.empty()) {
    auto file = BindOperatorSocket(impl_->local_acceptor, options.operator_socket);
    if (!file) return file.error();
    impl_->socket_file = std::move(*file);
    asio::post(impl_->acceptor.get_executor(), [impl = impl_.get()] { impl->DoAcceptLocal(); });
  }
  impl_->running = true;
  asio::post(impl_->acceptor.get_executor(), [impl = impl_.get()] { impl->DoAccept(); });
  for (auto& context : impl_->contexts) {
    impl_->work.push_back(asio::make_work_guard(*context));
    impl_->threads.emplace_back([&context = *context] { context.run(); });
  }
  return {};
}

std::uint16_t Server::port() const { return impl_->port; }

void Server::Stop(std::chrono::milliseconds drain) {
  if (!impl_->running) return;
  impl_->running = false;
  const auto deadline = std::chrono::steady_clock::now() + drain;
  impl_->CloseAcceptor();
  impl_->CloseSessions(/*force=*/false);
  if (!impl_->state->WaitForNoSessions(deadline)) {
    impl_->CloseSessions(/*force=*/true);
    (void)impl_->state->WaitForNoSessions(std::chrono::steady_clock::now() + kForceCloseGrace);
  }
  impl_->work.clear();
  for (auto& context : impl_->contexts) context->stop();
  for (std::thread& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace passledger::http
