// The configuration file: one TOML file (toml++) plus environment overrides, turned into the
// option structs the modules define (signer::PassTypeConfig, signer::CertificateConfig,
// handlers::ImportConfig, ...). Every key, its default and its meaning live in one table
// (ConfigKeys()), from which `passledger config keys` prints docs/CONFIG.md's reference.
//
// Precedence: built-in default < the file < PASSLEDGER_<SECTION>_<KEY> (upper case, dots and
// dashes as underscores, e.g. PASSLEDGER_PASS_TEAM_ID). Unknown keys in the file are errors, so
// a typo never silently leaves a default in place. Not thread-safe; load once at start-up.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "apns/client.h"
#include "base/error.h"
#include "handlers/import/roster_config.h"
#include "handlers/passkit/passkit_service.h"
#include "handlers/push/push_dispatcher.h"
#include "handlers/staff/staff_sessions.h"
#include "http/server.h"
#include "signer/certificates.h"
#include "signer/pass_input.h"

namespace passledger::tools {

// The defaults of the settings below are the modules' own (http::ServerOptions,
// handlers::PassKitOptions): written once, there. These helpers read them.
namespace defaults {
inline const http::ServerOptions kServer{};
inline const handlers::PassKitOptions kPassKit{};
inline const handlers::StaffSessionOptions kStaffSessions{};
inline unsigned Seconds(std::chrono::milliseconds ms) {
  return static_cast<unsigned>(std::chrono::duration_cast<std::chrono::seconds>(ms).count());
}
inline unsigned Whole(double v) { return static_cast<unsigned>(v); }
}  // namespace defaults

// [server]: where `passledger serve` listens and how it treats connections (http/server.h).
struct ServerSettings {
  std::string host = defaults::kServer.host;
  std::uint16_t port = defaults::kServer.port;
  unsigned threads = 0;  // I/O threads; 0 = cores
  unsigned workers = 0;  // blocking work (appends, signing); 0 = cores
  std::size_t max_connections = defaults::kServer.max_connections;  // lowered to fit RLIMIT_NOFILE
  std::size_t max_connections_per_address = defaults::kServer.max_connections_per_address;
  std::size_t worker_queue_bytes = 64u << 20;  // request bytes waiting for a worker
  std::size_t log_queue_lines = defaults::kServer.log_queue_lines;
  int rocksdb_max_open_files = 512;  // table files RocksDB keeps open
  // Deadlines for a whole operation, not per byte (http::ServerOptions).
  unsigned header_timeout_seconds = defaults::Seconds(defaults::kServer.header_timeout);
  unsigned body_timeout_seconds = defaults::Seconds(defaults::kServer.body_timeout);
  unsigned idle_timeout_seconds = defaults::Seconds(defaults::kServer.idle_timeout);
  unsigned write_timeout_seconds = defaults::Seconds(defaults::kServer.write_timeout);
  std::string tls_certificate;  // PEM; with tls_key: native TLS 1.2+
  std::string tls_key;
  unsigned drain_seconds = 10;  // graceful shutdown bound
  // Reverse proxies (addresses or networks) whose X-Forwarded-For names the client.
  std::vector<std::string> trusted_proxies;
};

// [passkit]: limits of the public PassKit routes (handlers::PassKitOptions, docs/PASSKIT.md).
struct PassKitSettings {
  unsigned max_devices_per_pass = static_cast<unsigned>(defaults::kPassKit.max_devices_per_pass);
  unsigned register_per_minute_per_pass =
      defaults::Whole(defaults::kPassKit.register_per_pass.per_minute);
  unsigned register_burst_per_pass = defaults::Whole(defaults::kPassKit.register_per_pass.burst);
  unsigned register_per_minute_per_client =
      defaults::Whole(defaults::kPassKit.register_per_client.per_minute);
  unsigned register_burst_per_client =
      defaults::Whole(defaults::kPassKit.register_per_client.burst);
  // POST /v1/log requests per client network
  unsigned log_per_minute = defaults::Whole(defaults::kPassKit.log_rate.per_minute);
  unsigned log_burst = defaults::Whole(defaults::kPassKit.log_rate.burst);
  std::uint64_t log_bytes_per_minute_per_client =
      static_cast<std::uint64_t>(defaults::kPassKit.log_bytes_per_client.per_minute);
  std::uint64_t log_bytes_per_minute =  // all clients together
      static_cast<std::uint64_t>(defaults::kPassKit.log_bytes_total.per_minute);
  std::uint64_t device_log_mib = 64;  // the device log ring's byte budget
};

// [apns]: pushes to phones (apns::ClientOptions, handlers::PushDispatcherOptions,
// docs/PUSH.md). `auth` empty means the default: "off" with development certificates,
// "certificate" with real ones (Config::push_auth()).
struct ApnsSettings {
  std::string auth;  // "", "off", "token", "certificate"
  std::string url = apns::ClientOptions{}.url;
  std::string ca_file;
  std::filesystem::path key_file;  // the .p8 token-signing key
  std::string key_id;
  std::string team_id;                     // empty: pass.team_id
  std::filesystem::path certificate;       // empty: the pass certificate
  std::filesystem::path certificate_key;   // empty: the pass certificate's key
  std::string push_type = apns::ClientOptions{}.push_type;
  unsigned priority = static_cast<unsigned>(apns::ClientOptions{}.priority);
  unsigned expiration_seconds = static_cast<unsigned>(apns::ClientOptions{}.expiration.count());
  unsigned connections = static_cast<unsigned>(apns::ClientOptions{}.connections);
  unsigned max_streams = static_cast<unsigned>(apns::ClientOptions{}.max_streams);
  unsigned coalesce_ms =
      static_cast<unsigned>(handlers::PushDispatcherOptions{}.coalesce.count());
  unsigned timeout_seconds = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::seconds>(apns::ClientOptions{}.timeout).count());
  unsigned max_attempts = static_cast<unsigned>(apns::ClientOptions{}.max_attempts);
};

