// `passledger bench push`: one pass change fanned out to --devices registered devices (100,000
// by default) through the real dispatcher — registrations read from the views, one push per
// device over HTTP/2, the batch recorded as PushBatchCompleted — against the HTTP/2 TLS
// server at --url (tools/bench/push.sh starts nginx and measures h2load against the same
// server as the reference). Per run: the time from the PassRevised commit to the batch's
// record (end to end) and the pushes per second that gives. Certificate auth with development
// certificates (the bench server does not check); a scratch data directory.
#include <fmt/core.h>

#include <thread>

#include "events/catalogue.h"
#include "events/stream_names.h"
#include "handlers/import/roster_import.h"
#include "handlers/push/push_dispatcher.h"
#include "projections/read_model.h"
#include "tools/passledger/bench_support.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/demo_roster.h"
#include "tools/passledger/pass_setup.h"
#include "tools/passledger/push_setup.h"

namespace passledger::tools {
namespace {

namespace fs = std::filesystem;

struct PushBenchArgs {
  std::string url;
  std::string ca_file;
  std::size_t devices = 100'000;
  unsigned connections = 1;
  unsigned streams = 50;
  int runs = 3;
  std::string dir;
};

Result<std::string> ImportAndPickSerial(const OpenedLog& log, const Config& config) {
  const handlers::RosterImporter importer(log.log.get(), log.projections.get(), config.import);
  handlers::ImportOptions options;
  options.file_name = "demo-roster.csv";
  options.actor = "system:bench";
  if (auto ok = importer.Run(handlers::MemorySource(DemoRoster()), options); !ok) {
    return ok.error();
  }
  const projections::ReadModel read(log.projections.get());
  auto changed = read.PassesChangedSince(config.pass.pass_type_id, 0, 1);
  if (!changed) return changed.error();
  if (changed->empty()) return MakeError(ErrorCode::kInternal, "the demo roster made no pass");
  return changed->front().second;
}

// Registers `count` devices (one stream each) for `serial`, in atomic chunks.
Result<void> RegisterDevices(events::EventLog& log, const std::string& type,
                             const std::string& serial, std::size_t count) {
  constexpr std::size_t kChunk = 2000;
  for (std::size_t first = 0; first < count; first += kChunk) {
    std::vector<events::AppendRequest> requests;
    for (std::size_t i = first; i < std::min(count, first + kChunk); ++i) {
      events::AppendRequest request;
      const std::string device = fmt::format("benchdevice{:07}", i);
      request.stream = events::DeviceStream(device);
      request.actor = "system:bench";
      request.events.push_back(events::NewEvent{
          std::string(events::kDeviceRegistered), 0,
          boost::json::object{{"deviceId", device}, {"passTypeId", type}, {"serial", serial},
                              {"pushToken", fmt::format("{:064x}", i)}},
          {}, std::nullopt});
      requests.push_back(std::move(request));
    }
    if (auto ok = log.AppendAtomic(std::move(requests)); !ok) return ok.error();
  }
  return {};
}

Result<std::uint64_t> Revise(events::EventLog& log, const std::string& serial, int run) {
  events::AppendRequest request;
  request.stream = "pass-" + serial;
  request.actor = "system:bench";
  request.events.push_back(events::NewEvent{
      std::string(events::kPassRevised), 0, boost::json::object{{"serial", serial}, {"reason", fmt::format("bench {}", run)}},
      {}, std::nullopt});
  auto appended = log.Append(std::move(request));
  if (!appended) return appended.error();
  return appended->last_position;
}

void Run(const PushBenchArgs& args, CommandContext& ctx) {
  auto fail = [&](const Error& e) { ctx.exit_status = ReportError("bench push", e); };
  if (args.url.empty()) {
    return fail(MakeError(ErrorCode::kInvalidArgument, "--url of an HTTP/2 TLS server is required"));
  }
  const fs::path root = BenchScratchDir(args.dir, "push");
  fs::remove_all(root / "data");
  fs::create_directories(root);
  CommandContext bench_ctx{root / "data", kExitOk, std::nullopt};
  auto config = LoadConfig(std::nullopt, [](const char*) -> const char* { return nullptr; });
  if (!config) return fail(config.error());
  config->apns.auth = "certificate";
  config->apns.url = args.url;
  config->apns.ca_file = args.ca_file;
  config->apns.connections = args.connections;
  config->apns.max_streams = args.streams;
  config->apns.coalesce_ms = 0;
  auto log = OpenLog(bench_ctx, /*read_only=*/false);
  if (!log) return fail(MakeError(ErrorCode::kUnavailable, "cannot open the bench log"));
  auto serial = ImportAndPickSerial(log, *config);
  if (!serial) return fail(serial.error());
  const auto register_start = BenchClock::now();
  if (auto ok = RegisterDevices(*log, config->pass.pass_type_id, *serial, args.devices); !ok) {
    return fail(ok.error());
  }
  fmt::print("bench push: {} devices registered for {} in {:.1f} s; {} connection(s), {} streams "
             "each, {}\n",
             args.devices, *serial, SecondsSince(register_start), args.connections, args.streams,
             args.url);
  auto passes = SetUpPasses(*config, bench_ctx.data_dir, *log);
  if (!passes) return fail(passes.error());
  auto push = SetUpPush(*config, *passes);
  if (!push) return fail(push.error());
  const projections::ReadModel read(log.projections.get());
  handlers::PushDispatcher dispatcher(log.log.get(), read, (*push)->client.get(),
                                      (*push)->dispatcher);
  if (auto ok = dispatcher.Start(); !ok) return fail(ok.error());
  std::vector<double> seconds;
  for (int run = 1; run <= args.runs; ++run) {
    const std::uint64_t batches = dispatcher.status().batches;
    const auto before = (*push)->client->stats();
    const auto start = BenchClock::now();
    if (auto ok = Revise(*log, *serial, run); !ok) return fail(ok.error());
    while (dispatcher.status().batches == batches) {
      if (auto stopped = dispatcher.status().stopped) {
        return fail(MakeError(ErrorCode::kUnavailable, "push stopped: " + *stopped));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const double s = SecondsSince(start);
    const auto after = (*push)->client->stats();
    seconds.push_back(s);
    fmt::print("  run {}: {} devices in {:.3f} s end to end = {:.0f} pushes/s ({} delivered, {} "
               "requests, {} retried, {} without an answer, {} connections opened)\n",
               run, args.devices, s, static_cast<double>(args.devices) / s,
               after.delivered - before.delivered, after.sent - before.sent,
               after.retried - before.retried, after.transport_errors - before.transport_errors,
               after.connections_opened - before.connections_opened);
    std::fflush(stdout);
  }
  dispatcher.Stop();
  const double median = Median(seconds);
  fmt::print("bench push: median {:.3f} s for {} devices = {:.0f} pushes/s (connections={})\n",
             median, args.devices, static_cast<double>(args.devices) / median, args.connections);
  log.projections.reset();
  log.log.reset();
  std::error_code ec;
  if (args.dir.empty()) fs::remove_all(root, ec);
}

}  // namespace

void AddBenchPushCommand(CLI::App& bench, CommandContext& ctx) {
  auto args = std::make_shared<PushBenchArgs>();
  CLI::App* cmd = bench.add_subcommand("push", "One change pushed to many devices over HTTP/2");
  cmd->add_option("--url", args->url, "https://127.0.0.1:PORT of an HTTP/2 TLS server")->required();
  cmd->add_option("--ca-file", args->ca_file, "CA that signed the server's certificate");
  cmd->add_option("--devices", args->devices, "Registered devices")->default_val(100'000);
  cmd->add_option("--connections", args->connections, "HTTP/2 connections")->default_val(1);
  cmd->add_option("--streams", args->streams, "Streams per connection")->default_val(50);
  cmd->add_option("--runs", args->runs, "Runs (the median is reported)")->default_val(3);
  cmd->add_option("--dir", args->dir, "Scratch directory (kept when given)");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
