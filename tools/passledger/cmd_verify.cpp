// `passledger verify`: walks the hash chain of the log, read-only; with `--file`, verifies an
// export file offline, without a database.
#include <fmt/core.h>

#include <boost/json/parse.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "events/data_dir.h"
#include "events/digest.h"
#include "events/export_verifier.h"
#include "events/storage_format.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/progress.h"

namespace passledger::tools {
namespace {

struct VerifyArgs {
  std::uint64_t from = 1;
  std::uint64_t to = 0;
  std::string file;    // an export file, "-" for stdin
  std::string digest;  // with --file: a digest file the export must contain
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
             passledger::ToHex(report->head.hash));
}

Result<events::SignedDigest> ReadDigest(const std::string& path) {
  auto text = passledger::ReadSmallFile(path, 64 << 10);
  if (!text) return MakeError(ErrorCode::kNotFound, "cannot read digest file " + path);
  boost::system::error_code ec;
  auto value = boost::json::parse(*text, ec);
  if (ec || !value.is_object()) {
    return MakeError(ErrorCode::kInvalidArgument, path + " is not a JSON digest");
  }
  auto digest = events::ReadSignedDigest(value.as_object());
  if (!digest) return MakeError(digest.error().code, path + ": " + digest.error().message);
  return digest;
}

// Checks revealed plaintext with the data directory's key, when it opens (read-only, with its
// master key); the event stored at the line's position must be the line's event (same hash,
// so the same ciphertext).
events::RevealedChecker RevealedCheckerFor(std::shared_ptr<events::EventLog> log) {
  return [log](const events::Envelope& envelope, const boost::json::object& personal,
               std::uint32_t schema_version) -> Result<bool> {
    auto stored = log->ReadRange(envelope.position, 1, events::ReadOptions{.reveal = true});
    if (!stored) return stored.error();
    if (stored->empty() || stored->front().envelope.hash != envelope.hash) {
      return MakeError(ErrorCode::kFailedPrecondition,
                       "the data directory holds another event at position " +
                           std::to_string(envelope.position));
    }
    const events::RecordedEvent& event = stored->front();
    if (event.personal_state != events::PersonalState::kRevealed) {
      return MakeError(
          ErrorCode::kFailedPrecondition,
          "the subject of position " + std::to_string(envelope.position) + " has been forgotten");
    }
    return event.personal == personal && event.schema_version == schema_version;
  };
}

std::shared_ptr<events::EventLog> OpenQuietly(const std::filesystem::path& data_dir) {
  std::error_code ec;
  if (!std::filesystem::exists(data_dir / events::format::kMarkerFile, ec)) return nullptr;
  events::OpenOptions options;
  options.data_dir = data_dir;
  options.read_only = true;
  auto log = events::EventLog::Open(options);
  if (!log) return nullptr;
  return std::shared_ptr<events::EventLog>(std::move(*log));
}

void PrintCoverage(const events::ExportVerifyReport& report, const std::string& key_note) {
  fmt::print(
      "covered by the chain: every line's envelope, payload and sealed ciphertext ({} events "
      "with a sealed part)\n",
      report.sealed);
  if (report.revealed == 0) {
    fmt::print("no revealed plaintext in the file\n");
    return;
  }
  fmt::print(
      "NOT covered by the chain: the revealed plaintext (\"personal\", added by export "
      "--reveal) of {} events\n",
      report.revealed);
  if (report.revealed_matched > 0) {
    fmt::print("  {} of them checked against their ciphertext with the key of {}: equal\n",
               report.revealed_matched, key_note);
  }
  const std::uint64_t unchecked = report.revealed - report.revealed_matched;
  if (unchecked > 0) {
    fmt::print("  {} of them NOT checked: {}\n", unchecked,
               report.unchecked_reason.empty() ? "no key (run with --data DIR of the log that "
                                                 "wrote them)"
                                               : report.unchecked_reason);
  }
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
  events::ExportVerifyOptions options;
  std::optional<events::SignedDigest> digest;
  if (!args.digest.empty()) {
    auto read = ReadDigest(args.digest);
    if (!read) {
      ctx.exit_status = ReportError("verify --digest", read.error());
      return;
    }
    digest = *read;
    options.required = std::make_pair(digest->position, digest->head_hash);
  }
  std::shared_ptr<events::EventLog> log = OpenQuietly(ctx.data_dir);
  if (log) options.check_revealed = RevealedCheckerFor(log);
  const auto start = std::chrono::steady_clock::now();
  const events::ExportVerifyReport report =
      events::VerifyExport(file.is_open() ? file : std::cin, std::move(options));
  const double seconds = SecondsSince(start);
  if (!report.ok()) {
    if (report.bad_position) {
      fmt::print(stderr, "passledger: verify: FAILED at position {}: {}\n", *report.bad_position,
                 report.problem);
    } else if (report.bad_line) {
      fmt::print(stderr, "passledger: verify: FAILED at line {}: {}\n", *report.bad_line,
                 report.problem);
    } else {
      fmt::print(stderr, "passledger: verify: FAILED: {}: {}\n", args.file, report.problem);
    }
    ctx.exit_status = kExitVerifyFailed;
    return;
  }
  fmt::print("ok: {} events verified (positions {}..{}) in {:.3f} s, {:.0f} events/s; head {}\n",
             report.checked, report.first_position, report.last_position, seconds,
             seconds > 0 ? report.checked / seconds : 0.0, passledger::ToHex(report.head));
  if (digest) {
    fmt::print(
        "anchored: position {} has the hash of the digest {} (signed by public key {}: compare "
        "it with the server's)\n",
        digest->position, args.digest, digest->public_key_hex);
  } else if (report.first_position > 1) {
    // Nothing in the file proves what came before it: say what it hangs on.
    fmt::print(
        "the file starts at position {}: its chain hangs on prev_hash {} (compare with a "
        "digest or an earlier export)\n",
        report.first_position, passledger::ToHex(report.anchor));
  } else {
    fmt::print("not anchored: compare the head with a signed digest (--digest FILE)\n");
  }
  PrintCoverage(report, ctx.data_dir.string());
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
  cmd->add_option("--digest", args->digest,
                  "With --file: a signed digest (`passledger digest`) whose position and hash "
                  "the export must contain")
      ->needs(file);
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
