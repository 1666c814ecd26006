// Where a composed e-mail goes: an SMTP server (mail::SmtpClient) or, with no SMTP configured
// (the development default), an .eml file in the data directory's outbox, recorded as sent
// with that note. Two real transports behind one interface, chosen by the configuration.
//
// Not thread-safe: the e-mail dispatcher's one thread owns its transport.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "mail/message.h"
#include "mail/smtp_client.h"

namespace passledger::handlers {

class MailTransport {
 public:
  virtual ~MailTransport() = default;
  // Sends `bytes` (mail::Compose of `message`) to message.to.
  virtual mail::SendOutcome Send(const mail::Message& message, std::string_view bytes) = 0;
  // "smtp://host:port" or "outbox <dir>", for log lines.
  virtual std::string Describe() const = 0;
};

class SmtpTransport final : public MailTransport {
 public:
  SmtpTransport(std::unique_ptr<mail::SmtpClient> client, std::string description);
  mail::SendOutcome Send(const mail::Message& message, std::string_view bytes) override;
  std::string Describe() const override { return description_; }

 private:
  std::unique_ptr<mail::SmtpClient> client_;
  std::string description_;
};

class OutboxTransport final : public MailTransport {
 public:
  explicit OutboxTransport(std::filesystem::path dir);
  // Writes <dir>/<message id>.eml; a failed write is temporary (the disk may recover).
  mail::SendOutcome Send(const mail::Message& message, std::string_view bytes) override;
  std::string Describe() const override { return "outbox " + dir_.string(); }

 private:
  std::filesystem::path dir_;
};

}  // namespace passledger::handlers
