#include "handlers/passes/pass_tokens.h"

#include "events/catalogue.h"

namespace passledger::handlers {

Result<TokenRevocation> RevokePassToken(events::EventLog& log, const projections::ReadModel& read,
                                        std::string_view serial, std::string actor,
                                        std::string reason) {
  const std::string stream = "pass-" + std::string(serial);
  // The version first: the view read next is at least that new, so the append below fails if
  // the pass changed in between.
  auto version = log.StreamVersion(stream);
  if (!version) return version.error();
  auto pass = read.Pass(serial);
  if (!pass) return pass.error();
  if (!*pass || *version == 0) {
    return MakeError(ErrorCode::kNotFound, "no pass with serial " + std::string(serial));
  }
  const std::uint64_t current = (*pass)->token_generation;
  if (current == 0) {
    return MakeError(ErrorCode::kCorruption,
                     "pass " + std::string(serial) + " has no token generation in the views");
  }
  events::AppendRequest request;
  request.stream = stream;
  request.expected = events::ExpectedVersion::Exactly(*version);
  request.actor = std::move(actor);
  boost::json::object payload{{"serial", serial}, {"tokenGeneration", current + 1}};
  if (!reason.empty()) payload["reason"] = reason;
  request.events.push_back(
      events::NewEvent{std::string(events::kPassTokenRevoked), 0, std::move(payload), {}, {}});
  auto appended = log.Append(std::move(request));
  if (!appended) return appended.error();
  return TokenRevocation{current, current + 1, appended->last_position};
}

}  // namespace passledger::handlers
