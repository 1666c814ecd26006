// Router: maps (method, path) to a handler through path templates such as
// "/v1/devices/{device}/registrations/{passType}/{serial}".
//
// Matching splits the path (the target without its query) into '/'-separated segments and
// percent-decodes each: invalid percent-encoding, "." and ".." segments (raw or decoded) and
// a decoded '/' or NUL are 400; empty segments ("//") match nothing, so 404. A trailing '/'
// ("/admin/") is an empty last segment, which only a template ending in '/' matches.
// A literal template segment must equal the decoded segment; "{name}" captures it. A path no
// template matches is 404; a path matched only under other methods is 405 with Allow. The
// first registered route that matches wins.
//
// Thread-safety: Add only before the Server starts; Match is const and safe from any thread.
// The Router must outlive every Server using it.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/verb.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/responder.h"

namespace passledger::http {

namespace bhttp = boost::beast::http;

// The client of a connection to the operator socket (ServerOptions::operator_socket), from the
// kernel's peer credentials (SO_PEERCRED): the server's own uid or root.
struct LocalPeer {
  std::uint32_t uid = 0;
  std::string user;  // the uid's login name, or "uid-<n>" when it has none
};

// One request as a handler sees it: the Beast message plus what routing found.
struct Request {
  bhttp::request<bhttp::string_body> message;
  std::map<std::string, std::string, std::less<>> params;  // decoded {captures}
  std::string query;                                       // raw, without the '?'
  std::string remote;                                      // the peer, "address:port"
  // Who sent it: the peer's address, or the one a trusted proxy gave in X-Forwarded-For
  // (ServerOptions::trusted_proxies, http/client_address.h); no port.
  std::string client;
  // Set only by a session of the operator socket, never from anything the client sent: a TCP
  // request can never carry it. The admin routes then skip the cookie session and CSRF.
  std::optional<LocalPeer> local_peer;

  // The decoded captured segment; empty if the template has no such {name}.
  [[nodiscard]] std::string_view Param(std::string_view name) const;
  // The first decoded query value for `name` ('+' is a space); nullopt if absent or
  // badly encoded.
  [[nodiscard]] std::optional<std::string> QueryParam(std::string_view name) const;
  // About the bytes this request holds (body, target, header fields): what a queued task
  // carrying it costs a WorkerPool's byte budget.
  [[nodiscard]] std::size_t ApproximateBytes() const;
};

// Called on an I/O thread; must not block. Blocking work goes to a WorkerPool with the
// Responder, which may be completed later from any thread.
using Handler = std::function<void(Request&&, Responder)>;

// What a route's admission check sees: the request line and headers, before any of the
// body is read.
struct RequestHead {
  const bhttp::request_header<>& header;
  std::string_view client;                      // as Request::client
  std::optional<std::uint64_t> content_length;  // nullopt: none given (chunked or no body)
  const LocalPeer* local_peer = nullptr;  // as Request::local_peer: the operator socket's peer
};

// Called on the I/O thread once the header is in and the body limit passed, before the body
// is read (and before 100 Continue is sent); must not block. A response refuses the request:
// it is sent without reading the body and the connection is closed after it. nullopt admits.
using Admission = std::function<std::optional<Response>(const RequestHead&)>;

struct RouteOptions {
  // Default: ServerOptions::default_body_limit. Ignored (zero) for GET, HEAD, DELETE,
  // OPTIONS and TRACE, which carry no body here.
  std::optional<std::size_t> body_limit;
  Admission admit = nullptr;  // optional
};

struct Route {
  std::vector<bhttp::verb> methods;
  std::string path_template;
  std::vector<std::string> segments;  // the template split at '/'
  Handler handler;
  RouteOptions options;
};

struct RouteMatch {
  bhttp::status status = bhttp::status::ok;  // ok, bad_request, not_found, method_not_allowed
  const Route* route = nullptr;              // set when status is ok
  std::map<std::string, std::string, std::less<>> params;
  std::string query;
  std::string allow;  // for 405: "GET, HEAD"
};

// Percent-decodes `in`; nullopt on a truncated or non-hex escape. `plus_is_space` for
// query strings.
[[nodiscard]] std::optional<std::string> PercentDecode(std::string_view in,
                                                       bool plus_is_space = false);

class Router {
 public:
  // REQUIRES: path_template starts with '/', has no empty segments except a trailing '/'
  // after at least one segment ("/admin/"), and each "{name}" is a whole segment. Throws std::invalid_argument otherwise (a bug at start-up).
  void Add(std::initializer_list<bhttp::verb> methods, std::string_view path_template,
           Handler handler, RouteOptions options = {});

  // `target` is the request-target as received ("/a/b?x=1").
  [[nodiscard]] RouteMatch Match(bhttp::verb method, std::string_view target) const;

 private:
  std::vector<Route> routes_;
};

}  // namespace passledger::http
