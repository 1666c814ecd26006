// The passes a manual push (`passledger push`, POST /admin/api/push) tells: the serials given
// and every pass of a membership. Socket-free; thread-safe over a thread-safe ReadModel.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "projections/read_model.h"

namespace passledger::handlers {

// `serials`, then every pass of `member` when it is not empty. kInvalidArgument when both are
// empty; kNotFound for a member without passes. Unknown serials are PushNow's to refuse.
Result<std::vector<std::string>> PushTargets(const projections::ReadModel& read,
                                             std::vector<std::string> serials,
                                             std::string_view member);

}  // namespace passledger::handlers
