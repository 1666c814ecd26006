#include "tools/passledger/cli_support.h"

#include <fmt/core.h>

#include <cstdio>

namespace passledger::tools {

int ReportError(std::string_view what, const Error& error) {
  fmt::print(stderr, "passledger: {}: {}\n", what,
             error.message.empty() ? std::string(ErrorCodeName(error.code)) : error.message);
  switch (error.code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kTooLarge:
    case ErrorCode::kConflict:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
      return kExitRejected;
    case ErrorCode::kCorruption:
      return kExitVerifyFailed;
    default:
      return kExitError;
  }
}

std::unique_ptr<events::EventLog> OpenLog(CommandContext& ctx, bool read_only) {
  events::OpenOptions options;
  options.data_dir = ctx.data_dir;
  options.read_only = read_only;
  auto log = events::EventLog::Open(options);
  if (!log) {
    ctx.exit_status = ReportError("cannot open " + ctx.data_dir.string(), log.error());
    return nullptr;
  }
  return std::move(*log);
}

}  // namespace passledger::tools
