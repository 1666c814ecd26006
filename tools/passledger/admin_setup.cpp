#include "tools/passledger/admin_setup.h"

#include "base/crypto.h"
#include "base/mac.h"
#include "http/admin_routes.h"
#include "http/admin_security.h"
#include "signer/time_zone.h"

namespace passledger::tools {

void AdminSetup::Stop() {
  if (workers) workers->Stop();
  imports.reset();
  verification.reset();
  rebuilds.reset();
}

std::string PushOffMessage(const Config& config) {
  return "push is off (apns.auth = \"" + config.push_auth() +
         "\"); docs/PUSH.md says how to turn it on";
}

Result<std::unique_ptr<AdminSetup>> SetUpAdmin(const Config& config, const OpenedLog& log,
                                               const handlers::PassBundles* bundles,
                                               const projections::DeviceLogStore* device_logs,
                                               handlers::PushDispatcher* push, bool tls,
                                               http::Router& router, http::Metrics& metrics,
                                               handlers::TemplateService* templates) {
  auto admin = std::make_unique<AdminSetup>();
  auto store = projections::SessionStore::Open(log.log.get());
  if (!store) return store.error();
  admin->store = std::move(*store);
  admin->read = std::make_unique<projections::ReadModel>(log.projections.get());
  admin->accounts =
      std::make_unique<handlers::StaffAccounts>(log.log.get(), *admin->read, admin->store.get());
  admin->sessions = std::make_unique<handlers::StaffSessions>(
      log.log.get(), *admin->read, admin->store.get(), StaffSessionOptionsOf(config.admin));
  admin->imports = std::make_unique<handlers::ImportJobs>(log.log.get(), log.projections.get(),
                                                          config.import);
  admin->verification = std::make_unique<handlers::VerificationRuns>(log.log.get());
  auto zone = signer::TimeZone::LoadCached(config.pass.time_zone);
  if (!zone) return zone.error();
  admin->rebuilds = std::make_unique<handlers::RebuildJobs>(log.projections.get());
  admin->workers = std::make_unique<http::WorkerPool>(2, 256, 64u << 20);
  http::AdminServices services;
  services.log = log.log.get();
  services.projections = log.projections.get();
  services.read = admin->read.get();
  services.bundles = bundles;
  services.accounts = admin->accounts.get();
  services.sessions = admin->sessions.get();
  services.imports = admin->imports.get();
  services.device_logs = device_logs;
  services.verification = admin->verification.get();
  services.dashboard.time_zone = *zone;
  services.organization_name = config.pass.organization_name;
  services.templates = templates;
  services.rebuilds = admin->rebuilds.get();
  services.push = push;
  services.push_off = PushOffMessage(config);
  http::AdminHttpOptions options;
  options.tls = tls;
  options.public_origin = http::OriginOf(config.pass.web_service_url);
  options.secure_cookies = tls || options.public_origin.starts_with("https://");
  options.import_body_limit = config.import.max_file_bytes;
  http::AddAdminRoutes(router, services, *admin->workers, options, &metrics);
  metrics.AddGauge("passledger_admin_sessions", "Staff sessions held",
                   [store = admin->store.get()] { return static_cast<double>(store->size()); });
  return admin;
}

Result<std::optional<std::string>> CreateDemoAdmin(handlers::StaffAccounts& accounts) {
  auto staff = accounts.List();
  if (!staff) return staff.error();
  if (!staff->empty()) return std::optional<std::string>();
  std::string random(18, '\0');
  RandomBytes({reinterpret_cast<std::uint8_t*>(random.data()), random.size()});
  std::string password = Base64UrlEncode(random);  // 24 characters
  auto created = accounts.Create("demo", handlers::kRoleAdmin, password, "system:demo");
  if (!created) return created.error();
  return std::optional<std::string>(std::move(password));
}

}  // namespace passledger::tools
