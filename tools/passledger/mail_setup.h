// Wiring for e-mail: from the [mail] configuration, the pass setup and the download links to a
// ready PassMail, a transport (SMTP, or the .eml outbox in <data>/outbox when no SMTP server
// is configured) and the dispatcher's options (docs/EMAIL.md). Start-up code: not thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "base/error.h"
#include "events/event_log.h"
#include "handlers/mail/mail_dispatcher.h"
#include "handlers/mail/mail_transport.h"
#include "handlers/mail/pass_mail.h"
#include "handlers/passes/pass_bundles.h"
#include "handlers/passes/pass_links.h"
#include "http/metrics.h"
#include "tools/passledger/config.h"

namespace passledger::tools {

struct MailSetup {
  std::unique_ptr<handlers::PassMail> mail;
  std::unique_ptr<handlers::MailTransport> transport;
  handlers::MailDispatcherOptions dispatcher;
  std::string description;  // "SMTP smtp://host:587 (STARTTLS, AUTH as u)" or "outbox <dir>"
};

// The folder of the .eml outbox inside the data directory.
inline constexpr std::string_view kOutboxFolder = "outbox";

// The download links (GET /p/<id>) with their secret derived from the log's master key and
// mail.link_max_days.
Result<std::unique_ptr<handlers::PassLinks>> MakePassLinks(const Config& config,
                                                           const events::EventLog& log);

// kInvalidArgument/kNotFound naming the [mail] key that is wrong. `bundles` and `links` are
// borrowed by the result's PassMail.
Result<MailSetup> SetUpMail(const Config& config, const std::filesystem::path& data_dir,
                            const handlers::PassBundles* bundles, const handlers::PassLinks* links);

// The e-mail series in /metrics: messages sent, failed for good, failures to be retried, and
// whether the dispatcher stopped on an error.
void AddMailMetrics(http::Metrics& metrics, const handlers::MailDispatcher& dispatcher);

}  // namespace passledger::tools
