// `passledger bench rebuild`: replays a generated log of realistic events into a fresh
// projection generation, next to a raw RocksDB reference measured in the same run (a
// sequential read of the log CF plus an unsynced batched write of as many keys), and times
// SerialsUpdatedSince for a device with five passes. Build Release (make bench).
#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>

#include "events/catalogue.h"
#include "events/storage_reference.h"
#include "projections/read_model.h"
#include "tools/passledger/bench_support.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/commands.h"
#include "tools/passledger/progress.h"

namespace passledger::tools {
namespace {
namespace fs = std::filesystem;
namespace ev = passledger::events;
using boost::json::object;
using Clock = BenchClock;

constexpr std::string_view kPassType = "pass.org.example.member";
constexpr std::string_view kDevice = "BENCHDEVICE";

struct RebuildArgs {
  std::string dir;
  std::uint64_t events = 2'000'000;
  int runs = 3;
};

ev::AppendRequest Request(std::string stream, ev::NewEvent event) {
  ev::AppendRequest r;
  r.stream = std::move(stream);
  r.actor = "system:bench";
  r.correlation_id = "bench";
  r.events.push_back(std::move(event));
  return r;
}

ev::NewEvent Event(std::string_view type, object payload, std::string subject = {},
                   std::optional<object> personal = std::nullopt) {
  return ev::NewEvent{std::string(type), 0, std::move(payload), std::move(subject),
                      std::move(personal)};
}

// One member's history: enrolment, one or two passes, a device registration for some, a
// change, e-mail events, now and then a lapse or a revision. About eight events.
void MemberStory(std::uint64_t n, std::mt19937_64& rng, std::vector<ev::AppendRequest>& out) {
  const std::string id = fmt::format("8-{:08}", n);
  const std::string member = "member-" + id;
  const std::string first = fmt::format("First{}", n % 9973);
  const std::string last = fmt::format("Last{}", n % 7919);
  object personal{{"name", first + " " + last},
                  {"firstName", first},
                  {"lastName", last},
                  {"email", fmt::format("m{}@example.org", n)},
                  {"address", object{{"line1", fmt::format("{} Fernleaf Row", n % 500)},
                                     {"city", "Pittsburgh"},
                                     {"state", "PA"},
                                     {"zip", "15210"}}},
                  {"cardholders", boost::json::array{first + " " + last}}};
  out.push_back(Request(member, Event(ev::kMemberEnrolled,
                                      object{{"membershipId", id},
                                             {"level", "Family"},
                                             {"status", "Active"},
                                             {"active", true},
                                             {"expires", "2027-12-31"},
                                             {"addOns", boost::json::array{}}},
                                      id, personal)));
  const int passes = 1 + static_cast<int>(rng() % 2);
  for (int p = 0; p < passes; ++p) {
    const std::string serial = fmt::format("S{:08}{}", n, p);
    out.push_back(Request("pass-" + serial, Event(ev::kPassIssued,
                                                  object{{"serial", serial},
                                                         {"passTypeId", kPassType},
                                                         {"membershipId", id},
                                                         {"cardholderIndex", p},
                                                         {"tokenGeneration", 1}},
                                                  id, object{{"cardholder", first + " " + last}})));
    out.push_back(Request("pass-" + serial,
                          Event(ev::kPassEmailRequested, object{{"serial", serial}, {"attempt", 1}},
                                id, object{{"email", "x@example.org"}})));
    out.push_back(Request("pass-" + serial, Event(ev::kPassEmailSent, object{{"serial", serial}})));
    if (rng() % 2 == 0) {
      const std::string device = fmt::format("D{:08}{}", n, p);
      out.push_back(Request("device-" + device,
                            Event(ev::kDeviceRegistered, object{{"deviceId", device},
                                                                {"passTypeId", kPassType},
                                                                {"serial", serial},
                                                                {"pushToken", "ab12cd34"}})));
    }
  }
  out.push_back(Request(
      member,
      Event(ev::kMemberChanged,
            object{{"membershipId", id},
                   {"changes", object{{"level", object{{"old", "Family"}, {"new", "Patron"}}}}}})));
  if (rng() % 10 == 0) {
    out.push_back(Request(
        member, Event(ev::kMemberLapsed, object{{"membershipId", id}, {"status", "Lapsed"}})));
  }
}

// The bench device: five passes of five members, for the SerialsUpdatedSince timing.
void BenchDevice(std::vector<ev::AppendRequest>& out) {
  for (int i = 0; i < 5; ++i) {
    const std::string serial = fmt::format("S{:08}0", i);
    out.push_back(Request("device-" + std::string(kDevice),
                          Event(ev::kDeviceRegistered, object{{"deviceId", kDevice},
                                                              {"passTypeId", kPassType},
                                                              {"serial", serial},
                                                              {"pushToken", "ffee"}})));
  }
}

Result<std::uint64_t> Generate(CommandContext& ctx, std::uint64_t target) {
  auto log = OpenLog(ctx, /*read_only=*/false);
  if (!log) return MakeError(ErrorCode::kUnavailable, "cannot open the bench log");
  std::mt19937_64 rng(20261128);
  ProgressLine progress("generate");
  std::uint64_t member = 0;
  bool device_added = false;
  while (log->GetHead().position < target) {
    std::vector<ev::AppendRequest> requests;
    while (requests.size() < 4000) MemberStory(member++, rng, requests);
    if (!device_added) {
      BenchDevice(requests);
      device_added = true;
    }
    auto appended = log->AppendAtomic(std::move(requests));
    if (!appended) return appended.error();
    progress.Update(log->GetHead().position, target);
  }
  progress.Done();
  return log->GetHead().position;
}

// Reference: read every value of the log CF, then write as many keys (unsynced, batches of
// 1,000, values the size of an average member record) into a scratch database.
Result<double> RawReference(const fs::path& data, const fs::path& scratch, std::uint64_t count) {
  events::OpenOptions options;
  options.data_dir = data;
  options.read_only = true;
  auto log = events::EventLog::Open(options);
  if (!log) return log.error();
  auto read = events::ScanLogReference(**log);
  if (!read) return read.error();
  auto write = events::BatchedWriteReference(scratch, count,
                                             read->bytes / std::max<std::uint64_t>(count, 1));
  if (!write) return write.error();
  return static_cast<double>(count) / (read->seconds + write->seconds);
}

void MeasureSerialsUpdatedSince(const OpenedLog& log) {
  projections::ReadModel views(log.projections.get());
  std::vector<double> micros;
  constexpr int kCalls = 100'000;
  micros.reserve(kCalls);
  std::size_t found = 0;
  for (int i = 0; i < kCalls; ++i) {
    const auto start = Clock::now();
    auto serials = views.SerialsUpdatedSince(kDevice, kPassType, "");
    micros.push_back(SecondsSince(start) * 1e6);
    if (serials) found = serials->serials.size();
  }
  std::sort(micros.begin(), micros.end());
  fmt::print(
      "SerialsUpdatedSince, device with {} passes: median {:.2f} µs, p99 {:.2f} µs "
      "({} calls)\n",
      found, micros[micros.size() / 2], micros[micros.size() * 99 / 100], kCalls);
}

void Run(const RebuildArgs& args, CommandContext& ctx) {
  const fs::path root = BenchScratchDir(args.dir, "rebuild");
  CommandContext bench_ctx{root / "data", kExitOk, std::nullopt};  // no config: defaults
  auto generated = Generate(bench_ctx, args.events);
  if (!generated) {
    ctx.exit_status = ReportError("bench rebuild", generated.error());
    return;
  }
  fmt::print("rebuild of a {}-event log ({} runs, data in {})\n", *generated, args.runs,
             root.string());
  std::vector<double> rates, references, ratios;
  for (int run = 0; run < args.runs; ++run) {
    auto reference = RawReference(root / "data", root / "raw", *generated);
    if (!reference) {
      ctx.exit_status = ReportError("bench rebuild", reference.error());
      return;
    }
    auto log = OpenLog(bench_ctx, /*read_only=*/false);
    if (!log) return;
    auto report = log.projections->Rebuild();
    if (!report) {
      ctx.exit_status = ReportError("bench rebuild", report.error());
      return;
    }
    const double rate = static_cast<double>(report->events) / report->seconds;
    rates.push_back(rate);
    references.push_back(*reference);
    ratios.push_back(rate / *reference);
    fmt::print("  run {}: rebuild {:.0f} events/s, raw read+write {:.0f} keys/s ({:.0f}%)\n",
               run + 1, rate, *reference, 100 * rate / *reference);
    std::fflush(stdout);
    if (run + 1 == args.runs) MeasureSerialsUpdatedSince(log);
  }
  fmt::print("rebuild: {:.0f} events/s (median), reference {:.0f} keys/s, ratio {:.0f}%\n",
             Median(rates), Median(references), 100 * Median(ratios));
  std::error_code ec;
  if (args.dir.empty()) fs::remove_all(root, ec);
}

}  // namespace

void AddBenchRebuildCommand(CLI::App& bench, CommandContext& ctx) {
  auto args = std::make_shared<RebuildArgs>();
  CLI::App* cmd = bench.add_subcommand("rebuild", "Projection rebuild throughput");
  cmd->add_option("--dir", args->dir, "Scratch directory (kept when given)");
  cmd->add_option("--events", args->events, "Events in the generated log")->default_val(2'000'000);
  cmd->add_option("--runs", args->runs, "Rebuild runs (median reported)")->default_val(3);
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
