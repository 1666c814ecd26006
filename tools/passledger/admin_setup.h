// Wiring for the staff admin API in `passledger serve` (docs/ADMIN.md): the session store,
// accounts, sessions and background imports over the log, a worker pool of their own (Argon2
// and imports never take the PassKit workers), and the routes. Start-up code: not thread-safe.
#pragma once

#include <memory>
#include <string>

#include "base/error.h"
#include "events/event_log.h"
#include "handlers/admin/verification_runs.h"
#include "handlers/import/import_jobs.h"
#include "handlers/operations/rebuild_jobs.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/push/push_dispatcher.h"
#include "handlers/staff/staff_accounts.h"
#include "handlers/staff/staff_sessions.h"
#include "handlers/templates/template_service.h"
#include "http/metrics.h"
#include "http/router.h"
#include "http/worker_pool.h"
#include "projections/session_store.h"
#include "tools/passledger/cli_support.h"
#include "tools/passledger/config.h"

namespace passledger::tools {

// Everything the admin routes borrow; destroy it after the Server has stopped (Stop() first).
struct AdminSetup {
  std::unique_ptr<projections::SessionStore> store;
  std::unique_ptr<projections::ReadModel> read;
  std::unique_ptr<handlers::StaffAccounts> accounts;
  std::unique_ptr<handlers::StaffSessions> sessions;
  std::unique_ptr<handlers::ImportJobs> imports;
  std::unique_ptr<handlers::VerificationRuns> verification;
  std::unique_ptr<handlers::RebuildJobs> rebuilds;
  std::unique_ptr<http::WorkerPool> workers;

  // Stops the pool (running requests finish), the imports and the rebuild (the running ones
  // finish) and waits for a running verification.
  void Stop();
};

// `tls`: the server speaks TLS itself. `push`: the server's dispatcher, nullptr when push is
// off (borrowed; stop it after the Server). The routes are added to `router`. `device_logs`
// may be nullptr (none kept). `templates` (borrowed, may be nullptr: the template routes then
// answer 503) serves the template routes.
Result<std::unique_ptr<AdminSetup>> SetUpAdmin(const Config& config, const OpenedLog& log,
                                               const handlers::PassBundles* bundles,
                                               const projections::DeviceLogStore* device_logs,
                                               handlers::PushDispatcher* push, bool tls,
                                               http::Router& router, http::Metrics& metrics,
                                               handlers::TemplateService* templates = nullptr);

// Why push is off, as `passledger push` says it.
std::string PushOffMessage(const Config& config);

// For `serve --demo`: when no staff account exists, creates the admin "demo" with a random
// password and returns that password (printed once on the terminal, never logged); nullopt
// when accounts exist.
Result<std::optional<std::string>> CreateDemoAdmin(handlers::StaffAccounts& accounts);

}  // namespace passledger::tools
