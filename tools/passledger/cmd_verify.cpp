// `passledger verify`: walks the hash chain, read-only.
#include <fmt/core.h>

#include <chrono>

#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct VerifyArgs {
  std::uint64_t from = 1;
  std::uint64_t to = 0;
};

void Run(const VerifyArgs& args, CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/true);
  if (!log) return;
  const auto start = std::chrono::steady_clock::now();
  auto report = log->Verify(args.from, args.to);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!report) {
    ctx.exit_status = ReportError("verify", report.error());
    return;
  }
  if (!report->ok()) {
    fmt::print(stderr, "passledger: verify: FAILED at position {}: {}\n", *report->first_bad,
               report->problem);
    ctx.exit_status = kExitVerifyFailed;
    return;
  }
  fmt::print("ok: {} events verified (positions {}..{}) in {:.3f} s, {:.0f} events/s; head {}\n",
             report->checked, report->checked == 0 ? 0 : std::max<std::uint64_t>(args.from, 1),
             report->head.position, seconds, seconds > 0 ? report->checked / seconds : 0.0,
             events::ToHex(report->head.hash));
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand("verify", "Verify the hash chain of the log");
  cmd->add_option("--from", args->from, "First position")->default_val(1);
  cmd->add_option("--to", args->to, "Last position (0 = head)")->default_val(0);
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
