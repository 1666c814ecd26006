#include "tools/passledger/cli_support.h"

#include <unistd.h>

#include <fmt/core.h>

#include <cstdio>
#include <memory>

#include "tools/passledger/progress.h"

namespace passledger::tools {

std::string CliActor(std::string_view given) {
  if (!given.empty()) return std::string(given);
  const char* login = getlogin();
  return "cli:" + std::string(login != nullptr ? login : "operator");
}

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

int ReportRefused(std::string_view what, const Error& error) {
  const int status = ReportError(what, error);
  return error.code == ErrorCode::kFailedPrecondition ? kExitRejected : status;
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
    // Only a migration of the views' record format takes long here: say so, show progress.
    std::unique_ptr<ProgressLine> migration;
    auto notice = [&](const std::string& line) {
      fmt::print(stderr, "passledger: {}\n", line);
      if (!migration) migration = std::make_unique<ProgressLine>("rebuilding the views");
    };
    auto progress = [&](const projections::ReplayProgress& p) {
      if (migration) migration->Update(p.position, p.head);
    };
    auto attached = projections->Attach(log->get(), progress, notice);
    if (migration) migration->Done();
    if (auto ok = std::move(attached); !ok) {
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
