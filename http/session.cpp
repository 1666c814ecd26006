#include "http/session.h"

#include <fmt/core.h>

#include <algorithm>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/detect_ssl.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <exception>

namespace passledger::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

std::string RemoteAddress(const tcp::socket& socket) {
  beast::error_code ec;
  const tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return "-";
  return fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
}

boost::asio::ip::address PeerAddress(const tcp::socket& socket) {
  beast::error_code ec;
  const tcp::endpoint endpoint = socket.remote_endpoint(ec);
  if (ec) return {};
  return endpoint.address();
}

// Every X-Forwarded-For header's value, joined by "," in the order received.
std::string ForwardedFor(const bhttp::request_header<>& header) {
  std::string joined;
  const auto [first, last] = header.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) {
    if (!joined.empty()) joined += ',';
    joined.append(it->value().data(), it->value().size());
  }
  return joined;
}

bool IsParseError(beast::error_code ec) {
  return ec.category() == beast::http::make_error_code(bhttp::error::bad_target).category();
}

// Errors a server sees in normal operation: nothing to log.
bool IsExpected(beast::error_code ec) {
  return ec == asio::error::operation_aborted || ec == beast::error::timeout ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::bad_descriptor ||
         ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
         ec == asio::ssl::error::stream_truncated;
}

std::string_view MessageFor(bhttp::status status) {
  switch (status) {
    case bhttp::status::bad_request:
      return "bad request";
    case bhttp::status::not_found:
      return "not found";
    case bhttp::status::method_not_allowed:
      return "method not allowed";
    default:
      return bhttp::obsolete_reason(status);
  }
}

// How long a closing connection reads and discards what the client still sends.
constexpr std::chrono::seconds kLingerTimeout{1};

}  // namespace

// ---- ServerState ----

std::string PeerKey(const asio::ip::address& address) {
  if (address.is_v4()) return address.to_string();
  const asio::ip::address_v6 v6 = address.to_v6();
  if (v6.is_v4_mapped()) return asio::ip::make_address_v4(asio::ip::v4_mapped, v6).to_string();
  asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return asio::ip::address_v6(bytes).to_string() + "/64";
}

ServerState::Admission ServerState::Admit(const std::string& peer) {
  MutexLock lock(mutex);
  if (admitted >= options.max_connections) return Admission::kServerFull;
  std::size_t& mine = per_address[peer];
  if (options.max_connections_per_address > 0 && mine >= options.max_connections_per_address) {
    return Admission::kAddressFull;  // mine > 0 here: the entry existed
  }
  ++mine;
  ++admitted;
  return Admission::kAdmitted;
}

void ServerState::Release(const std::string& peer) {
  MutexLock lock(mutex);
  --admitted;
  const auto found = per_address.find(peer);
  if (found != per_address.end() && --found->second == 0) per_address.erase(found);
}

void ServerState::Register(const std::shared_ptr<Session>& session) {
  MutexLock lock(mutex);
  sessions[session.get()] = session;
}

void ServerState::Unregister(Session* session) {
  {
    MutexLock lock(mutex);
    sessions.erase(session);
  }
  sessions_changed.notify_all();
}

std::vector<std::shared_ptr<Session>> ServerState::LiveSessions() {
  std::vector<std::shared_ptr<Session>> live;
  MutexLock lock(mutex);
  for (const auto& [raw, weak] : sessions) {
    if (auto session = weak.lock()) live.push_back(std::move(session));
  }
  return live;
}

bool ServerState::WaitForNoSessions(std::chrono::steady_clock::time_point deadline) {
  MutexLock lock(mutex);
  return sessions_changed.wait_until(lock, deadline,
                                     [this]() PL_REQUIRES(mutex) { return sessions.empty(); });
}

void ServerState::LogError(std::string_view line) const {
  if (options.error_log) options.error_log(line);
}

// ---- Session: life cycle ----

