#include "handlers/passkit/passkit_inputs.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace passledger::handlers {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool IsBlank(char c) { return c == ' ' || c == '\t'; }

std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && IsBlank(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsBlank(s.back())) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Error Invalid(std::string message) {
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

Error TooLarge(std::string message) { return MakeError(ErrorCode::kTooLarge, std::move(message)); }

Result<boost::json::object> ParseObject(std::string_view body, std::string_view what) {
  boost::system::error_code ec;
  boost::json::value parsed = boost::json::parse(body, ec);
  if (ec) return Invalid(std::string(what) + " is not JSON: " + ec.message());
  if (!parsed.is_object()) return Invalid(std::string(what) + " is not a JSON object");
  return std::move(parsed.as_object());
}

}  // namespace

Result<void> CheckId(std::string_view what, std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) {
    return Invalid(std::string(what) + " must be 1-" + std::to_string(kMaxIdLength) +
                   " characters");
  }
  for (char c : id) {
    if (!IsIdChar(c)) {
      return Invalid(std::string(what) + " may hold only letters, digits and . _ -");
    }
  }
  return {};
}

std::optional<std::string_view> ApplePassToken(std::string_view authorization) {
  constexpr std::string_view kScheme = "ApplePass";
  const std::string_view value = TrimBlanks(authorization);
  if (value.size() <= kScheme.size() || !IsBlank(value[kScheme.size()])) return std::nullopt;
  if (!EqualsIgnoringCase(value.substr(0, kScheme.size()), kScheme)) return std::nullopt;
  const std::string_view token = TrimBlanks(value.substr(kScheme.size()));
  if (token.empty()) return std::nullopt;
  return token;
}

Result<std::string> ParsePushToken(std::string_view body) {
  if (body.size() > kMaxRegisterBodyBytes) {
    return TooLarge("registration body is larger than " + std::to_string(kMaxRegisterBodyBytes) +
                    " bytes");
  }
  auto object = ParseObject(body, "registration body");
  if (!object) return object.error();
  const auto* token = object->if_contains("pushToken");
  if (token == nullptr || !token->is_string()) {
    return Invalid("registration body has no string \"pushToken\"");
  }
  const std::string_view hex = token->get_string();
  if (hex.empty() || hex.size() > kMaxPushTokenLength) {
    return Invalid("pushToken must be 1-" + std::to_string(kMaxPushTokenLength) + " hex digits");
  }
  std::string out;
  out.reserve(hex.size());
  for (char c : hex) {
    if (!IsHexDigit(c)) return Invalid("pushToken must be hexadecimal");
    out.push_back(c >= 'A' && c <= 'F' ? static_cast<char>(c + 32) : c);
  }
  return out;
}

Result<std::vector<std::string>> ParseLogLines(std::string_view body, const LogLimits& limits) {
  if (body.size() > limits.max_body_bytes) {
    return TooLarge("log body is larger than " + std::to_string(limits.max_body_bytes) + " bytes");
  }
  auto object = ParseObject(body, "log body");
  if (!object) return object.error();
  const auto* logs = object->if_contains("logs");
  if (logs == nullptr || !logs->is_array()) return Invalid("log body has no array \"logs\"");
  const auto& entries = logs->get_array();
  if (entries.size() > limits.max_lines) {
    return TooLarge("log body has more than " + std::to_string(limits.max_lines) + " lines");
  }
  std::vector<std::string> lines;
  lines.reserve(entries.size());
  for (const auto& entry : entries) {
    if (!entry.is_string())
      return Invalid("log line " + std::to_string(lines.size()) + " is not a string");
    if (entry.get_string().size() > limits.max_line_bytes) {
      return TooLarge("log line " + std::to_string(lines.size()) + " is longer than " +
                      std::to_string(limits.max_line_bytes) + " bytes");
    }
    lines.emplace_back(entry.get_string());
  }
  return lines;
}

}  // namespace passledger::handlers
