// `passledger rebuild`: replays the whole log into a fresh generation of the projection
// views and switches to it (the same online mechanism the server uses). While the server runs
// it is the server's rebuild (POST /admin/api/rebuilds over the operator socket, its progress
// polled), else this process opens the data directory and rebuilds.
#include <fmt/core.h>

#include "tools/passledger/cli_support.h"
#include "tools/passledger/progress.h"
#include "tools/passledger/server_client.h"

namespace passledger::tools {
namespace {

void PrintReport(std::uint64_t before, const projections::RebuildReport& report) {
  fmt::print("rebuilt the views: generation {} -> {}, {} events in {:.2f} s ({:.0f} events/s)\n",
             before, report.generation, report.events, report.seconds,
             report.seconds > 0 ? static_cast<double>(report.events) / report.seconds : 0.0);
}

// Polls GET /admin/api/rebuilds/{id}?after=<revision> (each waits up to a second for a change)
// until the rebuild has ended.
void RunThroughServer(ServerClient& server, CommandContext& ctx) {
  auto started = server.Call(boost::beast::http::verb::post, "/admin/api/rebuilds");
  if (!started) {
    ctx.exit_status = ReportError("rebuild", started.error());
    return;
  }
  const std::string id = std::to_string(UintOf(*started, "id"));
  ProgressLine progress("rebuild");
  std::uint64_t revision = 0;
  for (;;) {
    auto status = server.Call(
        boost::beast::http::verb::get,
        WithQuery("/admin/api/rebuilds/" + id, {{"after", std::to_string(revision)}}));
    if (!status) {
      progress.Done();
      ctx.exit_status = ReportError("rebuild", status.error());
      return;
    }
    revision = UintOf(*status, "revision");
    const auto& step = ObjectOf(*status, "progress");
    if (UintOf(step, "head") > 0) progress.Update(UintOf(step, "position"), UintOf(step, "head"));
    const std::string state = StringOf(*status, "state");
    if (state == "running") continue;
    progress.Done();
    if (state != "completed") {
      ctx.exit_status = ReportError(
          "rebuild", MakeError(ErrorCode::kInternal, StringOf(*status, "error")));
      return;
    }
    PrintReport(UintOf(*status, "generationBefore"),
                {UintOf(*status, "generation"), UintOf(*status, "events"),
                 DoubleOf(*status, "seconds")});
    return;
  }
}

void Run(CommandContext& ctx) {
  if (auto server = ServerClient::Connect(ctx.data_dir)) return RunThroughServer(*server, ctx);
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
  PrintReport(before, *report);
}

}  // namespace

void AddRebuildCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* cmd =
      app.add_subcommand("rebuild", "Replay the log into fresh projection views and switch");
  cmd->callback([&ctx] { Run(ctx); });
}

}  // namespace passledger::tools