Session::Session(tcp::socket socket, std::shared_ptr<ServerState> state, std::string peer)
    : state_(std::move(state)),
      peer_(std::move(peer)),
      remote_(RemoteAddress(socket)),
      peer_address_(PeerAddress(socket)),
      executor_(socket.get_executor()),
      idle_timer_(executor_),
      stream_(std::in_place_type<PlainStream>, std::move(socket)) {
  if (state_->options.metrics) state_->options.metrics->ConnectionOpened();
}

Session::Session(asio::local::stream_protocol::socket socket, std::shared_ptr<ServerState> state,
                 std::string peer, LocalPeer local)
    : state_(std::move(state)),
      peer_(std::move(peer)),
      remote_("unix:" + local.user),
      local_peer_(std::move(local)),
      executor_(socket.get_executor()),
      idle_timer_(executor_),
      stream_(std::in_place_type<LocalStream>, std::move(socket)) {
  if (state_->options.metrics) state_->options.metrics->ConnectionOpened();
}

Session::~Session() {
  if (state_->options.metrics) state_->options.metrics->ConnectionClosed();
  state_->Unregister(this);
  state_->Release(peer_);
}

void Session::Run() {
  state_->Register(shared_from_this());
  asio::dispatch(executor_, [self = shared_from_this()] {
    if (!self->state_->tls || self->local_peer_) return self->DoRead();
    self->ExpiresAfter(self->state_->options.header_timeout);
    beast::async_detect_ssl(
        std::get<PlainStream>(self->stream_), self->buffer_,
        [self](beast::error_code ec, bool is_tls) { self->OnDetect(ec, is_tls); });
  });
}

void Session::ExpiresAfter(std::chrono::steady_clock::duration timeout) {
  WithLowest([&](auto& lowest) { lowest.expires_after(timeout); });
}

void Session::ExpiresNever() {
  WithLowest([](auto& lowest) { lowest.expires_never(); });
}

void Session::ShutdownSend() {
  WithLowest([](auto& lowest) {
    beast::error_code ec;
    lowest.socket().shutdown(asio::socket_base::shutdown_send, ec);
  });
}

void Session::CloseSocket() {
  WithLowest([](auto& lowest) {
    beast::error_code ec;
    lowest.socket().close(ec);
  });
}

// With TLS on, the first bytes decide: a ClientHello starts the handshake (the bytes read so
// far are handed to it); anything else is plain HTTP, served only when tls_only is off.
void Session::OnDetect(beast::error_code ec, bool is_tls) {
  if (ec) return Fail(ec, "detect tls");
  if (!is_tls) {
    if (state_->options.tls_only) return Close();
    return DoRead();
  }
  PlainStream plain = std::move(std::get<PlainStream>(stream_));
  TlsStream& tls = stream_.emplace<TlsStream>(std::move(plain), *state_->tls);
  ExpiresAfter(state_->options.header_timeout);
  tls.async_handshake(
      asio::ssl::stream_base::server, buffer_.data(),
      // The default argument: Beast 1.81 checks the buffered handshake's handler against
      // void(error_code) although it calls it with (error_code, bytes used).
      [self = shared_from_this()](beast::error_code handshake_ec, std::size_t used = 0) {
        if (handshake_ec) return self->Fail(handshake_ec, "tls handshake");
        self->buffer_.consume(used);
        self->DoRead();
      });
}

// Closes the connection now only when it is idle: no request waiting for its answer and none
// partly received. A request whose first bytes are in finishes (its answer says
// Connection: close); Server::Stop's drain bounds the wait.
void Session::Shutdown() {
  asio::post(executor_, [self = shared_from_this()] {
    self->stopping_ = true;
    const bool partly_received =
        self->read_ == ReadState::kReading &&
        (self->buffer_.size() > 0 || (self->parser_ && self->parser_->got_some()));
    if (self->slots_.empty() && !partly_received) self->Close();
  });
}

void Session::ForceClose() {
  asio::post(executor_, [self = shared_from_this()] { self->Close(); });
}

// Idempotent; also ends a lingering close early.
void Session::Close() {
  closed_ = true;
  CancelIdle();
  read_ = ReadState::kDone;
  ShutdownSend();
  CloseSocket();
}

