#include "tools/passledger/config.h"

#include <fmt/core.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <set>

#include "http/client_address.h"

namespace passledger::tools {
namespace {

using Apply = std::function<Result<void>(Config&, std::string_view)>;

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

std::string Trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return std::string(text.substr(first, last - first + 1));
}

std::vector<std::string> SplitList(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const auto end = std::min(text.find_first_of(",\n", start), text.size());
    std::string item = Trim(text.substr(start, end - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = end + 1;
  }
  return out;
}

// A string field of a nested struct, e.g. &Config::pass, &PassTypeConfig::team_id.
template <class Part>
Apply PartText(Part Config::*part, std::string Part::*member) {
  return [part, member](Config& c, std::string_view v) -> Result<void> {
    c.*part.*member = std::string(v);
    return {};
  };
}

template <class Part>
Apply PartPath(Part Config::*part, std::filesystem::path Part::*member) {
  return [part, member](Config& c, std::string_view v) -> Result<void> {
    c.*part.*member = std::filesystem::path(v);
    return {};
  };
}

Result<std::uint64_t> ParseUnsigned(std::string_view v) {
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size() || v.empty()) {
    return Invalid("\"" + std::string(v) + "\" is not a whole number");
  }
  return out;
}

Result<bool> ParseBool(std::string_view v) {
  if (v == "true") return true;
  if (v == "false") return false;
  return Invalid("\"" + std::string(v) + "\" is not true or false");
}

Result<std::uint8_t> ColourPart(std::string_view text) {
  auto value = ParseUnsigned(Trim(text));
  if (!value || *value > 255)
    return Invalid("colour component \"" + std::string(text) + "\" is not 0-255");
  return static_cast<std::uint8_t>(*value);
}

// "rgb(r, g, b)" or "#rrggbb".
Result<signer::Rgb> ParseColour(std::string_view v) {
  if (v.size() == 7 && v[0] == '#') {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(v.data() + 1, v.data() + 7, value, 16);
    if (ec == std::errc() && end == v.data() + 7) {
      return signer::Rgb{static_cast<std::uint8_t>(value >> 16),
                         static_cast<std::uint8_t>(value >> 8), static_cast<std::uint8_t>(value)};
    }
  }
  if (v.starts_with("rgb(") && v.ends_with(")")) {
    const auto parts = SplitList(v.substr(4, v.size() - 5));
    if (parts.size() == 3) {
      auto r = ColourPart(parts[0]);
      auto g = ColourPart(parts[1]);
      auto b = ColourPart(parts[2]);
      if (r && g && b) return signer::Rgb{*r, *g, *b};
    }
  }
  return Invalid("\"" + std::string(v) + "\" is not a colour (rgb(r, g, b) or #rrggbb)");
}

Apply Colour(signer::Rgb signer::PassTypeConfig::*member) {
  return [member](Config& c, std::string_view v) -> Result<void> {
    auto colour = ParseColour(v);
    if (!colour) return colour.error();
    c.pass.*member = *colour;
    return {};
  };
}

Result<void> ApplyBarcode(Config& c, std::string_view v) {
  static const std::pair<std::string_view, signer::BarcodeFormat> kFormats[] = {
      {"pdf417", signer::BarcodeFormat::kPdf417},
      {"qr", signer::BarcodeFormat::kQr},
      {"aztec", signer::BarcodeFormat::kAztec},
      {"code128", signer::BarcodeFormat::kCode128}};
  for (const auto& [name, format] : kFormats) {
    if (v == name) {
      c.pass.barcode = format;
      return {};
    }
  }
  return Invalid("\"" + std::string(v) + "\" is not a barcode format (pdf417, qr, aztec, code128)");
}

Result<void> ApplyWebServiceUrl(Config& c, std::string_view v) {
  if (!v.starts_with("https://") && !v.starts_with("http://")) {
    return Invalid("\"" + std::string(v) + "\" is not an http(s) URL");
  }
  if (v.ends_with("/v1") || v.ends_with("/v1/")) {
    return Invalid("\"" + std::string(v) + "\" must not end in /v1: Wallet appends /v1/... itself");
  }
  std::string url(v);
  while (url.ends_with('/')) url.pop_back();
  c.pass.web_service_url = url;
  c.web_service_url_is_default = false;
  return {};
}

Result<void> ApplyMailPublicUrl(Config& c, std::string_view v) {
  if (!v.starts_with("https://") && !v.starts_with("http://")) {
    return Invalid("\"" + std::string(v) + "\" is not an http(s) URL");
  }
  std::string url(v);
  while (url.ends_with('/')) url.pop_back();
  c.mail.public_url = url;
  return {};
}

// "host:port" (IPv6 in brackets: "[::1]:8080").
Result<void> ApplyListen(Config& c, std::string_view v) {
  const auto colon = v.rfind(':');
  if (colon == std::string_view::npos || colon == 0) {
    return Invalid("\"" + std::string(v) + "\" is not host:port");
  }
  std::string_view host = v.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  auto port = ParseUnsigned(v.substr(colon + 1));
  if (!port || *port > 65535) return Invalid("\"" + std::string(v) + "\" has no valid port");
  c.server.host = std::string(host);
  c.server.port = static_cast<std::uint16_t>(*port);
  return {};
}

// A setting's default as TOML text, read from the default-constructed settings (whose defaults
// are the modules' own, config.h): the reference table cannot disagree with the code.
template <class T>
std::string ServerDefault(T ServerSettings::*member) {
  return std::to_string(ServerSettings{}.*member);
}
template <class T>
std::string PassKitDefault(T PassKitSettings::*member) {
  return std::to_string(PassKitSettings{}.*member);
}

template <class T>
std::string AdminDefault(T AdminSettings::*member) {
  return std::to_string(AdminSettings{}.*member);
}

// A whole number in [min, max] for `member` of the settings section `part`.
template <class Part, class T>
Apply PartNumber(Part Config::*part, T Part::*member, std::uint64_t max, std::uint64_t min) {
  return [part, member, max, min](Config& c, std::string_view v) -> Result<void> {
    auto value = ParseUnsigned(v);
    if (!value) return value.error();
    if (*value > max) return Invalid("must be at most " + std::to_string(max));
    if (*value < min) return Invalid("must be at least " + std::to_string(min));
    c.*part.*member = static_cast<T>(*value);
    return {};
  };
}

template <class T>
Apply ServerNumber(T ServerSettings::*member, std::uint64_t max, std::uint64_t min = 0) {
  return PartNumber(&Config::server, member, max, min);
}

template <class T>
Apply PassKitNumber(T PassKitSettings::*member, std::uint64_t max, std::uint64_t min = 1) {
  return PartNumber(&Config::passkit, member, max, min);
}

template <class T>
Apply ApnsNumber(T ApnsSettings::*member, std::uint64_t max, std::uint64_t min = 1) {
  return PartNumber(&Config::apns, member, max, min);
}

template <class T>
std::string ApnsDefault(T ApnsSettings::*member) {
  return std::to_string(ApnsSettings{}.*member);
}

// One of `words`, for `member` of [apns].
Apply ApnsWord(std::string ApnsSettings::*member, std::vector<std::string> words) {
  return [member, words](Config& c, std::string_view v) -> Result<void> {
    if (std::find(words.begin(), words.end(), v) == words.end()) {
      std::string list;
      for (const auto& w : words) list += (list.empty() ? "" : ", ") + w;
      return Invalid("\"" + std::string(v) + "\" is not one of " + list);
    }
    c.apns.*member = std::string(v);
    return {};
  };
}

Result<void> ApplyApnsPriority(Config& c, std::string_view v) {
  if (v != "1" && v != "5" && v != "10") return Invalid("must be 1, 5 or 10");
  c.apns.priority = static_cast<unsigned>(std::stoul(std::string(v)));
  return {};
}

Result<void> ApplyApnsUrl(Config& c, std::string_view v) {
  if (!v.starts_with("https://") || v.size() <= 8 || v.ends_with("/")) {
    return Invalid("must be https://host[:port] without a path or a trailing /");
  }
  c.apns.url = std::string(v);
  return {};
}

Result<void> ApplyTrustedProxies(Config& c, std::string_view v) {
  auto entries = SplitList(v);
  if (auto networks = http::ParseNetworks(entries); !networks) return networks.error();
  c.server.trusted_proxies = std::move(entries);
  return {};
}

Result<void> ApplyPassTypeId(Config& c, std::string_view v) {
  if (v.empty()) return Invalid("the pass type id must not be empty");
  c.pass.pass_type_id = std::string(v);
  c.import.pass_type_id = std::string(v);  // new passes get this type
  return {};
}

Result<void> ApplyCacheBytes(Config& c, std::string_view v) {
  auto value = ParseUnsigned(v);
  if (!value) return value.error();
  c.bundle_cache_bytes = *value;
  return {};
}

Result<void> ApplyPolicyLeft(Config& c, std::string_view v) {
  if (v == "keep") {
    c.import.left_policy = handlers::LeftPolicy::kKeep;
  } else if (v == "void") {
    c.import.left_policy = handlers::LeftPolicy::kVoid;
  } else {
    return Invalid("\"" + std::string(v) + "\" is not keep or void");
  }
  return {};
}

Result<void> ApplyVoidOnLapse(Config& c, std::string_view v) {
  auto value = ParseBool(v);
  if (!value) return value.error();
  c.import.void_on_lapse = *value;
  return {};
}

Result<void> ApplyEncoding(Config& c, std::string_view v) {
  if (v == "utf-8") {
    c.import.csv.encoding = handlers::SourceEncoding::kUtf8;
  } else if (v == "windows-1252") {
    c.import.csv.encoding = handlers::SourceEncoding::kWindows1252;
  } else if (v == "latin-1") {
    c.import.csv.encoding = handlers::SourceEncoding::kLatin1;
  } else {
    return Invalid("\"" + std::string(v) + "\" is not utf-8, windows-1252 or latin-1");
  }
  return {};
}

Result<void> ApplyActiveStatuses(Config& c, std::string_view v) {
  auto words = SplitList(v);
  if (words.empty()) return Invalid("at least one status word must mean active");
  c.import.active_statuses = std::move(words);
  return {};
}

Result<void> ApplyMaxFileMib(Config& c, std::string_view v) {
  auto value = ParseUnsigned(v);
  if (!value) return value.error();
  if (*value == 0 || *value > (1u << 20)) return Invalid("must be 1 to 1048576 (MiB)");
  c.import.max_file_bytes = *value << 20;
  return {};
}

Apply Column(handlers::RosterColumn column) {
  return [column](Config& c, std::string_view v) -> Result<void> {
    c.import.headers[static_cast<std::size_t>(column)] = Trim(v);
    return {};
  };
}

std::vector<ConfigKey> MakeKeys() {
  using signer::CertificateConfig;
  using signer::PassTypeConfig;
  const PassTypeConfig pass;
  std::vector<ConfigKey> keys = {
      {"server.listen", "\"127.0.0.1:8080\"", "Address and port `serve` listens on", false,
       ApplyListen},
      {"server.threads", ServerDefault(&ServerSettings::threads), "I/O threads (0 = one per core)",
       false, ServerNumber(&ServerSettings::threads, 256)},
      {"server.workers", ServerDefault(&ServerSettings::workers),
       "Threads for blocking work: appends, signing (0 = one per core)", false,
       ServerNumber(&ServerSettings::workers, 256)},
      {"server.max_connections", ServerDefault(&ServerSettings::max_connections),
       "Open connections beyond this are answered 503; lowered at start to fit the descriptor "
       "limit (RLIMIT_NOFILE, raised to its hard limit) minus a reserve for RocksDB and logs",
       false, ServerNumber(&ServerSettings::max_connections, 1'000'000, 1)},
      {"server.max_connections_per_address",
       ServerDefault(&ServerSettings::max_connections_per_address),
       "Open connections from one client (IPv4 address, IPv6 /64) beyond this are answered "
       "503; 0 = no cap (behind a reverse proxy, where every connection is the proxy's)",
       false, ServerNumber(&ServerSettings::max_connections_per_address, 1'000'000)},
      {"server.worker_queue_bytes", ServerDefault(&ServerSettings::worker_queue_bytes),
       "Bytes of requests waiting for a worker thread; beyond this (or 4096 requests) 503", false,
       ServerNumber(&ServerSettings::worker_queue_bytes, 1ull << 40, 1)},
      {"server.log_queue_lines", ServerDefault(&ServerSettings::log_queue_lines),
       "Access and error log lines waiting to be written; beyond this they are dropped and "
       "counted (passledger_log_lines_dropped_total), never waited for",
       false, ServerNumber(&ServerSettings::log_queue_lines, 10'000'000, 1)},
      {"server.rocksdb_max_open_files", ServerDefault(&ServerSettings::rocksdb_max_open_files),
       "Table files RocksDB keeps open while serving (part of the descriptor reserve)", false,
       ServerNumber(&ServerSettings::rocksdb_max_open_files, 1'000'000, 16)},
      {"server.header_timeout_seconds", ServerDefault(&ServerSettings::header_timeout_seconds),
       "A request line and its headers must arrive within this; slower clients are dropped", false,
       ServerNumber(&ServerSettings::header_timeout_seconds, 3600, 1)},
      {"server.body_timeout_seconds", ServerDefault(&ServerSettings::body_timeout_seconds),
       "A request body must arrive within this", false,
       ServerNumber(&ServerSettings::body_timeout_seconds, 3600, 1)},
      {"server.idle_timeout_seconds", ServerDefault(&ServerSettings::idle_timeout_seconds),
       "A keep-alive connection with no request is closed after this", false,
       ServerNumber(&ServerSettings::idle_timeout_seconds, 3600, 1)},
      {"server.write_timeout_seconds", ServerDefault(&ServerSettings::write_timeout_seconds),
       "A response must be taken by the client within this", false,
       ServerNumber(&ServerSettings::write_timeout_seconds, 3600, 1)},
      {"server.tls_certificate", "\"\"",
       "PEM certificate (chain) for native TLS 1.2+; empty = plain HTTP (behind a TLS proxy)",
       false, PartText(&Config::server, &ServerSettings::tls_certificate)},
      {"server.tls_key", "\"\"", "PEM private key for native TLS", false,
       PartText(&Config::server, &ServerSettings::tls_key)},
      {"server.drain_seconds", ServerDefault(&ServerSettings::drain_seconds),
       "On SIGTERM/SIGINT: how long requests in flight may finish", false,
       ServerNumber(&ServerSettings::drain_seconds, 3600)},
      {"server.trusted_proxies", "[]",
       "Reverse proxies (addresses or networks, e.g. \"10.0.0.0/8\") whose X-Forwarded-For "
       "names the client; from any other peer the header is ignored",
       false, ApplyTrustedProxies},
      {"apns.auth", "\"\" (off with dev certificates, else certificate)",
       "How pushes authenticate: off, token (.p8 key) or certificate (TLS client certificate)",
       false, ApnsWord(&ApnsSettings::auth, {"off", "token", "certificate"})},
      {"apns.url", "\"" + ApnsSettings{}.url + "\"",
       "APNs host; Wallet passes use production also on development devices", false, ApplyApnsUrl},
      {"apns.ca_file", "\"\" (system CAs)", "PEM CA bundle trusted instead of the system's (tests)",
       false, PartText(&Config::apns, &ApnsSettings::ca_file)},
      {"apns.key_file", "\"\"", "Token auth: the .p8 signing key from Apple (AuthKey_<id>.p8)",
       false, PartPath(&Config::apns, &ApnsSettings::key_file)},
      {"apns.key_id", "\"\"", "Token auth: the key's 10-character id", false,
       PartText(&Config::apns, &ApnsSettings::key_id)},
      {"apns.team_id", "\"\" (pass.team_id)", "Token auth: the team id (the token's issuer)", false,
       PartText(&Config::apns, &ApnsSettings::team_id)},
      {"apns.certificate", "\"\" (the pass certificate)",
       "Certificate auth: PEM or PKCS#12 client certificate", false,
       PartPath(&Config::apns, &ApnsSettings::certificate)},
      {"apns.certificate_key", "\"\" (the pass certificate's key)",
       "Certificate auth: PEM private key of apns.certificate", false,
       PartPath(&Config::apns, &ApnsSettings::certificate_key)},
      {"apns.push_type", "\"" + ApnsSettings{}.push_type + "\"", "apns-push-type header", false,
       ApnsWord(&ApnsSettings::push_type, {"background", "alert"})},
      {"apns.priority", ApnsDefault(&ApnsSettings::priority),
       "apns-priority header: 5 (conserve power, Apple's advice for passes), 10 or 1", false,
       ApplyApnsPriority},
      {"apns.expiration_seconds", ApnsDefault(&ApnsSettings::expiration_seconds),
       "apns-expiration = now + this (APNs keeps an undelivered push this long); 0 = once", false,
       ApnsNumber(&ApnsSettings::expiration_seconds, 30u * 86400u, 0)},
      {"apns.connections", ApnsDefault(&ApnsSettings::connections),
       "HTTP/2 connections to APNs (one thread each)", false,
       ApnsNumber(&ApnsSettings::connections, 64)},
      {"apns.max_streams", ApnsDefault(&ApnsSettings::max_streams),
       "Pushes in flight per connection, before the server allows fewer", false,
       ApnsNumber(&ApnsSettings::max_streams, 10'000)},
      {"apns.coalesce_ms", ApnsDefault(&ApnsSettings::coalesce_ms),
       "Changes within this window after the first make one push per device", false,
       ApnsNumber(&ApnsSettings::coalesce_ms, 600'000, 0)},
      {"apns.timeout_seconds", ApnsDefault(&ApnsSettings::timeout_seconds),
       "One request's deadline, from its start to APNs' answer", false,
       ApnsNumber(&ApnsSettings::timeout_seconds, 600)},
      {"apns.max_attempts", ApnsDefault(&ApnsSettings::max_attempts),
       "Tries per push for 5xx, 429 and lost connections before it counts as failed", false,
       ApnsNumber(&ApnsSettings::max_attempts, 100)},
      {"passkit.max_devices_per_pass", PassKitDefault(&PassKitSettings::max_devices_per_pass),
       "Devices one pass may be registered on; more are refused (403)", false,
       PassKitNumber(&PassKitSettings::max_devices_per_pass, 10'000)},
      {"passkit.register_per_minute_per_pass",
       PassKitDefault(&PassKitSettings::register_per_minute_per_pass),
       "Registrations a minute for one pass (after a burst), then 429", false,
       PassKitNumber(&PassKitSettings::register_per_minute_per_pass, 1'000'000)},
      {"passkit.register_burst_per_pass", PassKitDefault(&PassKitSettings::register_burst_per_pass),
       "Registrations one pass may make at once", false,
       PassKitNumber(&PassKitSettings::register_burst_per_pass, 1'000'000)},
      {"passkit.register_per_minute_per_client",
       PassKitDefault(&PassKitSettings::register_per_minute_per_client),
       "Registrations a minute from one client network (IPv4 address, IPv6 /64), then 429", false,
       PassKitNumber(&PassKitSettings::register_per_minute_per_client, 1'000'000)},
      {"passkit.register_burst_per_client",
       PassKitDefault(&PassKitSettings::register_burst_per_client),
       "Registrations one client network may make at once", false,
       PassKitNumber(&PassKitSettings::register_burst_per_client, 1'000'000)},
      {"passkit.log_per_minute", PassKitDefault(&PassKitSettings::log_per_minute),
       "POST /v1/log requests a minute from one client network (after a burst), then 429", false,
       PassKitNumber(&PassKitSettings::log_per_minute, 1'000'000)},
      {"passkit.log_burst", PassKitDefault(&PassKitSettings::log_burst),
       "POST /v1/log requests one client network may make at once", false,
       PassKitNumber(&PassKitSettings::log_burst, 1'000'000)},
      {"passkit.log_bytes_per_minute_per_client",
       PassKitDefault(&PassKitSettings::log_bytes_per_minute_per_client),
       "Declared POST /v1/log body bytes a minute from one client network (at least 524288)", false,
       PassKitNumber(&PassKitSettings::log_bytes_per_minute_per_client, 1ull << 40, 512 << 10)},
      {"passkit.log_bytes_per_minute", PassKitDefault(&PassKitSettings::log_bytes_per_minute),
       "Declared POST /v1/log body bytes a minute from all clients together (at least 524288)",
       false, PassKitNumber(&PassKitSettings::log_bytes_per_minute, 1ull << 40, 512 << 10)},
      {"passkit.device_log_mib", PassKitDefault(&PassKitSettings::device_log_mib),
       "Byte budget of the device log ring (MiB); the oldest records are dropped past it", false,
       PassKitNumber(&PassKitSettings::device_log_mib, 1 << 20)},
      {"mail.public_url", "\"\" (pass.web_service_url)",
       "Base URL of the download links in e-mails (`<base>/p/<id>`; https in production)", false,
       ApplyMailPublicUrl},
      {"mail.link_max_days", std::to_string(MailSettings{}.link_max_days),
       "A download link dies this many days after the day it was made (0 = only when the pass "
       "is voided, its member forgotten or its token revoked)",
       false, PartNumber(&Config::mail, &MailSettings::link_max_days, 36'500, 0)},
      {"mail.smtp_url", "\"\" (the .eml outbox)",
       "SMTP server, smtp://host:587 or smtps://host:465; empty: each message is written to "
       "<data>/outbox/ as an .eml file and recorded as sent",
       false, PartText(&Config::mail, &MailSettings::smtp_url)},
      {"mail.tls", "\"starttls\"",
       "starttls (required: refused if the server does not offer it), smtps (TLS from the first "
       "byte) or none (a relay on this host)",
       false, PartText(&Config::mail, &MailSettings::tls)},
      {"mail.username", "\"\"", "SMTP AUTH user (no AUTH when empty)", false,
       PartText(&Config::mail, &MailSettings::username)},
      {"mail.password", "\"\"", "SMTP AUTH password (prefer password_env or password_file)", true,
       PartText(&Config::mail, &MailSettings::password)},
      {"mail.password_env", "\"\"",
       "Name of an environment variable holding the SMTP password (removed once read)", false,
       PartText(&Config::mail, &MailSettings::password_env)},
      {"mail.password_file", "\"\"", "File whose first line is the SMTP password", false,
       PartText(&Config::mail, &MailSettings::password_file)},
      {"mail.from", "\"" + MailSettings{}.from + "\"", "Sender address (From and MAIL FROM)", false,
       PartText(&Config::mail, &MailSettings::from)},
      {"mail.from_name", "\"\" (organization.name)", "Sender name in From", false,
       PartText(&Config::mail, &MailSettings::from_name)},
      {"mail.reply_to", "\"\"", "Reply-To address (none when empty)", false,
       PartText(&Config::mail, &MailSettings::reply_to)},
      {"mail.list_unsubscribe", "\"\"",
       "List-Unsubscribe header value, e.g. \"<mailto:members@example.org?subject=unsubscribe>\"",
       false, PartText(&Config::mail, &MailSettings::list_unsubscribe)},
      {"mail.rate_per_minute", std::to_string(MailSettings{}.rate_per_minute),
       "At most this many messages a minute, evenly spaced (0 = no limit)", false,
       PartNumber(&Config::mail, &MailSettings::rate_per_minute, 100'000, 0)},
      {"mail.max_attempts", std::to_string(MailSettings{}.max_attempts),
       "Attempts of a temporary failure before the e-mail fails for good", false,
       PartNumber(&Config::mail, &MailSettings::max_attempts, 100, 1)},
      {"mail.retry_minutes", "\"" + MailSettings{}.retry_minutes + "\"",
       "Minutes after the 1st, 2nd, … temporary failure before the next attempt (the last repeats)",
       false, PartText(&Config::mail, &MailSettings::retry_minutes)},
      {"mail.timeout_seconds", std::to_string(MailSettings{}.timeout_seconds),
       "Bound of one SMTP transaction", false,
       PartNumber(&Config::mail, &MailSettings::timeout_seconds, 3600, 1)},
      {"mail.ca_file", "\"\"", "Extra trusted CA (PEM) for the SMTP server's certificate (tests)",
       false, PartText(&Config::mail, &MailSettings::ca_file)},
      {"admin.session_idle_minutes", AdminDefault(&AdminSettings::session_idle_minutes),
       "A staff session ends after this many minutes without a request (its last-seen time is "
       "written at most once a minute, so it may end up to a minute early)",
       false, PartNumber(&Config::admin, &AdminSettings::session_idle_minutes, 24 * 60, 1)},
      {"admin.session_absolute_hours", AdminDefault(&AdminSettings::session_absolute_hours),
       "A staff session ends this many hours after its login however busy it is (the earlier "
       "of the two expiries wins)",
       false, PartNumber(&Config::admin, &AdminSettings::session_absolute_hours, 30 * 24, 1)},
      {"admin.login_max_failures", AdminDefault(&AdminSettings::login_max_failures),
       "Failed logins that lock an account, and separately a client address, each within "
       "login_lockout_minutes of the one before",
       false, PartNumber(&Config::admin, &AdminSettings::login_max_failures, 100, 1)},
      {"admin.login_lockout_minutes", AdminDefault(&AdminSettings::login_lockout_minutes),
       "How long a locked account or address is refused, before its password is checked (an "
       "account's lock is in the log and survives a restart; an address's is in memory)",
       false, PartNumber(&Config::admin, &AdminSettings::login_lockout_minutes, 24 * 60, 1)},
      {"organization.name", "\"" + pass.organization_name + "\"",
       "Organisation name on the pass (organizationName) and in e-mails", false,
       PartText(&Config::pass, &PassTypeConfig::organization_name)},
      {"organization.description", "\"" + pass.description + "\"",
       "The pass's description (read by VoiceOver)", false,
       PartText(&Config::pass, &PassTypeConfig::description)},
      {"organization.logo_text", "\"" + pass.logo_text + "\"", "Text next to the logo", false,
       PartText(&Config::pass, &PassTypeConfig::logo_text)},
      {"organization.program_name", "\"" + pass.program_name + "\"",
       "Membership programme name (semantics.membershipProgramName)", false,
       PartText(&Config::pass, &PassTypeConfig::program_name)},
      {"organization.contact", "\"\"", "Contact line on the back of the pass", false,
       PartText(&Config::pass, &PassTypeConfig::contact)},
      {"organization.hours", "\"\"", "Opening hours on the back of the pass", false,
       PartText(&Config::pass, &PassTypeConfig::hours)},
      {"organization.time_zone", "\"" + pass.time_zone + "\"",
       "IANA time zone: a membership expires at the end of its last day there", false,
       PartText(&Config::pass, &PassTypeConfig::time_zone)},
      {"pass.type_id", "\"" + pass.pass_type_id + "\"",
       "Pass type identifier; must equal the certificate's UID", false, ApplyPassTypeId},
      {"pass.team_id", "\"" + pass.team_id + "\"",
       "Apple team identifier; must equal the certificate's OU", false,
       PartText(&Config::pass, &PassTypeConfig::team_id)},
      {"pass.web_service_url", "\"" + pass.web_service_url + "\"",
       "webServiceURL without /v1 (Apple requires https in production); default: this "
       "server's listen address",
       false, ApplyWebServiceUrl},
      {"pass.template", "\"\" (built-in)", "Template folder (docs/TEMPLATES.md)", false,
       [](Config& c, std::string_view v) -> Result<void> {
         c.template_dir = std::filesystem::path(v);
         return {};
       }},
      {"pass.barcode", "\"pdf417\"", "Barcode format: pdf417, qr, aztec or code128", false,
       ApplyBarcode},
      {"pass.foreground_color", "\"rgb(255, 255, 255)\"", "Text colour (rgb(r, g, b) or #rrggbb)",
       false, Colour(&PassTypeConfig::foreground)},
      {"pass.background_color", "\"rgb(38, 84, 58)\"", "Background colour", false,
       Colour(&PassTypeConfig::background)},
      {"pass.label_color", "\"rgb(200, 230, 201)\"", "Field label colour", false,
       Colour(&PassTypeConfig::label)},
      {"pass.cache_bytes", "268435456", "Bytes of signed passes kept in memory (LRU)", false,
       ApplyCacheBytes},
      {"certificates.certificate", "\"\" (dev certificates)",
       "Pass Type ID certificate: PEM, or PKCS#12 (.p12) with its key; empty = make and use "
       "development certificates in <data>/dev-certs",
       false, PartPath(&Config::certificates, &CertificateConfig::certificate)},
      {"certificates.key", "\"\"", "PEM private key (not needed with PKCS#12)", false,
       PartPath(&Config::certificates, &CertificateConfig::key)},
      {"certificates.key_password", "\"\"",
       "Password of the key or PKCS#12 file (prefer _env or _file)", true,
       PartText(&Config::certificates, &CertificateConfig::key_password)},
      {"certificates.key_password_env", "\"\"",
       "Name of an environment variable holding the password", false,
       PartText(&Config::certificates, &CertificateConfig::key_password_env)},
      {"certificates.key_password_file", "\"\"", "File holding the password", false,
       PartPath(&Config::certificates, &CertificateConfig::key_password_file)},
      {"certificates.wwdr", "\"\"", "Apple WWDR intermediate certificate (G4), PEM or DER", false,
       PartPath(&Config::certificates, &CertificateConfig::wwdr_certificate)},
      {"import.policy_left", "\"keep\"", "Memberships absent from an upload: keep or void", false,
       ApplyPolicyLeft},
      {"import.void_on_lapse", "true", "Void the passes of a membership that is no longer active",
       false, ApplyVoidOnLapse},
      {"import.encoding", "\"utf-8\"", "Roster encoding: utf-8, windows-1252 or latin-1", false,
       ApplyEncoding},
      {"import.active_statuses", "[\"Active\"]", "Status words that mean active (ignoring case)",
       false, ApplyActiveStatuses},
      {"import.max_file_mib", "200", "Largest roster file accepted, in MiB", false,
       ApplyMaxFileMib},
  };
  for (const auto& info : handlers::kRosterColumns) {
    keys.push_back({"import.columns." + std::string(info.config_key),
                    "'" + std::string(info.altru_header) + "'",  // TOML literal string
                    "Header of the column holding this value", false, Column(info.column)});
  }
  return keys;
}

const ConfigKey* FindKey(std::string_view name) {
  for (const auto& key : ConfigKeys()) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

// A scalar or an array of scalars as the text the key's Apply parses.
std::optional<std::string> ValueText(const toml::node& node) {
  if (auto s = node.value<std::string>(); s && node.is_string()) return *s;
  if (node.is_integer()) return std::to_string(node.as_integer()->get());
  if (node.is_boolean()) return node.as_boolean()->get() ? "true" : "false";
  if (const auto* array = node.as_array()) {
    std::string out;
    for (const auto& item : *array) {
      auto text = ValueText(item);
      if (!text || item.is_array()) return std::nullopt;
      out += *text + "\n";
    }
    return out;
  }
  return std::nullopt;
}

// "a.b.c" = value for every leaf of the table.
void Flatten(const toml::table& table, const std::string& prefix,
             std::vector<std::pair<std::string, const toml::node*>>& out) {
  for (const auto& [key, node] : table) {
    const std::string name =
        prefix.empty() ? std::string(key.str()) : prefix + "." + std::string(key.str());
    if (const auto* child = node.as_table()) {
      Flatten(*child, name, out);
    } else {
      out.emplace_back(name, &node);
    }
  }
}

Result<void> ApplyFile(Config& config, const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    return MakeError(ErrorCode::kNotFound, "config file " + file.string() + " does not exist");
  }
  toml::table table;
  try {
    table = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    return Invalid(fmt::format("{}:{}:{}: {}", file.string(), e.source().begin.line,
                               e.source().begin.column, e.description()));
  }
  std::vector<std::pair<std::string, const toml::node*>> leaves;
  Flatten(table, "", leaves);
  for (const auto& [name, node] : leaves) {
    const auto line = node->source().begin.line;
    const ConfigKey* key = FindKey(name);
    if (key == nullptr) {
      return Invalid(
          fmt::format("{}:{}: unknown key \"{}\" (see docs/CONFIG.md)", file.string(), line, name));
    }
    auto text = ValueText(*node);
    if (!text) {
      return Invalid(fmt::format("{}:{}: {}: expected a string, number, boolean or list",
                                 file.string(), line, name));
    }
    if (auto applied = key->apply(config, *text); !applied) {
      return Invalid(
          fmt::format("{}:{}: {}: {}", file.string(), line, name, applied.error().message));
    }
  }
  return {};
}

Result<void> ApplyEnvironment(Config& config,
                              const std::function<const char*(const char*)>& getenv) {
  for (const auto& key : ConfigKeys()) {
    const std::string variable = EnvName(key.name);
    const char* value = getenv(variable.c_str());
    if (value == nullptr) continue;
    if (auto applied = key.apply(config, value); !applied) {
      return Invalid(fmt::format("environment {}: {}", variable, applied.error().message));
    }
  }
  return {};
}

}  // namespace

const std::vector<ConfigKey>& ConfigKeys() {
  static const std::vector<ConfigKey> keys = MakeKeys();
  return keys;
}

Result<void> ApplyConfigValue(Config& config, std::string_view key, std::string_view value) {
  const ConfigKey* found = FindKey(key);
  if (found == nullptr) return Invalid("unknown configuration key " + std::string(key));
  return found->apply(config, value);
}

std::string EnvName(std::string_view key) {
  std::string out = "PASSLEDGER_";
  for (char c : key) {
    out += (c == '.' || c == '-') ? '_'
                                  : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

Result<Config> LoadConfig(const std::optional<std::filesystem::path>& file,
                          const std::function<const char*(const char*)>& getenv) {
  Config config;
  if (file) {
    if (auto applied = ApplyFile(config, *file); !applied) return applied.error();
  }
  if (auto applied = ApplyEnvironment(config, getenv); !applied) return applied.error();
  return config;
}

handlers::StaffSessionOptions StaffSessionOptionsOf(const AdminSettings& admin) {
  handlers::StaffSessionOptions options;
  options.idle = std::chrono::minutes(admin.session_idle_minutes);
  options.absolute = std::chrono::hours(admin.session_absolute_hours);
  options.max_failures = static_cast<int>(admin.login_max_failures);
  options.lockout = std::chrono::minutes(admin.login_lockout_minutes);
  return options;
}

std::string DownloadBaseUrl(const Config& config) {
  if (!config.mail.public_url.empty()) return config.mail.public_url;
  if (!config.web_service_url_is_default) return config.pass.web_service_url;
  const bool tls = !config.server.tls_certificate.empty();
  const bool v6 = config.server.host.find(':') != std::string::npos;
  return fmt::format("{}://{}{}{}:{}", tls ? "https" : "http", v6 ? "[" : "", config.server.host,
                     v6 ? "]" : "", config.server.port);
}

std::string ConfigReferenceMarkdown() {
  std::string out = "| key | default | environment | meaning |\n| --- | --- | --- | --- |\n";
  for (const auto& key : ConfigKeys()) {
    std::string default_text = key.default_text;
    std::replace(default_text.begin(), default_text.end(), '|', '/');
    out += fmt::format("| `{}` | `{}` | `{}` | {}{} |\n", key.name, default_text, EnvName(key.name),
                       key.help, key.secret ? " (secret: never printed)" : "");
  }
  return out;
}

}  // namespace passledger::tools
