// Internal to http/: the state shared by a Server and its sessions, and one connection's
// Session. Not part of the public API (use server.h).
//
// A Session owns one connection — TCP (plain, or TLS when detected), or a Unix-domain stream of
// the operator socket (ServerOptions::operator_socket; its peer was checked by the Server and
// every request carries Request::local_peer) — and runs on its I/O thread's single-threaded io_context
// (its "strand"); every member function except Complete, Shutdown and ForceClose must run on
// that strand. Those three post to it and may
// be called from any thread.
#pragma once

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/mutex.h"
#include "http/router.h"
#include "http/server.h"

namespace passledger::http {

class Session;

struct ServerState {
  ServerState(ServerOptions options_in, const Router& router_in)
      : options(std::move(options_in)), router(router_in) {}

  enum class Admission { kAdmitted, kServerFull, kAddressFull };
  // Counts a new connection from `peer` (a PeerKey) unless the global cap or the peer's own
  // cap is reached. Each kAdmitted is matched by one Release (the Session's destructor).
  [[nodiscard]] Admission Admit(const std::string& peer);
  void Release(const std::string& peer);
  void Register(const std::shared_ptr<Session>& session);
  void Unregister(Session* session);
  [[nodiscard]] std::vector<std::shared_ptr<Session>> LiveSessions();
  // True when no session is left by `deadline`.
  [[nodiscard]] bool WaitForNoSessions(std::chrono::steady_clock::time_point deadline);
  void LogError(std::string_view line) const;

  // Constant after construction.
  const ServerOptions options;
  const Router& router;
  std::shared_ptr<boost::asio::ssl::context> tls;  // set by Server::Start when TLS is on

  Mutex mutex;
  std::condition_variable_any sessions_changed;
  std::map<Session*, std::weak_ptr<Session>> sessions PL_GUARDED_BY(mutex);
  std::size_t admitted PL_GUARDED_BY(mutex) = 0;  // connections counted by Admit
  // PeerKey -> admitted (> 0)
  std::unordered_map<std::string, std::size_t> per_address PL_GUARDED_BY(mutex);
};

// What the per-address connection cap counts: the IPv4 address (also when IPv4-mapped), or
// the IPv6 /64 prefix (one end site holds a whole /64).
[[nodiscard]] std::string PeerKey(const boost::asio::ip::address& address);

class Session : public std::enable_shared_from_this<Session> {
 public:
  // Takes over one admission of `peer` from ServerState::Admit.
  Session(boost::asio::ip::tcp::socket socket, std::shared_ptr<ServerState> state,
          std::string peer);
  // A connection of the operator socket from `local` (whose credentials the Server checked).
  Session(boost::asio::local::stream_protocol::socket socket, std::shared_ptr<ServerState> state,
          std::string peer, LocalPeer local);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Run();
  void Complete(std::uint64_t slot, Response response);
  void Shutdown();
  void ForceClose();
  void LogError(std::string_view line) const { state_->LogError(line); }

 private:
  using Clock = std::chrono::steady_clock;
  using Parser = boost::beast::http::request_parser<boost::beast::http::string_body>;
  enum class ReadState { kReading, kPaused, kDone };

  // One request awaiting or writing its response, in request order.
  struct Slot {
    std::optional<Response> response;
    // Bounded labels (metrics.h): MethodLabel, "-" when the request line did not parse; the
    // route template, or kUnmatchedRoute. Both point at static or Router-owned text.
    std::string_view method = "-";
    std::string_view route = kUnmatchedRoute;
    bool head = false;
    bool close_after = false;
    unsigned version = 11;
    Clock::time_point start;
    void (*decorate)(Response&) = nullptr;  // ServerOptions::decorations' match
  };

  using PlainStream = boost::beast::tcp_stream;
  using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;
  using LocalStream = boost::beast::basic_stream<boost::asio::local::stream_protocol>;

  // Calls f(the lowest layer: a tcp_stream, or the LocalStream).
  template <class F>
  decltype(auto) WithLowest(F&& f) {
    return std::visit(
        [&](auto& stream) -> decltype(auto) { return f(boost::beast::get_lowest_layer(stream)); },
        stream_);
  }
  void ExpiresAfter(std::chrono::steady_clock::duration timeout);
  void ExpiresNever();
  void ShutdownSend();
  void CloseSocket();
  // Calls f(stream) with the plain, the TLS or the local stream.
  template <class F>
  void WithStream(F&& f) {
    std::visit(std::forward<F>(f), stream_);
  }
  void OnDetect(boost::beast::error_code ec, bool is_tls);
  void DoRead();
  void ArmIdle();
  void CancelIdle();
  void OnHeader(boost::beast::error_code ec);
  void SendContinue();
  void ReadBody();
  void OnBody(boost::beast::error_code ec);
  [[nodiscard]] bool HandleReadError(boost::beast::error_code ec, std::string_view what);
  void Dispatch();
  [[nodiscard]] std::size_t BodyLimit(boost::beast::http::verb method) const;
  [[nodiscard]] Response RoutingError() const;
  [[nodiscard]] void (*DecorationFor(std::string_view target) const)(Response&);
  void Reject(boost::beast::http::status status, std::string_view message);
  void Reject(Response response);
  void OnComplete(std::uint64_t slot, Response response);
  void Finalize(Slot& slot);
  void MaybeWrite();
  void OnWrite(boost::beast::error_code ec, std::size_t bytes);
  void LogRequest(const Slot& slot, std::size_t bytes);
  void Close();
  void CloseAfterResponse();
  void Drain(std::shared_ptr<std::array<char, 4096>> scratch);
  void Fail(boost::beast::error_code ec, std::string_view what);

  // Constant after construction.
  const std::shared_ptr<ServerState> state_;
  const std::string peer_;  // PeerKey of the client's address
  const std::string remote_;
  const boost::asio::ip::address peer_address_;  // unspecified when the socket had no peer
  const std::optional<LocalPeer> local_peer_;     // set on the operator socket only
  const boost::asio::any_io_executor executor_;  // the strand; safe to use from any thread

  // State below is touched only on the strand.
  boost::asio::steady_timer idle_timer_;
  std::uint64_t idle_generation_ = 0;  // a wait fires only if no ArmIdle/CancelIdle came since
  bool idle_read_ = false;             // the pending header read waits for a keep-alive request
  std::variant<PlainStream, TlsStream, LocalStream> stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<Parser> parser_;
  RouteMatch match_;           // of the request being read
  Clock::time_point started_;  // when its header was complete
  std::string client_;         // its Request::client
  std::deque<Slot> slots_;
  std::uint64_t first_slot_ = 0;  // the id of slots_.front()
  ReadState read_ = ReadState::kDone;
  bool first_request_ = true;
  bool writing_ = false;
  bool peer_done_ = false;  // the client half-closed: close once everything is written
  bool stopping_ = false;
  bool closed_ = false;
};

}  // namespace passledger::http
