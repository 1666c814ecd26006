// What APNs answered to one push, and what that answer means for the push, the device and the
// dispatcher: Apple's "Handling notification responses from APNs" as one table (docs/PUSH.md,
// "What Apple's answers do"). Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace passledger::apns {

// An HTTP/2 response from APNs: its status and the JSON body's "reason" and "timestamp".
struct Answer {
  int status = 0;                           // 0: no response (see Verdict::kRetry)
  std::string reason;                       // empty when the body had none
  std::optional<std::int64_t> timestamp_ms;  // 410: when APNs learnt the token was invalid
};

enum class Verdict {
  kDelivered,        // 200: APNs accepted the push
  kUnregistered,     // 410: the token is no longer valid for the topic; remove the registration
                     //       unless the device registered again after `timestamp_ms`
  kBadDeviceToken,   // 400 BadDeviceToken: the token is malformed or of the other environment
  kTooManyRequests,  // 429 TooManyRequests: this token is pushed too often; back it off
  kRetry,            // 500, 503, other 5xx, IdleTimeout, no response: send again later
  kExpiredProviderToken,         // 403 ExpiredProviderToken: sign a new JWT, new connection
  kTooManyProviderTokenUpdates,  // 429: the JWT changed too often; rest the connection
  kConfiguration,  // every other 4xx: our certificate, key, topic, push type or URL is wrong;
                   // stop pushing and alert, never delete registrations because of it
};

// Reads a response body (at most a few hundred bytes in practice; anything that is not a JSON
// object with string "reason" and integer "timestamp" yields empty fields, never an error).
Answer ParseAnswer(int status, std::string_view body);

Verdict Judge(const Answer& answer);

// A short stable name for metrics, logs and the batch record ("delivered", "unregistered",
// "bad-token", "too-many-requests", "retry", "expired-provider-token",
// "too-many-provider-token-updates", "configuration").
std::string_view VerdictName(Verdict verdict);

}  // namespace passledger::apns
