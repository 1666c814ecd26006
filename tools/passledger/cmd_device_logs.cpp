// `passledger device-logs`: prints what devices sent to POST /v1/log, from the bounded device
// log store (docs/STORAGE.md, "Device logs"), as JSON lines, oldest first. Read-only: works
// beside a running server (it sees the records stored when it opened the database).
#include <fmt/core.h>

#include <boost/json.hpp>

#include "base/time.h"
#include "projections/device_log_store.h"
#include "projections/state_as_of.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {

struct DeviceLogsArgs {
  std::string device;
  std::string client;
  std::string since;
  std::size_t limit = 1000;
};

// "2026-12-01T22:10:05.123Z"
std::string IsoTime(std::int64_t unix_ms) {
  return FormatTimestamp(unix_ms * 1000, Precision::kMillis);
}

boost::json::object ToJson(const projections::DeviceLogRecord& record) {
  boost::json::array lines;
  for (const auto& line : record.lines) lines.emplace_back(line);
  boost::json::object out{
      {"sequence", record.sequence}, {"at", IsoTime(record.at_ms)}, {"client", record.client}};
  out["device"] =
      record.device.empty() ? boost::json::value(nullptr) : boost::json::value(record.device);
  out["lines"] = std::move(lines);
  return out;
}

Result<std::int64_t> SinceMs(const std::string& text) {
  if (text.empty()) return std::int64_t{0};
  auto as_of = projections::ParseAsOf(text);
  if (!as_of) return as_of.error();
  if (!as_of->time_us) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "--since takes a time (2026-12-01T10:00:00Z or 2026-12-01), not a position");
  }
  return *as_of->time_us / 1000;
}

void Run(const DeviceLogsArgs& args, CommandContext& ctx) {
  auto since = SinceMs(args.since);
  if (!since) {
    ctx.exit_status = ReportError("device-logs --since", since.error());
    return;
  }
  auto log = OpenLog(ctx, /*read_only=*/true);
  if (!log) return;
  auto store = projections::DeviceLogStore::Open(log.log.get(), 1);
  if (!store) {
    ctx.exit_status = ReportError("device-logs", store.error());
    return;
  }
  const projections::DeviceLogQuery query{args.device, args.client, *since, args.limit};
  auto scanned = (*store)->Scan(query, [](const projections::DeviceLogRecord& record) {
    fmt::print("{}\n", boost::json::serialize(ToJson(record)));
    return true;
  });
  if (!scanned) ctx.exit_status = ReportError("device-logs", scanned.error());
}

}  // namespace

void AddDeviceLogsCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<DeviceLogsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "device-logs", "Print what devices sent to POST /v1/log (JSON lines, oldest first)");
  cmd->add_option("--device", args->device,
                  "Only records of this device library id (POST /v1/log names none: see "
                  "docs/PASSKIT.md)");
  cmd->add_option("--client", args->client, "Only records from this client hash");
  cmd->add_option("--since", args->since, "Only records received at or after this UTC time");
  cmd->add_option("--limit", args->limit, "At most this many records")
      ->default_val(1000)
      ->check(CLI::Range(std::size_t{1}, std::size_t{1'000'000}));
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
