#include "handlers/push/push_targets.h"

namespace passledger::handlers {

Result<std::vector<std::string>> PushTargets(const projections::ReadModel& read,
                                             std::vector<std::string> serials,
                                             std::string_view member) {
  if (member.empty()) {
    if (serials.empty()) return MakeError(ErrorCode::kInvalidArgument, "give --serial or --member");
    return serials;
  }
  auto passes = read.PassesOfMember(member);
  if (!passes) return passes.error();
  if (passes->empty()) {
    return MakeError(ErrorCode::kNotFound, "member " + std::string(member) + " has no passes");
  }
  for (const auto& pass : *passes) serials.push_back(pass.serial);
  return serials;
}

}  // namespace passledger::handlers