// After the last response: shut down our side and read (and discard) whatever the client
// still sends for a short while before closing. Closing with unread data would send a reset
// that can destroy the response in flight (a 413 or 431 after a partly read request).
void Session::CloseAfterResponse() {
  if (closed_) return;
  if (read_ == ReadState::kReading) return Close();
  closed_ = true;
  CancelIdle();
  read_ = ReadState::kDone;
  ExpiresAfter(kLingerTimeout);
  if (auto* tls = std::get_if<TlsStream>(&stream_)) {
    // close_notify, then the socket; the client's unread upload goes with it.
    tls->async_shutdown([self = shared_from_this()](beast::error_code) { self->CloseSocket(); });
    return;
  }
  ShutdownSend();
  Drain(std::make_shared<std::array<char, 4096>>());
}

void Session::Drain(std::shared_ptr<std::array<char, 4096>> scratch) {
  auto& buffer = *scratch;
  WithLowest([&](auto& lowest) {
    lowest.async_read_some(asio::buffer(buffer), [self = shared_from_this(),
                                                  scratch = std::move(scratch)](
                                                     beast::error_code ec, std::size_t) mutable {
      if (ec) {
        self->CloseSocket();
        return;
      }
      self->Drain(std::move(scratch));
    });
  });
}

void Session::Fail(beast::error_code ec, std::string_view what) {
  if (!IsExpected(ec)) LogError(fmt::format("http {} {}: {}", what, remote_, ec.message()));
  Close();
}

// ---- Session: reading ----

void Session::DoRead() {
  if (closed_ || stopping_) {
    read_ = ReadState::kDone;
    return;
  }
  if (slots_.size() >= state_->options.pipeline_limit) {
    read_ = ReadState::kPaused;
    return;
  }
  const ServerOptions& options = state_->options;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(options.header_limit));
  // The route decides the body limit once the header is in (OnHeader).
  parser_->body_limit(boost::none);
  // Bytes already buffered (pipelining) or a first request: a request is under way, under
  // the header deadline. Else the connection waits for its next keep-alive request: the idle
  // deadline runs only while nothing is pending (ArmIdle), so that it never cuts off a
  // response still being computed or written (the write deadline bounds that).
  const bool under_way = first_request_ || buffer_.size() > 0;
  idle_read_ = !under_way;
  if (under_way) {
    ExpiresAfter(options.header_timeout);
  } else {
    ExpiresNever();
    if (slots_.empty() && !writing_) ArmIdle();
  }
  read_ = ReadState::kReading;
  WithStream([&](auto& stream) {
    bhttp::async_read_header(
        stream, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, std::size_t) { self->OnHeader(ec); });
  });
}

// The keep-alive deadline: waiting for the next request and reading its header. Its own timer
// (not the stream's) so that it can start while the header read is already pending.
void Session::ArmIdle() {
  const std::uint64_t generation = ++idle_generation_;
  idle_timer_.expires_after(state_->options.idle_timeout);
  idle_timer_.async_wait([self = shared_from_this(), generation](beast::error_code ec) {
    if (ec || generation != self->idle_generation_ || self->closed_) return;
    self->Close();
  });
}

void Session::CancelIdle() {
  ++idle_generation_;
  idle_timer_.cancel();
}

// Answers read errors; true when the read cannot go on.
bool Session::HandleReadError(beast::error_code ec, std::string_view what) {
  if (!ec) return false;
  read_ = ReadState::kDone;
  if (ec == bhttp::error::end_of_stream) {
    peer_done_ = true;
    if (slots_.empty()) CloseAfterResponse();
  } else if (ec == bhttp::error::header_limit) {
    Reject(bhttp::status::request_header_fields_too_large, "request header too large");
  } else if (ec == bhttp::error::body_limit) {
    Reject(bhttp::status::payload_too_large, "request body too large");
  } else if (IsParseError(ec) && ec != bhttp::error::partial_message) {
    Reject(bhttp::status::bad_request, "malformed request");
  } else {
    Fail(ec, what);
  }
  return true;
}

