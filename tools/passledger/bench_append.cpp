// `passledger bench append`: durable append throughput against raw RocksDB in the same run,
// and verify throughput. Build Release for meaningful figures (make bench).
//
// Each scenario runs `--runs` times, alternating ours and the reference so machine noise
// hits both; the report gives medians and the median of per-run ratios.
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "events/storage_reference.h"
#include "tools/passledger/bench_support.h"
#include "tools/passledger/cli_support.h"

namespace passledger::tools {
namespace {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct BenchArgs {
  std::string dir;
  double seconds = 3.0;
  int runs = 3;
  std::uint64_t verify_events = 1'000'000;
  bool skip_verify = false;
  std::string only;  // "REQUESTERS:EVENTS" to run one scenario (profiling)
};

struct Scenario {
  int requesters;
  int events_per_request;
};

constexpr std::size_t kEventBytes = 300;

// A payload whose JSON text is kEventBytes long.
boost::json::object Payload300() {
  const std::string prefix = R"({"data":"")";
  return boost::json::object{{"data", std::string(kEventBytes - prefix.size() - 2, 'x')}};
}

// Runs `body(thread_index)` on n threads until `seconds` pass; body returns events done.
template <class Body>
double RunTimed(int n, double seconds, Body body) {
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> total{0};
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      std::uint64_t done = 0;
      while (!stop.load(std::memory_order_relaxed)) done += body(t);
      total += done;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : threads) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(total.load()) / elapsed;
}

Result<double> MeasureOurs(const fs::path& dir, const Scenario& s, double seconds) {
  events::OpenOptions options;
  options.data_dir = dir;
  auto log = events::EventLog::Open(options);
  if (!log) return log.error();
  const auto payload = Payload300();
  std::atomic<bool> failed{false};
  Error first_error;
  const double rate = RunTimed(s.requesters, seconds, [&](int t) -> std::uint64_t {
    events::AppendRequest request;
    request.stream = "bench-" + std::to_string(t);
    request.actor = "system:bench";
    request.correlation_id = "bench";
    for (int i = 0; i < s.events_per_request; ++i) {
      request.events.push_back(events::NewEvent{"BenchEvent", 0, payload, {}, std::nullopt});
    }
    auto result = (*log)->Append(std::move(request));
    if (!result) {
      if (!failed.exchange(true)) first_error = result.error();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      return 0;
    }
    return static_cast<std::uint64_t>(s.events_per_request);
  });
  if (failed) return first_error;
  return rate;
}

// Reference: one synced RocksDB batch of kEventBytes-byte puts per request, same harness.
Result<double> MeasureRaw(const fs::path& dir, const Scenario& s, double seconds) {
  auto db = events::ReferenceDb::Open(dir);
  if (!db) return db.error();
  std::atomic<std::uint64_t> next_key{1};
  const std::string value(kEventBytes, 'x');
  const auto count = static_cast<std::size_t>(s.events_per_request);
  return RunTimed(s.requesters, seconds, [&](int) -> std::uint64_t {
    auto written = db->Write(next_key.fetch_add(count), count, value, /*sync=*/true);
    return written ? count : 0;
  });
}

void BenchScenarios(const BenchArgs& args, const fs::path& root, CommandContext& ctx) {
  std::vector<Scenario> scenarios = {{1, 1}, {16, 1}, {256, 1}, {256, 100}};
  if (!args.only.empty()) {
    Scenario one{};
    if (std::sscanf(args.only.c_str(), "%d:%d", &one.requesters, &one.events_per_request) != 2 ||
        one.requesters < 1 || one.events_per_request < 1) {
      fmt::print(stderr, "passledger: bench append: --only wants REQUESTERS:EVENTS\n");
      ctx.exit_status = kExitRejected;
      return;
    }
    scenarios = {one};
  }
  fmt::print("durable appends of {}-byte events, {} runs x {:.1f} s each, data in {}\n",
             kEventBytes, args.runs, args.seconds, root.string());
  fmt::print("{:>11} {:>10} | {:>14} {:>16} {:>7}\n", "requesters", "events/req", "passledger ev/s",
             "raw rocksdb ev/s", "ratio");
  int dir_index = 0;
  for (const auto& s : scenarios) {
    std::vector<double> ours, raw, ratios;
    for (int run = 0; run < args.runs; ++run) {
      auto a = MeasureOurs(root / fmt::format("log-{}", dir_index++), s, args.seconds);
      auto b = MeasureRaw(root / fmt::format("raw-{}", dir_index++), s, args.seconds);
      if (!a || !b) {
        ctx.exit_status = ReportError("bench append", a ? b.error() : a.error());
        return;
      }
      ours.push_back(*a);
      raw.push_back(*b);
      ratios.push_back(*a / *b);
    }
    fmt::print("{:>11} {:>10} | {:>14.0f} {:>16.0f} {:>6.0f}%\n", s.requesters,
               s.events_per_request, Median(ours), Median(raw), 100 * Median(ratios));
    std::fflush(stdout);
  }
}

Result<void> FillLog(const fs::path& dir, std::uint64_t count) {
  events::OpenOptions options;
  options.data_dir = dir;
  auto log = events::EventLog::Open(options);
  if (!log) return log.error();
  const auto payload = Payload300();
  constexpr std::uint64_t kPerCall = 2000;
  for (std::uint64_t done = 0; done < count; done += kPerCall) {
    std::vector<events::AppendRequest> requests;
    for (std::uint64_t i = 0; i < std::min(kPerCall, count - done); ++i) {
      events::AppendRequest request;
      request.stream = "bench-" + std::to_string((done + i) % 1000);
      request.actor = "system:bench";
      request.correlation_id = "bench";
      request.events.push_back(events::NewEvent{"BenchEvent", 0, payload, {}, std::nullopt});
      requests.push_back(std::move(request));
    }
    auto appended = (*log)->AppendAtomic(std::move(requests));
    if (!appended) return appended.error();
  }
  return {};
}

void BenchVerify(const BenchArgs& args, const fs::path& root, CommandContext& ctx) {
  const fs::path dir = root / "verify";
  fmt::print("\nverify: filling a log of {} events...\n", args.verify_events);
  std::fflush(stdout);
  if (auto ok = FillLog(dir, args.verify_events); !ok) {
    ctx.exit_status = ReportError("bench verify", ok.error());
    return;
  }
  events::OpenOptions options;
  options.data_dir = dir;
  options.read_only = true;
  auto log = events::EventLog::Open(options);
  if (!log) {
    ctx.exit_status = ReportError("bench verify", log.error());
    return;
  }
  std::vector<double> rates, scans;
  for (int run = 0; run < args.runs; ++run) {
    const auto start = Clock::now();
    auto report = (*log)->Verify();
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    if (!report || !report->ok() || report->checked != args.verify_events) {
      fmt::print(stderr, "passledger: bench verify: the filled log does not verify\n");
      ctx.exit_status = kExitError;
      return;
    }
    rates.push_back(static_cast<double>(report->checked) / elapsed);
    // Reference: reading every value of the log column family, as Verify must.
    auto scan = events::ScanLogReference(**log);
    if (!scan) {
      ctx.exit_status = ReportError("bench verify", scan.error());
      return;
    }
    scans.push_back(scan->KeysPerSecond());
  }
  fmt::print("{:>28} {:>14.0f} events/s (median of {})\n", "verify:", Median(rates), args.runs);
  fmt::print("{:>28} {:>14.0f} events/s (verify runs at {:.0f}% of a raw scan)\n",
             "raw scan of the log CF:", Median(scans), 100 * Median(rates) / Median(scans));
}

void Run(const BenchArgs& args, CommandContext& ctx) {
  const fs::path root = BenchScratchDir(args.dir, "append");
  std::error_code ec;
  fs::create_directories(root, ec);
  BenchScenarios(args, root, ctx);
  if (ctx.exit_status == kExitOk && !args.skip_verify) BenchVerify(args, root, ctx);
  if (args.dir.empty()) fs::remove_all(root, ec);
}

}  // namespace

void AddBenchCommand(CLI::App& app, CommandContext& ctx) {
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks (build Release first)");
  bench->require_subcommand(1);
  auto args = std::make_shared<BenchArgs>();
  CLI::App* append = bench->add_subcommand("append", "Durable append and verify throughput");
  append->add_option("--dir", args->dir, "Scratch directory on the disk to measure (kept)");
  append->add_option("--seconds", args->seconds, "Seconds per measurement")->default_val(3.0);
  append->add_option("--runs", args->runs, "Runs per scenario (median reported)")->default_val(3);
  append->add_option("--verify-events", args->verify_events, "Events in the verify log")
      ->default_val(1'000'000);
  append->add_flag("--skip-verify", args->skip_verify, "Skip the verify benchmark");
  append->add_option("--only", args->only, "Run one scenario, e.g. 256:100");
  append->callback([args, &ctx] { Run(*args, ctx); });
  AddBenchRebuildCommand(*bench, ctx);
  AddBenchImportCommand(*bench, ctx);
  AddBenchPushCommand(*bench, ctx);
  AddBenchMailCommand(*bench, ctx);
  AddBenchSignCommand(*bench, ctx);
}

}  // namespace passledger::tools
