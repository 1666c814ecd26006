#include "handlers/passes/pass_tokens.h"

#include "events/catalogue.h"
#include "handlers/passes/pass_actions.h"

namespace passledger::handlers {

Result<TokenRevocation> RevokePassToken(events::EventLog& log, const projections::ReadModel& read,
                                        std::string_view serial, std::string actor,
                                        std::string reason) {
  auto at = ReadPassForChange(log, read, serial);
  if (!at) return at.error();
  const std::uint64_t current = at->pass.token_generation;
  if (current == 0) {
    return MakeError(ErrorCode::kCorruption,
                     "pass " + std::string(serial) + " has no token generation in the views");
  }
  events::AppendRequest request;
  request.stream = "pass-" + at->pass.serial;
  request.expected = events::ExpectedVersion::Exactly(at->version);
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
