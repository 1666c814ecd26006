#include "handlers/mail/mail_transport.h"

#include "mail/outbox_dir.h"

namespace passledger::handlers {

SmtpTransport::SmtpTransport(std::unique_ptr<mail::SmtpClient> client, std::string description)
    : client_(std::move(client)), description_(std::move(description)) {}

mail::SendOutcome SmtpTransport::Send(const mail::Message& message, std::string_view bytes) {
  return client_->Send(message.from.address, message.to.address, bytes);
}

OutboxTransport::OutboxTransport(std::filesystem::path dir) : dir_(std::move(dir)) {}

mail::SendOutcome OutboxTransport::Send(const mail::Message& message, std::string_view bytes) {
  mail::SendOutcome outcome;
  auto written = mail::WriteEml(dir_, message.message_id, bytes);
  if (!written) {
    outcome.temporary = true;
    outcome.reason = "writing the outbox file: " + written.error().message;
    return outcome;
  }
  outcome.delivered = true;
  outcome.reply =
      mail::SmtpReply{250, "no SMTP server configured: written to " + written->string()};
  return outcome;
}

}  // namespace passledger::handlers
