// `passledger bench import`: the roster import on a generated roster (1,000,000 rows by
// default): the first import into an empty database, the identical file again, and the file
// with 1% of its memberships changed — wall time, rows/s, events/s and peak RSS of each —
// next to a raw RocksDB reference measured in the same run (unsynced batched writes of as
// many keys as the first import wrote events). Build Release (make bench).
#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "events/storage_reference.h"
#include "handlers/import/roster_import.h"
#include "tools/passledger/bench_support.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/commands.h"
#include "tools/passledger/roster_generator.h"

namespace passledger::tools {
namespace {
namespace fs = std::filesystem;
using Clock = BenchClock;

struct ImportBenchArgs {
  std::string dir;
  std::uint64_t rows = 1'000'000;
  double change_percent = 1;
};

Result<void> WriteRoster(const fs::path& path, const RosterSpec& spec) {
  std::ofstream out(path, std::ios::binary);
  auto stats = GenerateRoster(spec, [&](std::string_view bytes) -> Result<void> {
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out) return MakeError(ErrorCode::kUnavailable, "cannot write " + path.string());
    return {};
  });
  if (!stats) return stats.error();
  return {};
}

Result<void> WriteChanged(const fs::path& from, const fs::path& to, double percent) {
  std::ofstream out(to, std::ios::binary);
  auto stats =
      ChangeRosterFile(from, ChangeSpec{percent, 7}, [&](std::string_view b) -> Result<void> {
        out.write(b.data(), static_cast<std::streamsize>(b.size()));
        if (!out) return MakeError(ErrorCode::kUnavailable, "cannot write " + to.string());
        return {};
      });
  if (!stats) return stats.error();
  return {};
}

struct Phase {
  std::string name;
  double seconds = 0, rss_mib = 0;
  handlers::ImportSummary summary;
};

Result<Phase> ImportOnce(const OpenedLog& log, const fs::path& file, std::string name) {
  const double settled = events::WaitForBackgroundWork(*log.log, std::chrono::minutes(5));
  if (settled >= 0.1) fmt::print("  (waited {:.1f} s for background compactions)\n", settled);
  ResetPeakRss();
  const handlers::RosterImporter importer(log.log.get(), log.projections.get(), {});
  handlers::ImportOptions options;
  options.file_name = file.filename().string();
  options.actor = "system:bench";
  const auto start = Clock::now();
  auto summary = importer.Run(handlers::FileSource(file), options);
  if (!summary) return summary.error();
  return Phase{std::move(name), SecondsSince(start), PeakRssMiB(), std::move(*summary)};
}

void Print(const Phase& p, double goal_seconds) {
  const auto& c = p.summary.counts;
  fmt::print(
      "  {:<22} {:7.2f} s (goal ≤ {:.0f} s) {:9.0f} rows/s {:9.0f} events/s  peak RSS {:6.0f} "
      "MiB  [{} enrolled, {} changed, {} lapsed, {} reinstated, {} unchanged; {} events]\n",
      p.name, p.seconds, goal_seconds, static_cast<double>(c.rows) / p.seconds,
      static_cast<double>(p.summary.events) / p.seconds, p.rss_mib, c.enrolled, c.changed, c.lapsed,
      c.reinstated, c.unchanged, p.summary.events);
  std::fflush(stdout);
}

void Run(const ImportBenchArgs& args, CommandContext& ctx) {
  const fs::path root = BenchScratchDir(args.dir, "import");
  fs::create_directories(root);
  const fs::path roster = root / "roster.csv", changed = root / "roster-changed.csv";
  auto fail = [&](const Error& e) { ctx.exit_status = ReportError("bench import", e); };
  const auto generate_start = Clock::now();
  if (auto ok = WriteRoster(roster, RosterSpec{args.rows, 1, 0}); !ok) return fail(ok.error());
  if (auto ok = WriteChanged(roster, changed, args.change_percent); !ok) return fail(ok.error());
  fmt::print("bench import: {} rows ({:.0f} MiB) generated in {:.1f} s, data in {}\n", args.rows,
             static_cast<double>(fs::file_size(roster)) / (1 << 20), SecondsSince(generate_start),
             root.string());
  fs::remove_all(root / "data");
  CommandContext bench_ctx{root / "data", kExitOk, std::nullopt};  // no config: defaults
  auto log = OpenLog(bench_ctx, /*read_only=*/false);
  if (!log) return fail(MakeError(ErrorCode::kUnavailable, "cannot open the bench log"));
  auto first = ImportOnce(log, roster, "first import");
  if (!first) return fail(first.error());
  Print(*first, 25);
  auto again = ImportOnce(log, roster, "identical re-import");
  if (!again) return fail(again.error());
  Print(*again, 3);
  auto changes = ImportOnce(log, changed, fmt::format("{}% changed", args.change_percent));
  if (!changes) return fail(changes.error());
  Print(*changes, 5);
  auto reference = events::BatchedWriteReference(root / "raw", first->summary.events, 200);
  if (!reference) return fail(reference.error());
  const double raw = reference->KeysPerSecond();
  const double first_rate = static_cast<double>(first->summary.events) / first->seconds;
  fmt::print(
      "  raw RocksDB unsynced batched writes: {:.0f} keys/s; first import writes events "
      "at {:.0f}% of that\n",
      raw, 100 * first_rate / raw);
  log.projections.reset();  // before the log
  log.log.reset();
  std::error_code ec;
  if (args.dir.empty()) fs::remove_all(root, ec);
}

}  // namespace

void AddBenchImportCommand(CLI::App& bench, CommandContext& ctx) {
  auto args = std::make_shared<ImportBenchArgs>();
  CLI::App* cmd = bench.add_subcommand("import", "Roster import: first, identical, changed");
  cmd->add_option("--dir", args->dir, "Scratch directory (kept when given)");
  cmd->add_option("--rows", args->rows, "Rows in the generated roster")->default_val(1'000'000);
  cmd->add_option("--change", args->change_percent, "Percent of memberships changed")
      ->default_val(1.0);
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
