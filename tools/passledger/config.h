// The configuration file: one TOML file (toml++) plus environment overrides, turned into the
// option structs the modules define (signer::PassTypeConfig, signer::CertificateConfig,
// handlers::ImportConfig, ...). Every key, its default and its meaning live in one table
// (ConfigKeys()), from which `passledger config keys` prints docs/CONFIG.md's reference.
//
// Precedence: built-in default < the file < PASSLEDGER_<SECTION>_<KEY> (upper case, dots and
// dashes as underscores, e.g. PASSLEDGER_PASS_TEAM_ID). Unknown keys in the file are errors, so
// a typo never silently leaves a default in place. Not thread-safe; load once at start-up.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "handlers/import/roster_config.h"
#include "signer/certificates.h"
#include "signer/pass_input.h"

namespace passledger::tools {

// [server]: where `passledger serve` listens and how it treats connections (http/server.h).
struct ServerSettings {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  unsigned threads = 0;                           // I/O threads; 0 = cores
  unsigned workers = 0;                           // blocking work (appends, signing); 0 = cores
  std::size_t max_connections = 10'000;           // lowered to fit RLIMIT_NOFILE at start (serve)
  std::size_t max_connections_per_address = 256;  // IPv4 address / IPv6 /64; 0 = no cap
  std::size_t worker_queue_bytes = 64u << 20;     // request bytes waiting for a worker
  std::size_t log_queue_lines = 10'000;           // access/error lines waiting for stderr
  int rocksdb_max_open_files = 512;               // table files RocksDB keeps open
  // Deadlines for a whole operation, not per byte (http::ServerOptions).
  unsigned header_timeout_seconds = 10;
  unsigned body_timeout_seconds = 30;
  unsigned idle_timeout_seconds = 15;
  unsigned write_timeout_seconds = 30;
  std::string tls_certificate;  // PEM; with tls_key: native TLS 1.2+
  std::string tls_key;
  unsigned drain_seconds = 10;  // graceful shutdown bound
  // Reverse proxies (addresses or networks) whose X-Forwarded-For names the client.
  std::vector<std::string> trusted_proxies;
};

// [passkit]: limits of the public PassKit routes (handlers::PassKitOptions, docs/PASSKIT.md).
struct PassKitSettings {
  unsigned max_devices_per_pass = 20;
  unsigned register_per_minute_per_pass = 10;
  unsigned register_burst_per_pass = 40;
  unsigned register_per_minute_per_client = 60;
  unsigned register_burst_per_client = 120;
  unsigned log_per_minute = 10;  // POST /v1/log requests per client network
  unsigned log_burst = 20;
  std::uint64_t log_bytes_per_minute_per_client = 1 << 20;
  std::uint64_t log_bytes_per_minute = 16 << 20;  // all clients together
  std::uint64_t device_log_mib = 64;              // the device log ring's byte budget
};

struct Config {
  ServerSettings server;
  PassKitSettings passkit;
  signer::PassTypeConfig pass;
  // Empty certificate paths: development certificates in <data>/dev-certs (made on first use).
  signer::CertificateConfig certificates;
  std::filesystem::path template_dir;  // empty: the built-in membership template
  std::uint64_t bundle_cache_bytes = 256ull << 20;
  handlers::ImportConfig import;

  bool uses_dev_certificates() const { return certificates.certificate.empty(); }
  // pass.web_service_url was not configured: it follows the listen address.
  bool web_service_url_is_default = true;
};

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
