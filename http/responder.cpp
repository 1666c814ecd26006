#include "http/responder.h"

#include <atomic>

#include "http/session.h"

namespace passledger::http {

struct Responder::State {
  State(std::shared_ptr<Session> session_in, std::uint64_t slot_in)
      : session(std::move(session_in)), slot(slot_in) {}

  // A handler that lost every copy without answering is a bug; the client still gets an
  // answer so that its connection's later responses are not held up forever.
  ~State() {
    if (sent.exchange(true)) return;
    session->LogError("http handler dropped its Responder without a response");
    session->Complete(slot,
                      MakeErrorResponse(bhttp::status::internal_server_error, "internal error"));
  }

  const std::shared_ptr<Session> session;
  const std::uint64_t slot;
  std::atomic<bool> sent{false};
};

Responder::Responder(std::shared_ptr<Session> session, std::uint64_t slot)
    : state_(std::make_shared<State>(std::move(session), slot)) {}

void Responder::Send(Response response) const {
  if (state_->sent.exchange(true)) return;
  state_->session->Complete(state_->slot, std::move(response));
}

void Responder::SendError(const Error& error) const {
  if (IsInternal(error.code)) {
    state_->session->LogError("http internal error: " + error.ToString());
    Send(MakeErrorResponse(StatusFor(error.code), "internal error"));
    return;
  }
  Send(MakeErrorResponse(StatusFor(error.code), error.message));
}

}  // namespace passledger::http
