// `passledger serve`: the PassKit web service (docs/PASSKIT.md), the download links of e-mailed
// passes (GET /p/<id>), /healthz and /metrics over the projections, with passes signed on first
// request and cached. Holds the data directory for writing; SIGTERM/SIGINT stop it gracefully (stop
// accepting, let requests in flight finish within server.drain_seconds, flush the log, exit 0).
// `--demo` imports the built-in demo roster into an empty log first.
#include <fmt/core.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/un.h>

#include <thread>

#include "handlers/import/roster_import.h"
#include "handlers/mail/mail_requests.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/passes/pass_downloads.h"
#include "handlers/passes/pass_links.h"
#include "handlers/passkit/passkit_service.h"
#include "handlers/templates/template_revisions.h"
#include "handlers/templates/template_service.h"
#include "http/download_routes.h"
#include "http/metrics.h"
#include "http/operational_routes.h"
#include "http/passkit_routes.h"
#include "http/router.h"
#include "http/server.h"
#include "http/web_routes.h"
#include "http/worker_pool.h"
#include "projections/device_log_store.h"
#include "projections/read_model.h"
#include "tools/passledger/cli_support.h"
#include "http/admin_security.h"
#include "tools/passledger/admin_setup.h"
#include "tools/passledger/demo_roster.h"
#include "tools/passledger/mail_setup.h"
#include "tools/passledger/pass_setup.h"
#include "tools/passledger/push_setup.h"
#include "tools/passledger/server_client.h"

