// `passledger push --serial S | --member ID`: tells every device registered for those passes,
// now, as one recorded batch of the push dispatcher (docs/PUSH.md) — for operators, e.g.
// after fixing a push configuration. While the server runs it goes through the server's own
// dispatcher (POST /admin/api/push over the operator socket), else it opens the data
// directory and pushes itself.
#include <fmt/core.h>

#include <boost/json/array.hpp>

#include "handlers/push/push_dispatcher.h"
#include "handlers/push/push_targets.h"
#include "projections/read_model.h"
#include "tools/passledger/admin_setup.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/pass_setup.h"
#include "tools/passledger/push_setup.h"
#include "tools/passledger/server_client.h"

namespace passledger::tools {
namespace {

struct PushArgs {
  std::vector<std::string> serials;
  std::string member;
};

void PrintReport(const handlers::PushBatchReport& report, CommandContext& ctx) {
  fmt::print("pushed {} device(s): {} delivered, {} unregistered, {} kept, {} failed "
             "(PushBatchCompleted at position {})\n",
             report.devices, report.delivered, report.unregistered, report.kept, report.failed,
             report.recorded_position);
  if (report.failed > 0) ctx.exit_status = kExitError;
}

// Through the running server: POST /admin/api/push, one batch of its own dispatcher.
void RunThroughServer(ServerClient& server, const PushArgs& args, CommandContext& ctx) {
  boost::json::array serials;
  for (const auto& serial : args.serials) serials.emplace_back(serial);
  auto answer = server.Call(boost::beast::http::verb::post, "/admin/api/push",
                            {{"serials", std::move(serials)}, {"member", args.member}});
  if (!answer) {
    ctx.exit_status = ReportError("push", answer.error());
    return;
  }
  handlers::PushBatchReport report;
  report.devices = UintOf(*answer, "devices");
  report.delivered = UintOf(*answer, "delivered");
  report.unregistered = UintOf(*answer, "unregistered");
  report.kept = UintOf(*answer, "kept");
  report.failed = UintOf(*answer, "failed");
  report.recorded_position = UintOf(*answer, "recordedPosition");
  PrintReport(report, ctx);
}

void Run(const PushArgs& args, CommandContext& ctx) {
  if (args.serials.empty() && args.member.empty()) {
    ctx.exit_status = ReportError(
        "push", MakeError(ErrorCode::kInvalidArgument, "give --serial or --member"));
    return;
  }
  auto config = LoadContextConfig(ctx);
  if (!config) return;
  if (auto server = ServerClient::Connect(ctx.data_dir)) return RunThroughServer(*server, args, ctx);
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  auto passes = SetUpPasses(*config, ctx.data_dir, *log);
  if (!passes) {
    ctx.exit_status = ReportError("push", passes.error());
    return;
  }
  auto push = SetUpPush(*config, *passes);
  if (!push) {
    ctx.exit_status = ReportError("push", push.error());
    return;
  }
  if (!*push) {
    ctx.exit_status =
        ReportError("push", MakeError(ErrorCode::kFailedPrecondition, PushOffMessage(*config)));
    return;
  }
  const projections::ReadModel read(log.projections.get());
  auto serials = handlers::PushTargets(read, args.serials, args.member);
  if (!serials) {
    ctx.exit_status = ReportError("push", serials.error());
    return;
  }
  handlers::PushDispatcher dispatcher(log.log.get(), read, (*push)->client.get(),
                                      (*push)->dispatcher);
  auto report = dispatcher.PushNow(*serials);
  if (!report) {
    ctx.exit_status = ReportError("push", report.error());
    return;
  }
  PrintReport(*report, ctx);
}

}  // namespace

void AddPushCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<PushArgs>();
  CLI::App* cmd = app.add_subcommand("push", "Push to the devices of passes now");
  cmd->add_option("--serial", args->serials, "A pass serial (repeatable)");
  cmd->add_option("--member", args->member, "Every pass of this membership id");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
