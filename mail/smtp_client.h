// SmtpClient: hands composed messages (mail/message.h) to an SMTP server with libcurl's easy
// interface, one message and one recipient per Send.
//
// One easy handle lives as long as the client, so consecutive messages reuse one connection
// (libcurl starts the next transaction on it with MAIL FROM); after a failed transfer libcurl
// closes that connection and the next Send connects afresh. libcurl does the dot-stuffing.
//
// TLS: kStartTls demands STARTTLS (CURLUSESSL_ALL): a server that does not offer it is refused
// before anything, credentials included, is sent in clear. kSmtps is TLS from the first byte
// (smtps:// URLs only). kNone is for a relay on the same host and sends AUTH, if configured,
// unencrypted.
//
// The server's replies are captured from libcurl's debug callback (CURLINFO_HEADER_IN); only
// the last reply is kept, bounded, and the commands we send are never kept (only their verb),
// so the AUTH exchange is never recorded. A reason never contains the password.
//
// Thread-safety: none. One thread (the mail dispatcher) owns a client and calls Send; Send
// blocks for at most connect_timeout + timeout.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger::mail {

enum class SmtpTls { kStartTls, kSmtps, kNone };

struct SmtpOptions {
  std::string url;                   // smtp://host:port or smtps://host:port; no user, no path
  SmtpTls tls = SmtpTls::kStartTls;  // kSmtps needs smtps://, the others smtp://
  std::string username, password;    // AUTH when username is set
  std::string ca_file;               // a PEM CA to trust instead of the system's (tests)
  std::string helo_domain;           // for EHLO; empty = libcurl's default
  std::chrono::seconds connect_timeout{10}, timeout{60};  // timeout: a whole Send
};

// One reply of the server: its code and its lines' text joined by spaces ("2.0.0 Ok").
struct SmtpReply {
  int code = 0;  // 0: no reply
  std::string text;
};

struct SendOutcome {
  bool delivered = false;
  SmtpReply reply;  // the server's reply to the message (delivered), or the refusing reply
  // When not delivered: true for what may pass on a later try (no connection, timeouts, TLS
  // handshake failures, 4xx replies), false for 5xx replies (a wrong password is 535), a
  // server without STARTTLS when it is required, and envelope addresses CheckAddress refuses.
  bool temporary = false;
  std::string reason;  // one line for a person: what failed and the server's words
};

class SmtpClient {
 public:
  // kInvalidArgument for options that cannot work: a URL that is not smtp:// or smtps://, a
  // scheme that contradicts `tls`, credentials or a path in the URL, a password without a
  // username, a bad helo_domain, non-positive timeouts. kInternal if libcurl fails to start.
  static Result<std::unique_ptr<SmtpClient>> Create(SmtpOptions options);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // Sends `message_bytes` (CRLF line ends) from `envelope_from` (MAIL FROM) to `recipient`
  // (one RCPT TO). Never throws.
  SendOutcome Send(std::string_view envelope_from, std::string_view recipient,
                   std::string_view message_bytes);

  class Impl;

 private:
  explicit SmtpClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace passledger::mail