// The most body bytes the matched route takes: none for methods that carry no body (whatever
// the route says) and for a request no route matched.
std::size_t Session::BodyLimit(bhttp::verb method) const {
  if (!match_.route) return 0;
  switch (method) {
    case bhttp::verb::get:
    case bhttp::verb::head:
    case bhttp::verb::delete_:
    case bhttp::verb::options:
    case bhttp::verb::trace:
      return 0;
    default:
      break;
  }
  const auto& route_limit = match_.route->options.body_limit;
  return route_limit ? *route_limit : state_->options.default_body_limit;
}

// The answer to a request no route matched: 404, 405 with Allow, or 400.
Response Session::RoutingError() const {
  Response response = MakeErrorResponse(match_.status, MessageFor(match_.status));
  if (!match_.allow.empty()) response.set(bhttp::field::allow, match_.allow);
  return response;
}

void Session::OnHeader(beast::error_code ec) {
  if (closed_ || HandleReadError(ec, "read header")) return;
  CancelIdle();
  started_ = Clock::now();
  const ServerOptions& options = state_->options;
  const auto& header = parser_->get();
  if (header.target().size() > options.max_target_length) {
    return Reject(bhttp::status::uri_too_long, "request target too long");
  }
  match_ = state_->router.Match(header.method(), header.target());
  client_ = local_peer_ ? remote_
                       : ResolveClient(peer_address_,
                                       options.trusted_proxies.empty() ? std::string()
                                                                       : ForwardedFor(header),
                                       options.trusted_proxies)
                             .to_string();
  const auto length = parser_->content_length();
  const bool has_body = parser_->chunked() || (length && *length > 0);
  // Nothing routed takes a body: answer now and close rather than read what nobody wants.
  if (!match_.route && has_body) return Reject(RoutingError());
  const std::size_t limit = BodyLimit(header.method());
  if (length && *length > limit) {
    return Reject(bhttp::status::payload_too_large, "request body too large");
  }
  if (match_.route && match_.route->options.admit) {
    const std::optional<std::uint64_t> declared =
        length ? std::optional<std::uint64_t>(*length) : std::nullopt;
    auto refused = match_.route->options.admit(
        RequestHead{header, client_, declared, local_peer_ ? &*local_peer_ : nullptr});
    if (refused) return Reject(std::move(*refused));
  }
  parser_->body_limit(limit);
  if (parser_->is_done()) return OnBody({});
  // Only when nothing else is being written: an interim response must not overtake or
  // interleave with earlier pipelined answers (clients then send the body after a wait).
  if (beast::iequals(header[bhttp::field::expect], "100-continue") && slots_.empty() && !writing_) {
    return SendContinue();
  }
  ReadBody();
}

void Session::SendContinue() {
  static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
  writing_ = true;
  ExpiresAfter(state_->options.write_timeout);
  WithStream([&](auto& stream) {
    asio::async_write(stream, asio::buffer(kContinue.data(), kContinue.size()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        self->writing_ = false;
                        if (ec) return self->Fail(ec, "write 100-continue");
                        self->ReadBody();
                      });
  });
}

void Session::ReadBody() {
  if (closed_) return;
  ExpiresAfter(state_->options.body_timeout);
  WithStream([&](auto& stream) {
    bhttp::async_read(stream, buffer_, *parser_,
                      [self = shared_from_this()](beast::error_code body_ec, std::size_t) {
                        self->OnBody(body_ec);
                      });
  });
}

void Session::OnBody(beast::error_code ec) {
  if (closed_ || HandleReadError(ec, "read body")) return;
  Dispatch();
}

void Session::Dispatch() {
  first_request_ = false;
  bhttp::request<bhttp::string_body> message = parser_->release();
  parser_.reset();
  Slot slot;
  slot.method = MethodLabel(message.method());
  slot.head = message.method() == bhttp::verb::head;
  slot.version = message.version();
  slot.close_after = !message.keep_alive();
  slot.start = started_;
  slot.decorate = DecorationFor(message.target());
  if (match_.route) slot.route = match_.route->path_template;
  const bool close_after = slot.close_after;
  const std::uint64_t id = first_slot_ + slots_.size();
  slots_.push_back(std::move(slot));

  if (!match_.route) {
    OnComplete(id, RoutingError());
  } else {
    Request request{std::move(message), std::move(match_.params), std::move(match_.query), remote_,
                    std::move(client_), local_peer_};
    Responder responder(shared_from_this(), id);
    try {
      match_.route->handler(std::move(request), responder);
    } catch (const std::exception& e) {
      responder.SendError(
          MakeError(ErrorCode::kInternal,
                    fmt::format("handler {} threw: {}", slots_.back().route, e.what())));
    }
  }
  if (close_after) {
    read_ = ReadState::kDone;
  } else {
    DoRead();
  }
}

