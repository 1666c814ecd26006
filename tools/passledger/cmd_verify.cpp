// `passledger verify`: walks the hash chain of the log, read-only; with `--file`, verifies an
// export file offline, without a database.
#include <fmt/core.h>

#include <chrono>
#include <fstream>
#include <iostream>

#include "events/export_verifier.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/progress.h"

namespace passledger::tools {
namespace {

struct VerifyArgs {
  std::uint64_t from = 1;
  std::uint64_t to = 0;
  std::string file;  // an export file, "-" for stdin
  bool projections = false;
};

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void RunLog(const VerifyArgs& args, CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/true);
  if (!log) return;
  const auto start = std::chrono::steady_clock::now();
  auto report = log->Verify(args.from, args.to);
  const double seconds = SecondsSince(start);
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

void RunFile(const VerifyArgs& args, CommandContext& ctx) {
  std::ifstream file;
  if (args.file != "-") {
    file.open(args.file, std::ios::binary);
    if (!file) {
      ctx.exit_status = ReportError(
          "verify", MakeError(ErrorCode::kNotFound, "cannot open export file " + args.file));
      return;
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const events::ExportVerifyReport report = events::VerifyExport(file.is_open() ? file : std::cin);
  const double seconds = SecondsSince(start);
  if (!report.ok()) {
    if (report.bad_position) {
      fmt::print(stderr, "passledger: verify: FAILED at position {}: {}\n", *report.bad_position,
                 report.problem);
    } else {
      fmt::print(stderr, "passledger: verify: FAILED at line {}: {}\n", report.bad_line.value_or(0),
                 report.problem);
    }
    ctx.exit_status = kExitVerifyFailed;
    return;
  }
  if (report.checked == 0) {
    fmt::print("ok: {} holds no events\n", args.file);
    return;
  }
  fmt::print("ok: {} events verified (positions {}..{}) in {:.3f} s, {:.0f} events/s; head {}\n",
             report.checked, report.first_position, report.last_position, seconds,
             seconds > 0 ? report.checked / seconds : 0.0, events::ToHex(report.head));
  if (report.first_position > 1) {
    // Nothing in the file proves what came before it: say what it hangs on.
    fmt::print(
        "the file starts at position {}: its chain hangs on prev_hash {} (compare with a "
        "digest or an earlier export)\n",
        report.first_position, events::ToHex(report.anchor));
  }
}

// Replays the log into memory and compares it with the live views.
void RunProjections(CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/true, /*with_projections=*/true);
  if (!log) return;
  ProgressLine progress("replay");
  auto report = log.projections->VerifyAgainstReplay(
      [&](const projections::ReplayProgress& p) { progress.Update(p.position, p.head); });
  progress.Done();
  if (!report) {
    ctx.exit_status = ReportError("verify --projections", report.error());
    return;
  }
  for (const auto& [view, digest] : report->live) {
    const std::string& replayed = report->replay[view];
    fmt::print("{:<14} {} {}\n", view, digest == replayed ? "ok  " : "DIFF", digest);
    if (digest != replayed) fmt::print("{:<14}      replay: {}\n", "", replayed);
  }
  if (!report->ok()) {
    for (const auto& d : report->differences) {
      fmt::print(stderr, "passledger: verify --projections: {} {}: live {} / replay {}\n", d.view,
                 d.key, d.live.substr(0, 300), d.replay.substr(0, 300));
    }
    fmt::print(stderr,
               "passledger: verify --projections: FAILED: the views at position {} differ "
               "from a replay of the log; run `passledger rebuild`\n",
               report->position);
    ctx.exit_status = kExitVerifyFailed;
    return;
  }
  fmt::print("ok: the views at position {} equal a replay of the log\n", report->position);
}

}  // namespace

void AddVerifyCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand("verify", "Verify the hash chain of the log or of an export");
  auto* from = cmd->add_option("--from", args->from, "First position")->default_val(1);
  auto* to = cmd->add_option("--to", args->to, "Last position (0 = head)")->default_val(0);
  auto* file =
      cmd->add_option("--file", args->file,
                      "Verify this export file (`-` = stdin) offline instead of the database")
          ->excludes(from)
          ->excludes(to);
  cmd->add_flag("--projections", args->projections,
                "Compare the live projection views with a replay of the log")
      ->excludes(from)
      ->excludes(to)
      ->excludes(file);
  cmd->callback([args, &ctx] {
    if (args->projections) {
      RunProjections(ctx);
    } else if (args->file.empty()) {
      RunLog(*args, ctx);
    } else {
      RunFile(*args, ctx);
    }
  });
}

}  // namespace passledger::tools
