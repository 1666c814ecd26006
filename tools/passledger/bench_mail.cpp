// `passledger bench mail` (issue 15 §5): members' pass e-mails sent by the real dispatcher —
// requests read from the views' index of waiting e-mails, each message built from the
// templates and composed, handed to the SMTP server at --url over one reused connection, its
// PassEmailSent appended durably — against mail/smtp_reference.h's minimal libcurl loop
// sending as many ready-made messages of the same kind to the same server, run by run.
// tools/bench/mail.sh starts the server (aiosmtpd on 127.0.0.1, discarding what it receives).
//
// The passes are signed once before the runs and served from the bundle cache: signing is
// `passledger bench sign`'s figure, not this one's. Each run also reports how far the process's
// peak RSS rose while it sent, against what holding every message at once would take.
#include <fmt/core.h>

#include <cstdio>
#include <fstream>

#include "handlers/import/roster_import.h"
#include "handlers/mail/mail_dispatcher.h"
#include "handlers/mail/mail_requests.h"
#include "mail/smtp_client.h"
#include "mail/smtp_reference.h"
#include "projections/read_model.h"
#include "tools/passledger/bench_support.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/commands.h"
#include "tools/passledger/mail_setup.h"
#include "tools/passledger/pass_setup.h"
#include "tools/passledger/roster_generator.h"

