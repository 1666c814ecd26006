// The reference for `passledger bench mail`: what libcurl alone does for the work measured —
// the smallest SMTP loop that sends ready-made message bytes over one reused connection (one
// easy handle, MAIL FROM, one RCPT TO, the bytes from memory; no reply capture, no checks).
// The bench runs it against the same server in the same run, so the dispatcher's figure reads
// "N % of libcurl alone". Not for production: it exists to be measured against.
//
// Thread-safety: a free function; each call owns its handle.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace passledger::mail {

struct SmtpReferenceFigures {
  std::uint64_t messages = 0;  // accepted by the server
  std::uint64_t bytes = 0;     // message bytes handed over
  double seconds = 0;          // the whole loop, the first connection included
  double MessagesPerSecond() const {
    return seconds > 0 ? static_cast<double>(messages) / seconds : 0;
  }
};

// Sends `count` messages to `url` (smtp://host:port, no TLS, no AUTH), cycling through
// `messages` (CRLF bytes), each from `envelope_from` to `recipient`. kUnavailable naming the
// message and libcurl's words at the first transfer that fails.
[[nodiscard]] Result<SmtpReferenceFigures> SmtpReferenceLoop(
    const std::string& url, const std::string& envelope_from, const std::string& recipient,
    const std::vector<std::string>& messages, std::uint64_t count);

}  // namespace passledger::mail
