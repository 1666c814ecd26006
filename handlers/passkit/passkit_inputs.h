// The PassKit web service's inputs checked and parsed: identifier shapes, the
// "ApplePass <token>" Authorization value, the registration body's push token and the log
// body's lines. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace passledger::handlers {

// Device library ids, pass type ids and serial numbers: 1..kMaxIdLength characters from
// [A-Za-z0-9._-] (safe in a stream id, a key and a log line).
inline constexpr std::size_t kMaxIdLength = 128;
// A registration body larger than this is not a push token.
inline constexpr std::size_t kMaxRegisterBodyBytes = 4096;
// APNs device tokens are 32 bytes today (64 hex digits); leave room for longer ones.
inline constexpr std::size_t kMaxPushTokenLength = 256;

struct LogLimits {
  std::size_t max_lines = 100;
  std::size_t max_line_bytes = 4096;
  // The whole body: the lines plus JSON quoting and escapes.
  std::size_t max_body_bytes = 512 * 1024;
};

// kInvalidArgument naming `what` ("device id", "pass type id", "serial number") unless `id`
// has the shape above.
Result<void> CheckId(std::string_view what, std::string_view id);

// The token of an "ApplePass <token>" header value (scheme case-insensitive, surrounding
// blanks ignored); nullopt for any other value. The token is not checked here.
std::optional<std::string_view> ApplePassToken(std::string_view authorization);

// The push token of a registration body {"pushToken": "<hex>"}, lowercased; kTooLarge for a
// body over kMaxRegisterBodyBytes, kInvalidArgument for anything else that is not a JSON
// object with a non-empty hexadecimal pushToken of at most kMaxPushTokenLength digits.
Result<std::string> ParsePushToken(std::string_view body);

// The lines of a log body {"logs": ["...", ...]}: kTooLarge past a limit, kInvalidArgument
// when the body is not that shape (not JSON, not UTF-8, a line that is not a string).
Result<std::vector<std::string>> ParseLogLines(std::string_view body, const LogLimits& limits);

}  // namespace passledger::handlers
