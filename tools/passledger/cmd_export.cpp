// `passledger export`: writes events as export lines (events/envelope_json.h,
// ExportLineOptions; read back by events/export_format.h) on stdout, for
// auditors and `verify --file`. Read-only (works beside a running server); reads page by
// page, so memory does not grow with the log.
#include <fmt/core.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <string>

#include "events/envelope_json.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct ExportArgs {
  std::uint64_t from = 1;
  std::uint64_t to = 0;
  bool reveal = false;
};

constexpr std::size_t kPage = 4096;
constexpr std::size_t kFlushBytes = 1 << 20;

// Writes `text` to stdout; false on a failed write (full disk, closed pipe).
bool WriteOut(std::string& text) {
  const bool ok = std::fwrite(text.data(), 1, text.size(), stdout) == text.size();
  text.clear();
  return ok;
}

void Run(const ExportArgs& args, CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/true);
  if (!log) return;
  // The head when the export starts: the file is a fixed prefix even while a server appends.
  const std::uint64_t head = log->GetHead().position;
  const std::uint64_t last = args.to == 0 ? head : std::min(args.to, head);
  const events::ReadOptions read{args.reveal};
  std::string out;
  for (std::uint64_t position = std::max<std::uint64_t>(args.from, 1); position <= last;) {
    auto page = log->ReadRange(position, std::min<std::uint64_t>(kPage, last - position + 1), read);
    if (!page) {
      ctx.exit_status = ReportError("export", page.error());
      return;
    }
    if (page->empty()) break;
    for (const auto& event : *page) {
      if (event.envelope.position > last) break;
      auto line = events::EnvelopeJson(event, events::ExportLineOptions(args.reveal));
      if (!line) {
        ctx.exit_status = ReportError("export", line.error());
        return;
      }
      out += boost::json::serialize(*line);
      out += '\n';
    }
    if (out.size() >= kFlushBytes && !WriteOut(out)) break;
    position = page->back().envelope.position + 1;
  }
  if (!WriteOut(out) || std::fflush(stdout) != 0 || std::ferror(stdout)) {
    ctx.exit_status =
        ReportError("export", MakeError(ErrorCode::kUnavailable, "cannot write to stdout"));
  }
}

}  // namespace

void AddExportCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ExportArgs>();
  CLI::App* cmd =
      app.add_subcommand("export", "Write events as verifiable JSON lines (verify --file)");
  cmd->add_option("--from", args->from, "First position")->default_val(1);
  cmd->add_option("--to", args->to, "Last position (0 = head)")->default_val(0);
  cmd->add_flag("--reveal", args->reveal, "Add decrypted personal data (sensitive!)");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