namespace passledger::tools {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kReferenceSamples = 64;  // distinct messages the reference cycles through
constexpr std::string_view kActor = "system:bench";

// mail::SmtpClient alone sending the reference's messages: what the client costs over libcurl,
// without the dispatcher's reads, building and records.
Result<double> ClientLoop(const std::string& url, const std::string& from,
                          const std::vector<std::string>& messages, std::uint64_t count) {
  mail::SmtpOptions options;
  options.url = url;
  options.tls = mail::SmtpTls::kNone;
  auto client = mail::SmtpClient::Create(options);
  if (!client) return client.error();
  const auto start = BenchClock::now();
  for (std::uint64_t i = 0; i < count; ++i) {
    auto sent = (*client)->Send(from, "bench@example.invalid", messages[i % messages.size()]);
    if (!sent.delivered) return MakeError(ErrorCode::kUnavailable, "SmtpClient: " + sent.reason);
  }
  return static_cast<double>(count) / SecondsSince(start);
}

struct MailBenchArgs {
  std::string url;
  std::uint64_t rows = 10'000;
  int runs = 3;
  std::string dir;
};

Result<void> ImportRoster(const OpenedLog& log, const fs::path& file, std::uint64_t rows) {
  {
    std::ofstream out(file, std::ios::binary);
    auto written = GenerateRoster(RosterSpec{rows, 1, 0}, [&](std::string_view b) -> Result<void> {
      out.write(b.data(), static_cast<std::streamsize>(b.size()));
      if (!out) return MakeError(ErrorCode::kUnavailable, "cannot write " + file.string());
      return {};
    });
    if (!written) return written.error();
  }
  const handlers::RosterImporter importer(log.log.get(), log.projections.get(), {});
  handlers::ImportOptions options;
  options.file_name = file.filename().string();
  options.actor = std::string(kActor);
  auto summary = importer.Run(handlers::FileSource(file), options);
  if (!summary) return summary.error();
  return {};
}

std::vector<projections::PassView> ActivePasses(std::vector<projections::PassView> passes) {
  std::erase_if(passes, [](const projections::PassView& p) { return p.voided; });
  return passes;
}

// The enrolled members still on the roster, in id order.
Result<std::vector<std::string>> CurrentMembers(const projections::ReadModel& read) {
  std::vector<std::string> ids;
  auto scanned = read.ScanMemberSummaries([&](const projections::MemberSummary& m) {
    if (m.enrolled && !m.left_roster && !m.forgotten) ids.push_back(m.membership_id);
    return true;
  });
  if (!scanned) return scanned.error();
  return ids;
}

// Signs every active pass once, so the runs find them in the bundle cache.
Result<std::uint64_t> WarmBundles(const projections::ReadModel& read,
                                  const handlers::PassBundles& bundles,
                                  const std::vector<std::string>& members) {
  std::uint64_t passes = 0;
  for (const std::string& id : members) {
    auto of_member = read.PassesOfMember(id);
    if (!of_member) return of_member.error();
    for (const auto& pass : ActivePasses(std::move(*of_member))) {
      if (auto bundle = bundles.ForPass(pass); !bundle) return bundle.error();
      ++passes;
    }
  }
  return passes;
}

// Composed messages of the first members with a usable address, for the reference to send.
Result<std::vector<std::string>> SampleMessages(const projections::ReadModel& read,
                                                const handlers::PassMail& mail,
                                                const std::vector<std::string>& members) {
  std::vector<std::string> samples;
  for (const std::string& id : members) {
    if (samples.size() == kReferenceSamples) break;
    auto member = read.Member(id);
    if (!member) return member.error();
    auto passes = read.PassesOfMember(id);
    if (!passes) return passes.error();
    auto active = ActivePasses(std::move(*passes));
    if (!*member || active.empty()) continue;
    auto message = mail.Build(**member, active, samples.size() + 1, 1'800'000'000);
    if (!message) continue;  // no usable address: the dispatcher would not send it either
    auto bytes = mail::Compose(*message);
    if (!bytes) return bytes.error();
    samples.push_back(std::move(*bytes));
  }
  if (samples.empty()) return MakeError(ErrorCode::kInternal, "no member has a usable address");
  return samples;
}

// Asks for every member's e-mail again (the first run's bulk request made them "sent").
Result<std::uint64_t> RequestAgain(events::EventLog& log, const projections::ReadModel& read,
                                   const std::vector<std::string>& members) {
  handlers::MailRequests requests(&log, read);
  std::uint64_t queued = 0;
  for (const std::string& id : members) {
    auto outcome = requests.RequestMember(id, {std::string(kActor), /*resend=*/true});
    if (!outcome) return outcome.error();
    queued += outcome->queued ? 1 : 0;
  }
  return queued;
}

void Run(const MailBenchArgs& args, CommandContext& ctx) {
  auto fail = [&](const Error& e) { ctx.exit_status = ReportError("bench mail", e); };
  if (!args.url.starts_with("smtp://")) {
    return fail(MakeError(ErrorCode::kInvalidArgument, "--url smtp://127.0.0.1:PORT is required"));
  }
  const fs::path root = BenchScratchDir(args.dir, "mail");
  fs::remove_all(root / "data");
  fs::create_directories(root);
  CommandContext bench_ctx{root / "data", kExitOk, std::nullopt};
  auto config = LoadConfig(std::nullopt, [](const char*) -> const char* { return nullptr; });
  if (!config) return fail(config.error());
  config->mail.smtp_url = args.url;
  config->mail.tls = "none";
  config->bundle_cache_bytes = 4ull << 30;  // every pass stays cached: signing is excluded
  auto log = OpenLog(bench_ctx, /*read_only=*/false);
  if (!log) return fail(MakeError(ErrorCode::kUnavailable, "cannot open the bench log"));
  const auto setup_start = BenchClock::now();
  if (auto ok = ImportRoster(log, root / "roster.csv", args.rows); !ok) return fail(ok.error());
  auto passes = SetUpPasses(*config, bench_ctx.data_dir, *log);
  if (!passes) return fail(passes.error());
  const projections::ReadModel read(log.projections.get());
  const handlers::PassBundles bundles(&read, {passes->factory});
  auto links = MakePassLinks(*config, *log);
  if (!links) return fail(links.error());
  auto setup = SetUpMail(*config, bench_ctx.data_dir, &bundles, links->get());
  if (!setup) return fail(setup.error());
  auto members = CurrentMembers(read);
  if (!members) return fail(members.error());
  auto signed_passes = WarmBundles(read, bundles, *members);
  if (!signed_passes) return fail(signed_passes.error());
  const auto sample_start = BenchClock::now();
  auto samples = SampleMessages(read, *setup->mail, *members);
  if (!samples) return fail(samples.error());
  const double compose_ms = 1000 * SecondsSince(sample_start) / static_cast<double>(samples->size());
  double sample_bytes = 0;
  for (const auto& s : *samples) sample_bytes += static_cast<double>(s.size());
  sample_bytes /= static_cast<double>(samples->size());
  handlers::MailRequests requests(log.log.get(), read);
  auto bulk = requests.RequestNeverSent({std::string(kActor), false});
  if (!bulk) return fail(bulk.error());
  fmt::print("bench mail: {} rows, {} members, {} passes signed and cached, {} messages per run "
             "(about {:.0f} KiB each, {:.2f} ms each to read, build and compose) to {}; setup "
             "{:.1f} s\n",
             args.rows, members->size(), *signed_passes, bulk->queued, sample_bytes / 1024,
             compose_ms, args.url, SecondsSince(setup_start));
  std::fflush(stdout);

  handlers::MailDispatcher dispatcher(log.log.get(), read, setup->mail.get(),
                                      setup->transport.get(), setup->dispatcher);
  std::vector<double> ours, reference, ratios;
  std::uint64_t queued = bulk->queued;
  for (int run = 1; run <= args.runs; ++run) {
    if (run > 1) {
      auto again = RequestAgain(*log.log, read, *members);
      if (!again) return fail(again.error());
      queued = *again;
    }
    auto raw = mail::SmtpReferenceLoop(args.url, config->mail.from, "bench@example.invalid",
                                       *samples, queued);
    if (!raw) return fail(raw.error());
    auto client_rate = ClientLoop(args.url, config->mail.from, *samples, queued);
    if (!client_rate) return fail(client_rate.error());
    ResetPeakRss();
    const double rss_before = CurrentRssMiB();
    const auto start = BenchClock::now();
    auto report = dispatcher.DispatchDue();
    if (!report) return fail(report.error());
    const double seconds = SecondsSince(start);
    const double rss_rise = PeakRssMiB() - rss_before;
    if (report->messages != queued) {
      return fail(MakeError(ErrorCode::kInternal,
                            fmt::format("run {}: {} of {} messages sent ({} failed, {} to retry)",
                                        run, report->messages, queued, report->failed,
                                        report->retrying)));
    }
    const double rate = static_cast<double>(report->messages) / seconds;
    ours.push_back(rate);
    reference.push_back(raw->MessagesPerSecond());
    ratios.push_back(rate / raw->MessagesPerSecond());
    fmt::print("  run {}: dispatcher {:.0f} messages/s ({} in {:.2f} s), libcurl loop {:.0f} "
               "messages/s = {:.0f} % (SmtpClient alone {:.0f} %); peak RSS rose {:.1f} MiB while "
               "sending (all {} messages at once: {:.0f} MiB)\n",
               run, rate, report->messages, seconds, raw->MessagesPerSecond(),
               100 * ratios.back(), 100 * *client_rate / raw->MessagesPerSecond(), rss_rise, queued,
               sample_bytes * static_cast<double>(queued) / (1 << 20));
    std::fflush(stdout);
  }
  fmt::print("bench mail: median dispatcher {:.0f} messages/s, libcurl loop {:.0f} messages/s, "
             "median ratio {:.0f} % (goal ≥ 80 %)\n",
             Median(ours), Median(reference), 100 * Median(ratios));
  log.projections.reset();
  log.log.reset();
  std::error_code ec;
  if (args.dir.empty()) fs::remove_all(root, ec);
}

}  // namespace

void AddBenchMailCommand(CLI::App& bench, CommandContext& ctx) {
  auto args = std::make_shared<MailBenchArgs>();
  CLI::App* cmd = bench.add_subcommand("mail", "Pass e-mails to an SMTP server, against libcurl");
  cmd->add_option("--url", args->url, "smtp://127.0.0.1:PORT of an SMTP server (no TLS)")
      ->required();
  cmd->add_option("--rows", args->rows, "Roster rows to import")->default_val(10'000);
  cmd->add_option("--runs", args->runs, "Runs (the median is reported)")->default_val(3);
  cmd->add_option("--dir", args->dir, "Scratch directory (kept when given)");
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
