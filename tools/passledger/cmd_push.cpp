// `passledger push --serial S | --member ID`: tells every device registered for those passes,
// now, as one recorded batch of the push dispatcher (docs/PUSH.md) — for operators, e.g.
// after fixing a push configuration. It holds the data directory for writing, so it runs
// while the server is stopped (the server's own dispatcher pushes every change anyway).
#include <fmt/core.h>

#include "handlers/push/push_dispatcher.h"
#include "projections/read_model.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/pass_setup.h"
#include "tools/passledger/push_setup.h"

namespace passledger::tools {
namespace {

struct PushArgs {
  std::vector<std::string> serials;
  std::string member;
};

Result<std::vector<std::string>> SerialsOf(const PushArgs& args,
                                           const projections::ReadModel& read) {
  if (args.member.empty()) return args.serials;
  auto passes = read.PassesOfMember(args.member);
  if (!passes) return passes.error();
  if (passes->empty()) {
    return MakeError(ErrorCode::kNotFound, "member " + args.member + " has no passes");
  }
  std::vector<std::string> serials = args.serials;
  for (const auto& pass : *passes) serials.push_back(pass.serial);
  return serials;
}

void Run(const PushArgs& args, CommandContext& ctx) {
  if (args.serials.empty() && args.member.empty()) {
    ctx.exit_status = ReportError(
        "push", MakeError(ErrorCode::kInvalidArgument, "give --serial or --member"));
    return;
  }
  auto config = LoadContextConfig(ctx);
  if (!config) return;
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
    ctx.exit_status = ReportError(
        "push", MakeError(ErrorCode::kFailedPrecondition,
                          "push is off (apns.auth = \"" + config->push_auth() +
                              "\"); docs/PUSH.md says how to turn it on"));
    return;
  }
  const projections::ReadModel read(log.projections.get());
  auto serials = SerialsOf(args, read);
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
  fmt::print("pushed {} device(s): {} delivered, {} unregistered, {} kept, {} failed "
             "(PushBatchCompleted at position {})\n",
             report->devices, report->delivered, report->unregistered, report->kept,
             report->failed, report->recorded_position);
  if (report->failed > 0) ctx.exit_status = kExitError;
}

}  // namespace

void AddPushCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<PushArgs>();
  CLI::App* cmd = app.add_subcommand("push", "Push to the devices of passes now (server stopped)");
  cmd->add_option("--serial", args->serials, "A pass serial (repeatable)");
  cmd->add_option("--member", args->member, "Every pass of this membership id");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