// Queues an error answer after whatever is pending and closes once it is written: after a
// framing error the rest of the stream cannot be trusted.
void Session::Reject(bhttp::status status, std::string_view message) {
  Reject(MakeErrorResponse(status, message));
}

void Session::Reject(Response response) {
  read_ = ReadState::kDone;
  Slot slot;
  if (parser_ && parser_->is_header_done()) {
    slot.method = MethodLabel(parser_->get().method());
    slot.version = parser_->get().version();
    slot.decorate = DecorationFor(parser_->get().target());
  }
  slot.close_after = true;
  slot.start = Clock::now();
  const std::uint64_t id = first_slot_ + slots_.size();
  slots_.push_back(std::move(slot));
  OnComplete(id, std::move(response));
}

// ---- Session: writing ----

void Session::Complete(std::uint64_t slot, Response response) {
  asio::post(executor_,
             [self = shared_from_this(), slot, response = std::move(response)]() mutable {
               self->OnComplete(slot, std::move(response));
             });
}

void Session::OnComplete(std::uint64_t slot, Response response) {
  if (closed_ || slot < first_slot_ || slot >= first_slot_ + slots_.size()) return;
  Slot& target = slots_[slot - first_slot_];
  if (target.response) return;
  target.response = std::move(response);
  MaybeWrite();
}

void (*Session::DecorationFor(std::string_view target) const)(Response&) {
  for (const auto& d : state_->options.decorations) {
    if (target.starts_with(d.path_prefix)) return d.decorate;
  }
  return nullptr;
}

void Session::Finalize(Slot& slot) {
  Response& response = *slot.response;
  if (slot.decorate) slot.decorate(response);
  response.version(slot.version);
  if (stopping_ && slots_.size() == 1) slot.close_after = true;
  response.keep_alive(!slot.close_after);
  response.set(bhttp::field::server, state_->options.server_name);
  if (!response.has_content_length() && !response.chunked()) response.prepare_payload();
  if (slot.head) response.body().clear();
}

void Session::MaybeWrite() {
  if (writing_ || closed_ || slots_.empty() || !slots_.front().response) return;
  Finalize(slots_.front());
  writing_ = true;
  ExpiresAfter(state_->options.write_timeout);
  WithStream([&](auto& stream) {
    bhttp::async_write(stream, *slots_.front().response,
                       beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  });
}

void Session::OnWrite(beast::error_code ec, std::size_t bytes) {
  writing_ = false;
  LogRequest(slots_.front(), bytes);
  if (ec) return Fail(ec, "write");
  const bool close = slots_.front().close_after;
  slots_.pop_front();
  ++first_slot_;
  if (close || ((peer_done_ || stopping_) && slots_.empty())) return CloseAfterResponse();
  MaybeWrite();
  if (read_ == ReadState::kPaused) {
    DoRead();
  } else if (read_ == ReadState::kReading && idle_read_ && slots_.empty() && !writing_) {
    ArmIdle();  // the last pending answer is out: from now on the connection is idle
  }
}

void Session::LogRequest(const Slot& slot, std::size_t bytes) {
  const unsigned status = slot.response->result_int();
  const auto duration =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - slot.start);
  const ServerOptions& options = state_->options;
  if (options.access_log) {
    options.access_log(
        FormatAccessLog({slot.method, slot.route, status, bytes, duration, remote_}));
  }
  if (options.metrics) {
    options.metrics->ObserveRequest(slot.route, slot.method, status, bytes, duration);
  }
}

}  // namespace passledger::http
