#include "tools/passledger/mail_setup.h"

#include <openssl/crypto.h>

#include <charconv>
#include <cstdlib>
#include <cstring>

#include "base/files.h"
#include "mail/smtp_client.h"
#include "signer/pass_template.h"

namespace passledger::tools {
namespace {

constexpr std::size_t kMaxPasswordFileBytes = 4096;

Error Invalid(std::string_view key, std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, "mail." + std::string(key) + ": " + message);
}

// A secret from an environment variable, taken out of the environment once read (and its
// bytes wiped: glibc frees neither the initial strings nor those setenv made).
std::optional<std::string> TakeEnvironment(const std::string& name) {
  char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  std::string secret(value);
  char* entry = value - name.size() - 1;
  const std::size_t length = name.size() + 1 + std::strlen(value);
  ::unsetenv(name.c_str());
  OPENSSL_cleanse(entry, length);
  return secret;
}

// mail.password, else the variable mail.password_env names, else mail.password_file's first
// line; empty when none is set.
Result<std::string> Password(const MailSettings& m) {
  if (!m.password.empty()) return m.password;
  if (!m.password_env.empty()) {
    auto value = TakeEnvironment(m.password_env);
    if (!value) return Invalid("password_env", "$" + m.password_env + " is not set");
    return std::move(*value);
  }
  if (m.password_file.empty()) return std::string();
  auto text = ReadSmallFile(m.password_file, kMaxPasswordFileBytes);
  if (!text) return Invalid("password_file", text.error().message);
  std::string password = text->substr(0, text->find_first_of("\r\n"));
  OPENSSL_cleanse(text->data(), text->size());
  return password;
}

Result<mail::SmtpTls> TlsMode(std::string_view text) {
  if (text == "starttls") return mail::SmtpTls::kStartTls;
  if (text == "smtps") return mail::SmtpTls::kSmtps;
  if (text == "none") return mail::SmtpTls::kNone;
  return Invalid("tls", "is starttls, smtps or none, not \"" + std::string(text) + "\"");
}

Result<std::unique_ptr<handlers::MailTransport>> Transport(const Config& config,
                                                           const std::filesystem::path& data_dir,
                                                           std::string& description) {
  const MailSettings& m = config.mail;
  if (m.smtp_url.empty()) {
    const auto dir = data_dir / kOutboxFolder;
    description = "no SMTP server configured: messages are written to " + dir.string();
    return std::unique_ptr<handlers::MailTransport>(
        std::make_unique<handlers::OutboxTransport>(dir));
  }
  auto tls = TlsMode(m.tls);
  if (!tls) return tls.error();
  auto password = Password(m);
  if (!password) return password.error();
  mail::SmtpOptions options;
  options.url = m.smtp_url;
  options.tls = *tls;
  options.username = m.username;
  options.password = std::move(*password);
  options.ca_file = m.ca_file;
  options.timeout = std::chrono::seconds(m.timeout_seconds);
  auto client = mail::SmtpClient::Create(std::move(options));
  if (!client) return Invalid("smtp_url", client.error().message);
  description = "SMTP " + m.smtp_url + " (" + m.tls +
                (m.username.empty() ? "" : ", AUTH as " + m.username) + ")";
  return std::unique_ptr<handlers::MailTransport>(
      std::make_unique<handlers::SmtpTransport>(std::move(*client), description));
}

// "1, 5, 30, 120": minutes after the first, second, … failure (the last repeats).
Result<std::vector<std::chrono::seconds>> RetrySchedule(std::string_view text) {
  std::vector<std::chrono::seconds> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t end = std::min(text.find(',', start), text.size());
    std::string item(text.substr(start, end - start));
    std::erase(item, ' ');
    unsigned minutes = 0;
    const auto [rest, ec] = std::from_chars(item.data(), item.data() + item.size(), minutes);
    if (item.empty() || ec != std::errc() || rest != item.data() + item.size() ||
        minutes > 10'080) {
      return Invalid("retry_minutes",
                     "is a list of minutes such as \"1, 5, 30, 120\" (each "
                     "0-10080), not \"" +
                         std::string(text) + "\"");
    }
    out.emplace_back(std::chrono::minutes(minutes));
    start = end + 1;
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<handlers::PassLinks>> MakePassLinks(const Config& config,
                                                           const events::EventLog& log) {
  auto secret = log.DeriveKey(handlers::kPassLinkSecretPurpose);
  if (!secret) return secret.error();
  auto links = std::make_unique<handlers::PassLinks>(std::string(secret->begin(), secret->end()),
                                                     std::chrono::days(config.mail.link_max_days));
  OPENSSL_cleanse(secret->data(), secret->size());
  return links;
}

Result<MailSetup> SetUpMail(const Config& config, const std::filesystem::path& data_dir,
                            const handlers::PassBundles* bundles,
                            const handlers::PassLinks* links) {
  const MailSettings& m = config.mail;
  MailSetup setup;
  auto transport = Transport(config, data_dir, setup.description);
  if (!transport) return transport.error();
  setup.transport = std::move(*transport);

  handlers::PassMailOptions options;
  options.from =
      mail::Mailbox{m.from, m.from_name.empty() ? config.pass.organization_name : m.from_name};
  if (!m.reply_to.empty()) options.reply_to = mail::Mailbox{m.reply_to, ""};
  options.list_unsubscribe = m.list_unsubscribe;
  options.public_url = DownloadBaseUrl(config);
  const auto folder =
      config.template_dir.empty() ? signer::DefaultTemplateDir() : config.template_dir;
  auto mail = handlers::PassMail::Load(folder, bundles, links, std::move(options));
  if (!mail) return mail.error();
  setup.mail = std::make_unique<handlers::PassMail>(std::move(*mail));

  auto schedule = RetrySchedule(m.retry_minutes);
  if (!schedule) return schedule.error();
  setup.dispatcher.retry_after = std::move(*schedule);
  setup.dispatcher.max_attempts = static_cast<int>(m.max_attempts);
  setup.dispatcher.rate_per_minute = m.rate_per_minute;
  return setup;
}

void AddMailMetrics(http::Metrics& metrics, const handlers::MailDispatcher& dispatcher) {
  const auto* d = &dispatcher;
  metrics.AddGauge("passledger_mail_messages_sent", "E-mails handed to the SMTP server (or outbox)",
                   [d] { return static_cast<double>(d->status().messages); });
  metrics.AddGauge("passledger_mail_messages_failed", "E-mails failed for good",
                   [d] { return static_cast<double>(d->status().failed); });
  metrics.AddGauge("passledger_mail_messages_retrying", "E-mail failures to be retried",
                   [d] { return static_cast<double>(d->status().retrying); });
  metrics.AddGauge("passledger_mail_stopped", "1 when the e-mail dispatcher stopped on an error",
                   [d] { return d->status().stopped.empty() ? 0.0 : 1.0; });
}

}  // namespace passledger::tools
