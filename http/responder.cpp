#include "http/responder.h"

#include <fmt/core.h>

#include <atomic>
#include <random>

#include "http/session.h"

namespace passledger::http {
namespace {

// "3f2a9c1e-0000002a": a per-process random prefix and a counter, unique within a log and
// unlikely to repeat across restarts. Reveals nothing about the request.
std::string NewRequestId() {
  static const std::uint32_t prefix = std::random_device{}();
  static std::atomic<std::uint64_t> counter{0};
  return fmt::format("{:08x}-{:08x}", prefix, counter.fetch_add(1, std::memory_order_relaxed));
}

// The answer to a server-side failure: a generic message and the id under which the details
// were logged.
Response DetailsLogged(const Session& session, const Error& error) {
  const std::string id = NewRequestId();
  session.LogError(fmt::format("http error request_id={}: {}", id, error.ToString()));
  Response response = MakeErrorResponse(StatusFor(error.code), GenericMessage(error.code), id);
  response.set("X-Request-Id", id);
  return response;
}

}  // namespace

struct Responder::State {
  State(std::shared_ptr<Session> session_in, std::uint64_t slot_in)
      : session(std::move(session_in)), slot(slot_in) {}

  // A handler that lost every copy without answering is a bug; the client still gets an
  // answer so that its connection's later responses are not held up forever.
  ~State() {
    if (sent.exchange(true)) return;
    session->Complete(
        slot,
        DetailsLogged(*session, MakeError(ErrorCode::kInternal,
                                          "handler dropped its Responder without a response")));
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

void Responder::SendError(const Error& error) const { SendError(error, nullptr); }

void Responder::SendError(const Error& error, void (*decorate)(Response&)) const {
  Response response = HidesDetails(error.code)
                          ? DetailsLogged(*state_->session, error)
                          : MakeErrorResponse(StatusFor(error.code), error.message);
  if (decorate) decorate(response);
  Send(std::move(response));
}

}  // namespace passledger::http
