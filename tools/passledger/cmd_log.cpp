// `passledger log`: prints events as JSON lines, read-only (works beside a running server).
#include <fmt/core.h>

#include <boost/json.hpp>

#include "events/envelope_json.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct LogArgs {
  std::string stream;
  std::uint64_t from = 1;
  std::uint64_t to = 0;
  std::string type;
  bool reveal = false;
};

constexpr std::size_t kPage = 4096;

// Prints `event` when it passes the filters; false once past --to or on a damaged event
// (reported in ctx).
bool Print(const events::RecordedEvent& event, const LogArgs& args, CommandContext& ctx) {
  if (args.to != 0 && event.envelope.position > args.to) return false;
  if (args.type.empty() || event.envelope.type == args.type) {
    auto line = events::EnvelopeJson(event, events::LogLineOptions());
    if (!line) {
      ctx.exit_status = ReportError("log", line.error());
      return false;
    }
    fmt::print("{}\n", boost::json::serialize(*line));
  }
  return true;
}

void Run(const LogArgs& args, CommandContext& ctx) {
  auto log = OpenLog(ctx, /*read_only=*/true);
  if (!log) return;
  const events::ReadOptions read{args.reveal};
  if (!args.stream.empty()) {
    std::uint64_t version = 1;
    for (;;) {
      auto page = log->ReadStream(args.stream, version, kPage, read);
      if (!page) {
        ctx.exit_status = ReportError("log", page.error());
        return;
      }
      for (const auto& event : *page) {
        if (event.envelope.position < args.from) continue;
        if (!Print(event, args, ctx)) return;
      }
      if (page->size() < kPage) return;
      version = page->back().envelope.version + 1;
    }
  }
  std::uint64_t position = args.from;
  for (;;) {
    auto page = log->ReadRange(position, kPage, read);
    if (!page) {
      ctx.exit_status = ReportError("log", page.error());
      return;
    }
    for (const auto& event : *page) {
      if (!Print(event, args, ctx)) return;
    }
    if (page->size() < kPage) return;
    position = page->back().envelope.position + 1;
  }
}

}  // namespace

void AddLogCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<LogArgs>();
  CLI::App* cmd = app.add_subcommand("log", "Print events as JSON lines");
  cmd->add_option("--stream", args->stream, "Only this stream");
  cmd->add_option("--from", args->from, "First position")->default_val(1);
  cmd->add_option("--to", args->to, "Last position (0 = head)")->default_val(0);
  cmd->add_option("--type", args->type, "Only events of this type");
  cmd->add_flag("--reveal", args->reveal, "Decrypt sealed personal data");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
