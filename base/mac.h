// Keyed MACs and their text form: HMAC-SHA256 (OpenSSL) and base64url without padding
// (RFC 4648 §5), shared by the pass authentication tokens and the download links. A failure of
// OpenSSL's HMAC is a broken process, not an input error: it aborts. Pure functions;
// thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/crypto.h"

namespace passledger {

// HMAC-SHA256 of `data` under `key`.
Hash HmacSha256(std::string_view key, std::string_view data);

// RFC 4648 §5 alphabet, no padding.
std::string Base64UrlEncode(std::string_view bytes);

// Strict: only the alphabet, no padding, and the unused bits of the last character zero, so
// each byte string has exactly one text and every changed character changes the bytes.
std::optional<std::string> Base64UrlDecode(std::string_view text);

}  // namespace passledger
