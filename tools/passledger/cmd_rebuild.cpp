// `passledger rebuild`: replays the whole log into a fresh generation of the projection
// views and switches to it (the same online mechanism the server uses).
#include <fmt/core.h>

#include "tools/passledger/cli_support.h"
#include "tools/passledger/progress.h"

namespace passledger::tools {
namespace {

void Run(CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  const std::uint64_t before = log.projections->ActiveGenerationId();
  ProgressLine progress("rebuild");
  auto report = log.projections->Rebuild(
      [&](const projections::ReplayProgress& p) { progress.Update(p.position, p.head); });
  progress.Done();
  if (!report) {
    ctx.exit_status = ReportError("rebuild", report.error());
    return;
  }
  fmt::print("rebuilt the views: generation {} -> {}, {} events in {:.2f} s ({:.0f} events/s)\n",
             before, report->generation, report->events, report->seconds,
             report->seconds > 0 ? static_cast<double>(report->events) / report->seconds : 0.0);
}

}  // namespace

void AddRebuildCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* cmd =
      app.add_subcommand("rebuild", "Replay the log into fresh projection views and switch");
  cmd->callback([&ctx] { Run(ctx); });
}

}  // namespace passledger::tools
