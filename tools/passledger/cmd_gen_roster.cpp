// `passledger gen-roster`: writes a deterministic synthetic roster in the Altru export layout
// (tools/passledger/roster_generator.h), or `--change PCT --from FILE` rewrites one with PCT%
// of its memberships changed. For tests and benchmarks of the roster import.
#include <fmt/core.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <system_error>

#include "tools/passledger/cli_support.h"
#include "tools/passledger/roster_generator.h"

namespace passledger::tools {
namespace {

struct GenRosterArgs {
  std::optional<std::uint64_t> rows;
  std::uint64_t seed = 1;
  std::string out;
  std::uint64_t bad_rows = 0;
  std::optional<double> change;
  std::string from;
};

using FilePtr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

RosterSink SinkTo(std::FILE* file) {
  return [file](std::string_view bytes) -> Result<void> {
    if (std::fwrite(bytes.data(), 1, bytes.size(), file) != bytes.size()) {
      return MakeError(ErrorCode::kUnavailable, "cannot write the roster");
    }
    return {};
  };
}

// Generates or changes the roster, writing through `sink`; returns the summary line.
Result<std::string> Produce(const GenRosterArgs& args, const RosterSink& sink) {
  if (args.change) {
    auto stats = ChangeRosterFile(args.from, ChangeSpec{*args.change, args.seed}, sink);
    if (!stats) return stats.error();
    return fmt::format("changed {} of {} memberships; wrote {} rows", stats->changed,
                       stats->memberships, stats->rows);
  }
  auto stats = GenerateRoster(RosterSpec{*args.rows, args.seed, args.bad_rows}, sink);
  if (!stats) return stats.error();
  return fmt::format("wrote {} rows ({} memberships, {} bad rows)", stats->rows, stats->memberships,
                     stats->bad_rows);
}

Result<void> WriteToStdout(const GenRosterArgs& args) {
  auto summary = Produce(args, SinkTo(stdout));
  if (!summary) return summary.error();
  if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
    return MakeError(ErrorCode::kUnavailable, "cannot write to stdout");
  }
  return {};
}

// Writes next to the target and renames, so a failed run leaves no half file (and --out may
// name the --from file).
Result<void> WriteToFile(const GenRosterArgs& args) {
  const std::filesystem::path target = args.out;
  std::filesystem::path temp = target;
  temp += ".tmp";
  FilePtr file(std::fopen(temp.c_str(), "wb"), &std::fclose);
  if (!file) return MakeError(ErrorCode::kNotFound, "cannot create " + temp.string());
  std::setvbuf(file.get(), nullptr, _IOFBF, std::size_t{1} << 20);
  auto summary = Produce(args, SinkTo(file.get()));
  const bool closed = std::fclose(file.release()) == 0;
  std::error_code ec;
  if (summary && closed) std::filesystem::rename(temp, target, ec);
  if (!summary || !closed || ec) {
    std::filesystem::remove(temp, ec);
    if (!summary) return summary.error();
    return MakeError(ErrorCode::kUnavailable, "cannot write " + target.string());
  }
  fmt::print("{} to {}\n", *summary, target.string());
  return {};
}

Result<void> CheckArgs(const GenRosterArgs& args) {
  if (args.change && args.bad_rows != 0) {
    return MakeError(ErrorCode::kInvalidArgument, "--bad-rows cannot be used with --change");
  }
  if (args.change && (*args.change < 0 || *args.change > 100)) {
    return MakeError(ErrorCode::kInvalidArgument, "--change must be between 0 and 100");
  }
  if (!args.change && !args.rows) {
    return MakeError(ErrorCode::kInvalidArgument, "the number of rows N is required");
  }
  return {};
}

void Run(const GenRosterArgs& args, CommandContext& ctx) {
  auto ok = CheckArgs(args);
  if (ok) ok = args.out.empty() ? WriteToStdout(args) : WriteToFile(args);
  if (!ok) ctx.exit_status = ReportError("gen-roster", ok.error());
}

}  // namespace

void AddGenRosterCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<GenRosterArgs>();
  CLI::App* cmd = app.add_subcommand(
      "gen-roster", "Write a deterministic synthetic roster in the Altru export layout");
  cmd->add_option("N", args->rows, "Membership rows to write (ignored with --change)");
  cmd->add_option("--seed", args->seed, "Seed: the same seed writes the same bytes")
      ->default_val(1);
  cmd->add_option("--out", args->out, "Write to this file instead of stdout");
  cmd->add_option("--bad-rows", args->bad_rows, "Add this many rows with one bad field each")
      ->default_val(0);
  auto* from = cmd->add_option("--from", args->from, "The roster to change (with --change)")
                   ->check(CLI::ExistingFile);
  cmd->add_option("--change", args->change, "Change this percentage of the memberships of --from")
      ->needs(from);
  from->needs(cmd->get_option("--change"));
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