namespace passledger::tools {
namespace {

struct ServeArgs {
  std::string listen;
  bool demo = false;
  std::string web_dir;  // serve the staff app from here instead of the embedded copy
};

// Signals are blocked before any thread starts (threads inherit the mask) and taken with
// sigwait on the main thread, so no handler runs on a worker.
sigset_t BlockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

int WaitForStopSignal(const sigset_t& set) {
  int signal = 0;
  while (sigwait(&set, &signal) != 0) {
  }
  return signal;
}

Result<void> ImportDemo(const OpenedLog& log, const Config& config) {
  if (log->GetHead().position != 0) return {};
  const handlers::RosterImporter importer(log.log.get(), log.projections.get(), config.import);
  handlers::ImportOptions options;
  options.file_name = "demo-roster.csv";
  options.actor = "system:demo";
  auto summary = importer.Run(handlers::MemorySource(DemoRoster()), options);
  if (!summary) return summary.error();
  fmt::print(stderr, "passledger: demo roster imported ({} memberships enrolled)\n",
             summary->counts.enrolled);
  // The demo members' passes by e-mail: with no SMTP server configured the dispatcher writes
  // them to <data>/outbox/ (docs/EMAIL.md).
  handlers::MailRequests requests(log.log.get(), projections::ReadModel(log.projections.get()));
  auto mailed = requests.RequestNeverSent(handlers::MailRequestOptions{"system:demo", false});
  if (!mailed) return mailed.error();
  fmt::print(stderr,
             "passledger: demo e-mails requested for {} member(s) ({} without a usable "
             "address); they go out with the e-mail dispatcher\n",
             mailed->queued, mailed->members_seen - mailed->queued);
  return {};
}

unsigned OrCores(unsigned n) { return n ? n : std::max(1u, std::thread::hardware_concurrency()); }

// Descriptors kept free of sockets besides RocksDB's table files: the WAL, MANIFEST, LOG and
// LOCK files, the lock and key files, certificates and templates read at start, the listener,
// one epoll and eventfd per I/O thread, stdio, and room for RocksDB's background jobs.
constexpr std::uint64_t kDescriptorReserve = 256;
// Below this many connections `serve` refuses to start rather than run unusable.
constexpr std::uint64_t kMinConnections = 16;

// Raises RLIMIT_NOFILE's soft limit to the hard limit; the soft limit in force afterwards.
std::uint64_t RaiseDescriptorLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    // An infinite hard limit cannot be the soft one (above fs.nr_open): keep the soft one.
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  return limit.rlim_cur;
}

// Lowers server.max_connections so that connections, the 503 answers in flight, RocksDB's
// table files and the reserve fit the descriptor limit: accepting sockets can then never take
// the descriptors the log needs to write (a failed open puts the writer into fail-stop).
Result<void> FitConnectionsToDescriptors(ServerSettings& server, std::uint64_t limit) {
  const std::uint64_t reserve = static_cast<std::uint64_t>(server.rocksdb_max_open_files) +
                                kDescriptorReserve + http::kMaxRejectionsInFlight;
  if (limit < reserve + kMinConnections) {
    return MakeError(ErrorCode::kFailedPrecondition,
                     fmt::format("the descriptor limit (RLIMIT_NOFILE) is {}, below the {} serve "
                                 "needs ({} reserved for RocksDB and logs, {} connections); raise "
                                 "`ulimit -n` or lower server.rocksdb_max_open_files",
                                 limit, reserve + kMinConnections, reserve, kMinConnections));
  }
  const std::uint64_t budget = limit - reserve;
  if (server.max_connections > budget) {
    fmt::print(stderr,
               "passledger: server.max_connections lowered from {} to {}: the descriptor limit "
               "(RLIMIT_NOFILE) is {}, {} reserved for RocksDB and logs\n",
               server.max_connections, budget, limit, reserve);
    server.max_connections = static_cast<std::size_t>(budget);
  }
  return {};
}

http::ServerOptions ServerOptionsFrom(const ServerSettings& s, http::Metrics* metrics) {
  http::ServerOptions options;
  options.host = s.host;
  options.port = s.port;
  options.threads = s.threads;
  options.max_connections = s.max_connections;
  options.max_connections_per_address = s.max_connections_per_address;
  options.log_queue_lines = s.log_queue_lines;
  options.header_timeout = std::chrono::seconds(s.header_timeout_seconds);
  options.body_timeout = std::chrono::seconds(s.body_timeout_seconds);
  options.idle_timeout = std::chrono::seconds(s.idle_timeout_seconds);
  options.write_timeout = std::chrono::seconds(s.write_timeout_seconds);
  options.tls_certificate_file = s.tls_certificate;
  options.tls_key_file = s.tls_key;
  options.metrics = metrics;
  options.trusted_proxies = *http::ParseNetworks(s.trusted_proxies);  // checked by LoadConfig
  return options;
}

handlers::PassKitOptions PassKitOptionsFrom(const PassKitSettings& s,
                                            projections::DeviceLogStore* device_logs,
                                            const passledger::Key& client_hash_key) {
  handlers::PassKitOptions options;
  options.max_devices_per_pass = s.max_devices_per_pass;
  options.register_per_pass = {static_cast<double>(s.register_per_minute_per_pass),
                               static_cast<double>(s.register_burst_per_pass)};
  options.register_per_client = {static_cast<double>(s.register_per_minute_per_client),
                                 static_cast<double>(s.register_burst_per_client)};
  options.log_rate = {static_cast<double>(s.log_per_minute), static_cast<double>(s.log_burst)};
  const auto client_bytes = static_cast<double>(s.log_bytes_per_minute_per_client);
  const auto total_bytes = static_cast<double>(s.log_bytes_per_minute);
  options.log_bytes_per_client = {client_bytes, client_bytes};
  options.log_bytes_total = {total_bytes, total_bytes, 1};
  options.device_logs = device_logs;
  options.client_hash_key.assign(client_hash_key.begin(), client_hash_key.end());
  return options;
}

void AddServerMetrics(http::Metrics& metrics, const OpenedLog& log,
                      const signer::PassFactory& factory) {
  metrics.AddGauge("passledger_log_head_position", "Position of the newest event in the log",
                   [&log] { return static_cast<double>(log->GetHead().position); });
  const signer::BundleCache& cache = factory.cache();
  metrics.AddCounter("passledger_pkpass_cache_hits_total", "Signed passes served from the cache",
                     [&cache] { return static_cast<double>(cache.Stats().hits); });
  metrics.AddCounter("passledger_pkpass_cache_misses_total", "Passes signed on a cache miss",
                     [&cache] { return static_cast<double>(cache.Stats().misses); });
  metrics.AddGauge("passledger_pkpass_cache_bytes", "Bytes of signed passes in the cache",
                   [&cache] { return static_cast<double>(cache.Stats().bytes); });
}

void AddDeviceLogMetrics(http::Metrics& metrics, const projections::DeviceLogStore& store) {
  metrics.AddGauge("passledger_device_log_records", "Records in the device log ring",
                   [&store] { return static_cast<double>(store.Stats().records); });
  metrics.AddGauge("passledger_device_log_bytes", "Bytes in the device log ring",
                   [&store] { return static_cast<double>(store.Stats().bytes); });
  metrics.AddCounter("passledger_device_log_dropped_total",
                     "Device log records dropped, oldest first, to stay within the budget",
                     [&store] { return static_cast<double>(store.Stats().dropped); });
}

// The demo admin's password, once: on the controlling terminal when there is one (so that a
// log file capturing stderr never holds it), else on stdout.
void PrintDemoAdmin(const std::string& password) {
  const std::string line = fmt::format(
      "passledger: demo admin account created: username \"demo\", password \"{}\" (shown "
      "once; change it with `passledger user passwd demo`)\n",
      password);
  if (std::FILE* tty = std::fopen("/dev/tty", "w")) {
    std::fputs(line.c_str(), tty);
    std::fclose(tty);
    return;
  }
  std::fputs(line.c_str(), stdout);
  std::fflush(stdout);
}

void Run(const ServeArgs& args, CommandContext& ctx) {
  const sigset_t stop_signals = BlockStopSignals();
  auto config = LoadContextConfig(ctx);
  if (!config) return;
  if (!args.listen.empty()) {
    if (auto applied = ApplyConfigValue(*config, "server.listen", args.listen); !applied) {
      ctx.exit_status = ReportError("serve --listen", applied.error());
      return;
    }
  }
  const bool tls = !config->server.tls_certificate.empty();
  if (config->web_service_url_is_default) {
    config->pass.web_service_url =
        fmt::format("{}://{}:{}", tls ? "https" : "http", config->server.host, config->server.port);
  }
  if (auto fits = FitConnectionsToDescriptors(config->server, RaiseDescriptorLimit()); !fits) {
    ctx.exit_status = ReportError("serve", fits.error());
    return;
  }
  auto log = OpenLog(ctx, /*read_only=*/false, /*with_projections=*/false,
                     config->server.rocksdb_max_open_files);
  if (!log) return;
  if (args.demo) {
    if (auto imported = ImportDemo(log, *config); !imported) {
      ctx.exit_status = ReportError("serve --demo", imported.error());
      return;
    }
  }
  auto setup = SetUpPasses(*config, ctx.data_dir, *log);
  if (!setup) {
    ctx.exit_status = ReportError("serve", setup.error());
    return;
  }

  const projections::ReadModel read(log.projections.get());
  // The newest published template, if any (docs/TEMPLATES.md, "Editing templates").
  const handlers::TemplateStore template_store(ctx.data_dir / "templates");
  auto published = handlers::UsePublishedTemplate(template_store, read, &setup->factory,
                                                  &setup->warnings);
  if (!published) {
    ctx.exit_status = ReportError("serve: published template", published.error());
    return;
  }
  for (const auto& warning : setup->warnings)
    fmt::print(stderr, "passledger: warning: {}\n", warning);
  if (*published > 0) {
    fmt::print(stderr, "passledger: pass template: version {} as published (in {})\n",
               *published, template_store.VersionDir(config->pass.pass_type_id, *published).string());
  }
  handlers::PassBundles bundles(&read, {setup->factory});
  handlers::TemplateRevisions revisions(log.log.get(), read);
  if (auto resumed = revisions.Resume(config->pass.pass_type_id); !resumed) {
    ctx.exit_status = ReportError("serve: template revisions", resumed.error());
    return;
  }
  handlers::TemplateService templates(log.log.get(), read, &bundles, template_store, &revisions);
  auto push = SetUpPush(*config, *setup);
  if (!push) {
    ctx.exit_status = ReportError("serve: push", push.error());
    return;
  }
  std::unique_ptr<handlers::PushDispatcher> dispatcher;
  if (*push) {
    (*push)->dispatcher.alert = [](const std::string& line) {
      fmt::print(stderr, "passledger: ALERT: {}\n", line);
    };
    dispatcher = std::make_unique<handlers::PushDispatcher>(
        log.log.get(), read, (*push)->client.get(), (*push)->dispatcher);
  }
  auto device_logs =
      projections::DeviceLogStore::Open(log.log.get(), config->passkit.device_log_mib << 20);
  if (!device_logs) {
    ctx.exit_status = ReportError("serve: device logs", device_logs.error());
    return;
  }
  auto client_hash_key = log->DeriveKey("passkit/device-log-client");
  if (!client_hash_key) {
    ctx.exit_status = ReportError("serve", client_hash_key.error());
    return;
  }
  auto passkit_options = PassKitOptionsFrom(config->passkit, device_logs->get(), *client_hash_key);
  if (dispatcher) {
    passkit_options.device_asked = [d = dispatcher.get()](std::string_view device) {
      d->DeviceAsked(device);
    };
  }
  handlers::PassKitService service(log.log.get(), read, &bundles, std::move(passkit_options));
  OPENSSL_cleanse(client_hash_key->data(), client_hash_key->size());
  http::Metrics metrics;
  AddServerMetrics(metrics, log, *setup->factory);
  AddDeviceLogMetrics(metrics, **device_logs);
  http::Router router;
  http::WorkerPool workers(OrCores(config->server.workers), 4096,
                           config->server.worker_queue_bytes);
  auto links = MakePassLinks(*config, *log);
  if (!links) {
    workers.Stop();
    ctx.exit_status = ReportError("serve: download links", links.error());
    return;
  }
  const handlers::PassDownloads downloads(links->get(), read, &bundles);
  auto mail = SetUpMail(*config, ctx.data_dir, &bundles, links->get());
  if (!mail) {
    workers.Stop();
    ctx.exit_status = ReportError("serve: e-mail", mail.error());
    return;
  }
  handlers::MailDispatcher mailer(log.log.get(), read, mail->mail.get(), mail->transport.get(),
                                  mail->dispatcher);
  AddMailMetrics(metrics, mailer);
  if (dispatcher) AddPushMetrics(metrics, *(*push)->client, *dispatcher);
  http::AddOperationalRoutes(
      router, metrics, [&log] { return !log->read_only() && !log->FailStopError().has_value(); },
      [d = dispatcher.get(), &mailer] {
        http::Problems problems;
        if (d) {
          if (auto stopped = d->status().stopped)
            problems.emplace_back("push", "stopped: " + *stopped);
        }
        if (auto stopped = mailer.status().stopped; !stopped.empty()) {
          problems.emplace_back("mail", "stopped: " + stopped);
        }
        return problems;
      });
  http::AddPassKitRoutes(router, service, workers, &metrics);
  http::AddDownloadRoutes(router, downloads, workers, &metrics);
  auto admin = SetUpAdmin(*config, log, &bundles, device_logs->get(), dispatcher.get(), tls,
                          router, metrics, &templates);
  if (!admin) {
    workers.Stop();
    ctx.exit_status = ReportError("serve: admin", admin.error());
    return;
  }
  http::AddWebAppRoutes(router, {.dev_dir = args.web_dir});
  if (!args.web_dir.empty()) {
    fmt::print(stderr, "passledger: the staff app is served from {} (--web-dir, not cached)\n",
               args.web_dir);
  }
  if (args.demo) {
    auto demo = CreateDemoAdmin(*(*admin)->accounts);
    if (!demo) {
      workers.Stop();
      ctx.exit_status = ReportError("serve --demo: admin account", demo.error());
      return;
    }
    if (*demo) PrintDemoAdmin(**demo);
  }

  http::ServerOptions server_options = ServerOptionsFrom(config->server, &metrics);
  server_options.decorations.push_back(
      {std::string(http::kAdminStaticPrefix), http::AddAdminStaticHeaders});
  server_options.decorations.push_back({"/admin", http::AddAdminSecurityHeaders});
  const std::string socket_path = OperatorSocketPath(ctx.data_dir).string();
  if (socket_path.size() < sizeof(sockaddr_un{}.sun_path)) {
    server_options.operator_socket = socket_path;
  } else {
    fmt::print(stderr,
               "passledger: warning: no operator socket: {} is longer than a Unix socket's path "
               "may be ({} bytes); the CLI's write commands are refused while the server runs\n",
               socket_path, sizeof(sockaddr_un{}.sun_path) - 1);
  }
  http::Server server(std::move(server_options), router);
  if (auto started = server.Start(); !started) {
    workers.Stop();
    ctx.exit_status = ReportError("serve", started.error());
    return;
  }
  fmt::print(stderr,
             "passledger: serving {}://{}:{} (data {}, webServiceURL {}, download links {}/p/)\n",
             tls ? "https" : "http", config->server.host, server.port(), ctx.data_dir.string(),
             config->pass.web_service_url, DownloadBaseUrl(*config));
  fmt::print(stderr, "passledger: staff app at {}://{}:{}/admin/\n", tls ? "https" : "http",
             config->server.host, server.port());
  if (socket_path.size() < sizeof(sockaddr_un{}.sun_path)) {
    fmt::print(stderr,
               "passledger: operator socket {} (mode 0600): the CLI's write commands go through "
               "it\n",
               socket_path);
  }
  if (!dispatcher) {
    fmt::print(stderr,
               "passledger: push is off (apns.auth = \"{}\"{}): phones are not told of "
               "changes; docs/PUSH.md says how to turn it on\n",
               config->push_auth(),
               config->apns.auth.empty() ? ", the default with development certificates" : "");
  } else if (auto started = dispatcher->Start(); !started) {
    ctx.exit_status = ReportError("serve: push", started.error());
    server.Stop(std::chrono::seconds(0));
    workers.Stop();
    return;
  } else {
    fmt::print(stderr, "passledger: push on: {}, from log position {}\n", (*push)->description,
               dispatcher->status().checkpoint);
  }
  mailer.Start();
  fmt::print(stderr, "passledger: e-mail: {}\n", mail->description);
  const int signal = WaitForStopSignal(stop_signals);
  fmt::print(stderr, "passledger: {} received, draining for up to {} s\n",
             signal == SIGTERM ? "SIGTERM" : "SIGINT", config->server.drain_seconds);
  if (dispatcher) dispatcher->Stop();
  revisions.Stop();
  mailer.Stop();
  server.Stop(std::chrono::seconds(config->server.drain_seconds));
  workers.Stop();
  (*admin)->Stop();
  fmt::print(stderr, "passledger: stopped\n");
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& ctx) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd =
      app.add_subcommand("serve", "Run the PassKit web service (and /healthz, /metrics)");
  cmd->add_option("--listen", args->listen, "ADDR:PORT (default: server.listen, 127.0.0.1:8080)");
  cmd->add_flag("--demo", args->demo, "Import the built-in demo roster when the log is empty");
  cmd->add_option("--web-dir", args->web_dir,
                  "Serve the staff app from this directory (web/ of a checkout), read afresh on "
                  "every request, instead of the copy built in: for working on the app")
      ->check(CLI::ExistingDirectory);
  cmd->callback([args, &ctx] { Run(*args, ctx); });
}

}  // namespace passledger::tools
