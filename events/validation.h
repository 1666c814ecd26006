// Input rules for the identifiers the log stores, each with a clear error naming the rule.
// Pure functions.
#pragma once

#include <string_view>

#include "base/error.h"

namespace passledger::events {

// "<category>-<id>": category is 1-32 lowercase ASCII letters; id is non-empty and made of
// ASCII letters, digits and . _ : @ + = ~ -; at most 200 bytes in all. Examples:
// "member-8-10000001", "pass-Q7XK2M9F", "device-logs".
Result<void> ValidateStreamId(std::string_view stream);

// 1-200 bytes of the stream-id charset (no category required).
Result<void> ValidateSubjectId(std::string_view subject);

// Event type names are PascalCase ASCII identifiers, at most 64 bytes.
Result<void> ValidateEventType(std::string_view type);

// Actors are 1-256 printable ASCII characters without spaces ("staff:alice").
Result<void> ValidateActor(std::string_view actor);

// Idempotency keys are 1-256 printable ASCII characters.
Result<void> ValidateIdempotencyKey(std::string_view key);

// Well-formed UTF-8 (no overlong forms, surrogates or code points past U+10FFFF): serialised
// payloads must be, or they could be stored but never parsed back.
bool IsValidUtf8(std::string_view text);

}  // namespace passledger::events
