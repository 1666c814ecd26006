// Responder: the one-shot completion handle a route handler gets with its request.
//
// Copyable (copies share one state). The first Send/SendError wins; later ones are ignored.
// Safe to call from any thread: the response is posted to the session's strand, which writes
// responses in request order. If every copy is destroyed without a response the client gets
// 500 (a handler bug, logged). REQUIRES: the Server is still alive when Send is called (stop
// worker pools before destroying the Server).
#pragma once

#include <memory>

#include "base/error.h"
#include "http/status.h"

namespace passledger::http {

class Session;

class Responder {
 public:
  Responder(std::shared_ptr<Session> session, std::uint64_t slot);

  void Send(Response response) const;
  // Status from StatusFor(error.code); body {"error": error.message}, except for the codes
  // HidesDetails covers (server-side failures, whose messages may name files or carry storage
  // messages): their details go to the error log under a new request id, and the body is
  // {"error": GenericMessage(code), "request_id": id}, also in an X-Request-Id header.
  void SendError(const Error& error) const;
  // The same, with `decorate` applied to the response before it is sent (headers a family of
  // routes puts on every answer, errors included).
  void SendError(const Error& error, void (*decorate)(Response&)) const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace passledger::http
