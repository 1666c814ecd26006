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
    case ErrorCode::kPermissionDenied:
    case ErrorCode::kNotFound:
    case ErrorCode::kAlreadyExists:
      return kExitRejected;
    case ErrorCode::kCorruption:
      return kExitVerifyFailed;
    default:
      return kExitError;
  }
}

OpenedLog OpenLog(CommandContext& ctx, bool read_only, bool with_projections, int max_open_files) {
  OpenedLog opened;
  auto projections = std::make_unique<projections::Projections>();
  events::OpenOptions options;
  options.data_dir = ctx.data_dir;
  options.read_only = read_only;
  options.max_open_files = max_open_files;
  if (!read_only) options.inline_projections = {projections->inline_projection()};
  auto log = events::EventLog::Open(options);
  if (!log) {
    ctx.exit_status = ReportError("cannot open " + ctx.data_dir.string(), log.error());
    return opened;
  }
  if (!read_only || with_projections) {
    if (auto ok = projections->Attach(log->get()); !ok) {
      ctx.exit_status = ReportError("cannot attach the projections", ok.error());
      projections.reset();  // before the log it reads
      return opened;
    }
    opened.projections = std::move(projections);
  }
  opened.log = std::move(*log);
  return opened;
}

std::optional<Config> LoadContextConfig(CommandContext& ctx) {
  auto config = LoadConfig(ctx.config_file);
  if (!config) {
    ctx.exit_status = ReportError("configuration", config.error());
    return std::nullopt;
  }
  return std::move(*config);
}

}  // namespace passledger::tools
