// `passledger import FILE`: the roster import (handlers/import/roster_import.h) from the
// command line — progress on stderr, a summary table and the rejected rows on stdout.
// Exit status 0 on success, 2 when the file is rejected, 1 on an internal error.
#include <fmt/core.h>

#include <filesystem>

#include "handlers/import/roster_import.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/progress.h"

namespace passledger::tools {
namespace {

struct ImportArgs {
  std::string file;
  bool dry_run = false;
  std::string policy_left;  // empty: the configuration's
  std::string encoding;
  std::string pass_type;
  std::size_t show = 20;
};

// The configuration's [import] table, overridden by the flags that were given.
Result<handlers::ImportConfig> ConfigFrom(const ImportArgs& args, Config config) {
  const std::pair<std::string_view, const std::string*> flags[] = {
      {"import.policy_left", &args.policy_left},
      {"import.encoding", &args.encoding},
      {"pass.type_id", &args.pass_type}};
  for (const auto& [key, value] : flags) {
    if (value->empty()) continue;
    if (auto applied = ApplyConfigValue(config, key, *value); !applied) return applied.error();
  }
  return config.import;
}

void PrintSummary(const handlers::ImportSummary& s, std::size_t show) {
  const auto& c = s.counts;
  fmt::print("import {}{}{}\n", s.import_id, s.resumed ? " (resumed)" : "",
             s.dry_run ? " — dry run, nothing written" : "");
  fmt::print("  {:<22}{:>10}\n", "rows", c.rows);
  fmt::print("  {:<22}{:>10}\n", "memberships", c.memberships);
  const std::pair<const char*, std::uint64_t> rows[] = {
      {"enrolled", c.enrolled},
      {"changed", c.changed},
      {"lapsed", c.lapsed},
      {"reinstated", c.reinstated},
      {"left the roster", c.left},
      {"unchanged", c.unchanged},
      {"rejected memberships", c.rejected_memberships},
      {"rejected rows", c.rejected_rows},
      {"forgotten (skipped)", c.forgotten_skipped},
      {"passes issued", c.passes_issued},
      {"passes revised", c.passes_revised},
      {"passes voided", c.passes_voided},
      {"passes unvoided", c.passes_unvoided},
      {"not e-mailable", c.not_emailable},
  };
  for (const auto& [name, n] : rows) fmt::print("  {:<22}{:>10}\n", name, n);
  fmt::print("  {:<22}{:>10}\n", s.dry_run ? "events (would write)" : "events written", s.events);
  if (!s.left_skipped.empty()) fmt::print("note: {}\n", s.left_skipped);
  if (!s.changes.empty()) {
    fmt::print("{} (first {}):\n", s.dry_run ? "changes" : "changes made", s.changes.size());
    for (const auto& line : s.changes) fmt::print("  {}\n", line);
  }
  if (!s.rejected.empty()) {
    fmt::print("rejected rows ({}):\n", s.rejected.size());
    std::size_t shown = 0;
    for (const auto& r : s.rejected) {
      if (shown++ == show) {
        fmt::print("  … {} more\n", s.rejected.size() - show);
        break;
      }
      fmt::print("  line {}: {}{}{}{}\n", r.line, r.column.empty() ? "" : r.column + ": ", r.reason,
                 r.value.empty() ? "" : " (\"" + r.value + "\")",
                 r.membership_id.empty() ? "" : " [membership " + r.membership_id + "]");
    }
  }
}

void Run(const ImportArgs& args, CommandContext& ctx) {
  auto base = LoadContextConfig(ctx);
  if (!base) return;
  auto config = ConfigFrom(args, std::move(*base));
  if (!config) {
    ctx.exit_status = ReportError("import", config.error());
    return;
  }
  std::error_code ec;
  const auto size = std::filesystem::file_size(args.file, ec);
  if (ec) {
    ctx.exit_status = ReportError(
        "import", MakeError(ErrorCode::kInvalidArgument, args.file + ": " + ec.message()));
    return;
  }
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return;
  ProgressLine reading("import: reading (bytes)");
  ProgressLine applying("import: applying (memberships)");
  handlers::ImportOptions options;
  options.file_name = std::filesystem::path(args.file).filename().string();
  options.actor = "system:cli-import";
  options.dry_run = args.dry_run;
  options.preview_changes = args.show;
  options.total_bytes = size;
  bool read_done = false;
  options.progress = [&](const handlers::ImportProgress& p) {
    using Phase = handlers::ImportProgress::Phase;
    if (p.phase == Phase::kReading) reading.Update(p.bytes, p.total_bytes);
    if (p.phase != Phase::kReading && !read_done) {
      reading.Update(size, size);
      reading.Done();
      read_done = true;
    }
    if (p.phase == Phase::kApplying) applying.Update(p.memberships_done, p.memberships_total);
    if (p.phase == Phase::kDone) applying.Done();
  };
  const handlers::RosterImporter importer(log.log.get(), log.projections.get(), *config);
  auto summary = importer.Run(handlers::FileSource(args.file), options);
  if (!summary) {
    if (!read_done) reading.Done();
    const auto code = summary.error().code;
    const bool rejected = code == ErrorCode::kInvalidArgument || code == ErrorCode::kTooLarge;
    ReportError(rejected ? "import: file rejected, nothing written" : "import", summary.error());
    ctx.exit_status = rejected ? kExitRejected : kExitError;
    return;
  }
  PrintSummary(*summary, args.show);
}

}  // namespace

void AddImportCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ImportArgs>();
  CLI::App* cmd = app.add_subcommand("import", "Import a membership roster export (CSV)");
  cmd->add_option("FILE", args->file, "The roster file")->required();
  cmd->add_flag("--dry-run", args->dry_run, "Compute and print the changes; write nothing");
  cmd->add_option("--policy-left", args->policy_left,
                  "Memberships absent from the file: keep their passes, or void them")
      ->check(CLI::IsMember({"keep", "void"}));
  cmd->add_option("--encoding", args->encoding,
                  "utf-8, windows-1252 or latin-1 (default: import.encoding, utf-8)");
  cmd->add_option("--pass-type", args->pass_type, "Pass type id of new passes");
  cmd->add_option("--show", args->show, "Changes and rejected rows to print")->default_val(20);
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
