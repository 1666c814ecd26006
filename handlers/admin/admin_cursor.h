// Cursors of the admin queries: the text a page hands back for the next one. Opaque to
// callers: base64url (no padding) of a kind byte that names the query, then the query's own
// bytes, so that a cursor made by one query is refused by another (kInvalidArgument) instead
// of being misread. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace passledger::handlers {

// Kinds in use: 'e' event browser, 'v' event browser by stream, 't' member timeline,
// 'd' devices, 'l' device logs.
std::string EncodeCursor(char kind, std::string_view bytes);
// The bytes of a cursor of `kind`; kInvalidArgument for anything else.
Result<std::string> DecodeCursor(std::string_view text, char kind);

// A cursor holding numbers (varints).
std::string EncodeNumbers(char kind, std::span<const std::uint64_t> numbers);
Result<std::vector<std::uint64_t>> DecodeNumbers(std::string_view text, char kind);

}  // namespace passledger::handlers
