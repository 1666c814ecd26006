#include "events/validation.h"

#include <string>

#include "events/storage_format.h"

namespace passledger::events {
namespace {

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '@' || c == '+' || c == '=' || c == '~' || c == '-';
}

bool IsPrintable(char c) { return c > ' ' && c < 0x7f; }

Error Invalid(std::string what) { return MakeError(ErrorCode::kInvalidArgument, std::move(what)); }

// Shown in errors; identifiers are not personal data, but keep hostile input short.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s.substr(0, 80)) out.push_back(IsPrintable(c) ? c : '?');
  if (s.size() > 80) out += "...";
  return out + "\"";
}

}  // namespace

Result<void> ValidateStreamId(std::string_view stream) {
  if (stream.empty()) return Invalid("stream id is empty");
  if (stream.size() > format::kMaxStreamIdBytes) {
    return Invalid("stream id is longer than " + std::to_string(format::kMaxStreamIdBytes) +
                   " bytes");
  }
  const auto dash = stream.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash > 32 || dash + 1 == stream.size()) {
    return Invalid("stream id " + Quote(stream) + " is not of the form <category>-<id>");
  }
  for (char c : stream.substr(0, dash)) {
    if (c < 'a' || c > 'z') {
      return Invalid("stream id " + Quote(stream) + ": category must be lowercase letters");
    }
  }
  for (char c : stream.substr(dash + 1)) {
    if (!IsIdChar(c)) {
      return Invalid("stream id " + Quote(stream) +
                     ": id may hold only letters, digits and . _ : @ + = ~ -");
    }
  }
  return {};
}

Result<void> ValidateSubjectId(std::string_view subject) {
  if (subject.empty() || subject.size() > format::kMaxStreamIdBytes) {
    return Invalid("subject id must be 1-200 bytes");
  }
  for (char c : subject) {
    if (!IsIdChar(c)) {
      return Invalid("subject id " + Quote(subject) +
                     " may hold only letters, digits and . _ : @ + = ~ -");
    }
  }
  return {};
}

Result<void> ValidateEventType(std::string_view type) {
  if (type.empty() || type.size() > format::kMaxTypeBytes || type[0] < 'A' || type[0] > 'Z') {
    return Invalid("event type " + Quote(type) + " must be a PascalCase name of at most 64 bytes");
  }
  for (char c : type) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!ok) return Invalid("event type " + Quote(type) + " may hold only letters and digits");
  }
  return {};
}

Result<void> ValidateActor(std::string_view actor) {
  if (actor.empty() || actor.size() > format::kMaxActorBytes) {
    return Invalid("actor must be 1-256 bytes");
  }
  for (char c : actor) {
    if (!IsPrintable(c)) return Invalid("actor " + Quote(actor) + " must be printable ASCII");
  }
  return {};
}

Result<void> ValidateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > format::kMaxIdempotencyKeyBytes) {
    return Invalid("idempotency key must be 1-256 bytes");
  }
  for (char c : key) {
    if (!IsPrintable(c)) return Invalid("idempotency key must be printable ASCII");
  }
  return {};
}

bool IsValidUtf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int length = 0;
    unsigned char min_second = 0x80, max_second = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) min_second = 0xA0;  // overlong
      if (c == 0xED) max_second = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) min_second = 0x90;  // overlong
      if (c == 0xF4) max_second = 0x8F;  // past U+10FFFF
    } else {
      return false;
    }
    if (end - p < length || p[1] < min_second || p[1] > max_second) return false;
    for (int i = 2; i < length; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
    }
    p += length;
  }
  return true;
}

}  // namespace passledger::events