// [mail]: e-mails to members (docs/EMAIL.md) and their download links (docs/PASSKIT.md,
// "Download links").
struct MailSettings {
  std::string public_url;      // base of download links; empty: DownloadBaseUrl's default
  unsigned link_max_days = 0;  // a link dies this many days after the day it was made; 0 = never
  // Sending (docs/EMAIL.md).
  std::string smtp_url;  // empty: the .eml outbox in <data>/outbox
  std::string tls = "starttls";
  std::string username;
  std::string password;  // secret
  std::string password_env;
  std::string password_file;
  std::string from = "members@passledger.invalid";
  std::string from_name;  // empty: organization.name
  std::string reply_to;
  std::string list_unsubscribe;
  unsigned rate_per_minute = 0;
  unsigned max_attempts = 5;
  std::string retry_minutes = "1, 5, 30, 120";
  unsigned timeout_seconds = 60;
  std::string ca_file;
};

// [admin]: staff sessions and login throttling (handlers::StaffSessionOptions, docs/ADMIN.md).
struct AdminSettings {
  unsigned session_idle_minutes = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::minutes>(defaults::kStaffSessions.idle).count());
  unsigned session_absolute_hours = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::hours>(defaults::kStaffSessions.absolute).count());
  unsigned login_max_failures = static_cast<unsigned>(defaults::kStaffSessions.max_failures);
  unsigned login_lockout_minutes = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::minutes>(defaults::kStaffSessions.lockout).count());
};

// The options of handlers::StaffSessions that [admin] sets (the others keep their defaults).
handlers::StaffSessionOptions StaffSessionOptionsOf(const AdminSettings& admin);

struct Config {
  ServerSettings server;
  PassKitSettings passkit;
  ApnsSettings apns;
  MailSettings mail;
  AdminSettings admin;
  signer::PassTypeConfig pass;
  // Empty certificate paths: development certificates in <data>/dev-certs (made on first use).
  signer::CertificateConfig certificates;
  std::filesystem::path template_dir;  // empty: the built-in membership template
  std::uint64_t bundle_cache_bytes = 256ull << 20;
  handlers::ImportConfig import;

  bool uses_dev_certificates() const { return certificates.certificate.empty(); }
  // "off", "token" or "certificate": apns.auth, or its default.
  std::string push_auth() const {
    if (!apns.auth.empty()) return apns.auth;
    return uses_dev_certificates() ? "off" : "certificate";
  }
  // pass.web_service_url was not configured: it follows the listen address.
  bool web_service_url_is_default = true;
};

// The base of download links (no trailing '/'): mail.public_url, else pass.web_service_url,
// which by default follows the listen address (http, or https with server.tls_certificate),
// as `serve` sets it.
std::string DownloadBaseUrl(const Config& config);

// One documented key: "section.key", its default as written in TOML, what it means, whether
// it is a secret (never printed), and how a value is applied.
struct ConfigKey {
  std::string name;
  std::string default_text;
  std::string help;
  bool secret = false;
  std::function<Result<void>(Config&, std::string_view value)> apply;
};

const std::vector<ConfigKey>& ConfigKeys();

// Defaults, then `file` (when set), then the environment. kInvalidArgument naming the file,
// the key and the problem; kNotFound when `file` does not exist.
Result<Config> LoadConfig(const std::optional<std::filesystem::path>& file,
                          const std::function<const char*(const char*)>& getenv = ::getenv);

// Sets one key as the file would (command-line flags that override the configuration).
Result<void> ApplyConfigValue(Config& config, std::string_view key, std::string_view value);

// The environment variable that overrides `key` ("pass.team_id" -> PASSLEDGER_PASS_TEAM_ID).
std::string EnvName(std::string_view key);

// The reference table for docs/CONFIG.md (Markdown).
std::string ConfigReferenceMarkdown();

}  // namespace passledger::tools
