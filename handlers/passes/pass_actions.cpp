#include "handlers/passes/pass_actions.h"

#include "events/catalogue.h"

namespace passledger::handlers {
namespace {

bool HasControl(std::string_view text) {
  for (const unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

Result<PassActionOutcome> AppendChange(events::EventLog& log, const projections::ReadModel& read,
                                       const PassAtVersion& at, std::string_view type,
                                       std::string_view reason, std::string actor) {
  events::AppendRequest request;
  request.stream = "pass-" + at.pass.serial;
  request.expected = events::ExpectedVersion::Exactly(at.version);
  request.actor = std::move(actor);
  request.events.push_back(events::NewEvent{
      std::string(type), 0, boost::json::object{{"serial", at.pass.serial}, {"reason", reason}},
      {}, {}});
  auto devices = read.CountDevicesForSerial(at.pass.serial, 1'000'000);
  if (!devices) return devices.error();
  auto appended = log.Append(std::move(request));
  if (!appended) return appended.error();
  return PassActionOutcome{appended->last_position, *devices};
}

}  // namespace

Result<PassAtVersion> ReadPassForChange(events::EventLog& log, const projections::ReadModel& read,
                                        std::string_view serial) {
  const std::string stream = "pass-" + std::string(serial);
  auto version = log.StreamVersion(stream);
  if (!version) return version.error();
  auto pass = read.Pass(serial);
  if (!pass) return pass.error();
  if (!*pass || *version == 0) {
    return MakeError(ErrorCode::kNotFound, "no pass with serial " + std::string(serial));
  }
  return PassAtVersion{std::move(**pass), *version};
}

Result<PassActionOutcome> VoidPass(events::EventLog& log, const projections::ReadModel& read,
                                   std::string_view serial, std::string_view reason,
                                   std::string actor) {
  if (reason.empty() || reason.size() > kMaxVoidReason || HasControl(reason)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "give a reason of 1 to " + std::to_string(kMaxVoidReason) +
                         " characters, on one line");
  }
  auto at = ReadPassForChange(log, read, serial);
  if (!at) return at.error();
  if (at->pass.voided) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "pass " + at->pass.serial + " is already void (" + at->pass.void_reason + ")");
  }
  return AppendChange(log, read, *at, events::kPassVoided, reason, std::move(actor));
}

Result<PassActionOutcome> UnvoidPass(events::EventLog& log, const projections::ReadModel& read,
                                     std::string_view serial, std::string actor) {
  auto at = ReadPassForChange(log, read, serial);
  if (!at) return at.error();
  if (at->pass.forgotten) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     "pass " + at->pass.serial + " belongs to a forgotten member: it stays void");
  }
  if (!at->pass.voided) {
    return MakeError(ErrorCode::kFailedPrecondition, "pass " + at->pass.serial + " is not void");
  }
  return AppendChange(log, read, *at, events::kPassUnvoided, "unvoided by staff",
                      std::move(actor));
}

}  // namespace passledger::handlers
