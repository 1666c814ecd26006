// Pass authentication tokens: the `authenticationToken` a device presents to the web service
// ("ApplePass <token>"). A token is derived, never stored: HMAC-SHA256 of the pass's serial
// and token generation under a server secret, so it stays the same for the life of a
// (serial, generation) and changes when the generation is bumped (token revocation).
//
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace passledger::signer {

inline constexpr std::size_t kTokenSecretSize = 32;
inline constexpr std::size_t kMinTokenSecretSize = 16;
inline constexpr std::size_t kAuthTokenLength = 43;  // base64url of 32 bytes, no padding

// HMAC-SHA256(secret, serial || 0x00 || decimal generation), base64url without padding
// (43 characters). REQUIRES: secret.size() >= kMinTokenSecretSize (aborts otherwise: a short
// secret is a configuration bug that must never produce guessable tokens).
std::string PassAuthToken(std::string_view secret, std::string_view serial,
                          std::uint64_t generation);

// Constant-time comparison of a presented token (any length) with the expected one. Only the
// length of `expected` (always kAuthTokenLength, public) can be learnt from the timing.
bool TokenMatches(std::string_view presented, std::string_view expected);

}  // namespace passledger::signer
