// Staff passwords (docs/ADMIN.md, "Passwords"): Argon2id hashes in the PHC string format,
// their verification, and the rules a new password must meet.
//
// Hashes are made with OWASP's first recommended Argon2id setting (Password Storage Cheat
// Sheet): m = 19456 KiB (19 MiB), t = 2 passes, p = 1 lane, a 16-byte random salt from the
// OpenSSL CSPRNG and a 32-byte tag, written as
//   $argon2id$v=19$m=19456,t=2,p=1$<salt, base64 without padding>$<tag, base64 without padding>
// One hash or verification takes about 19 MiB of memory and some tens of milliseconds of
// one core, on the caller's thread: never call these on an I/O thread.
//
// A stored hash is trusted no further than its parameters: VerifyPassword refuses (false)
// any encoded string that is not exactly that format with parameters inside the bounds
// below, so a corrupt or hostile record cannot make a verification allocate gigabytes or run
// for minutes.
//
// Pure functions (libargon2 keeps no state); thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger::handlers {

// The parameters of new hashes.
inline constexpr std::uint32_t kArgon2MemoryKiB = 19456;
inline constexpr std::uint32_t kArgon2Passes = 2;
inline constexpr std::uint32_t kArgon2Lanes = 1;
inline constexpr std::size_t kArgon2SaltBytes = 16;
inline constexpr std::size_t kArgon2TagBytes = 32;

// What a stored hash may ask for. The lower bounds admit OWASP's other settings (down to
// m = 7168 KiB with t = 5); the upper ones cap one verification at 64 MiB and 8 passes.
inline constexpr std::uint32_t kMinArgon2MemoryKiB = 7168;
inline constexpr std::uint32_t kMaxArgon2MemoryKiB = 65536;
inline constexpr std::uint32_t kMaxArgon2Passes = 8;
inline constexpr std::uint32_t kMaxArgon2Lanes = 4;
inline constexpr std::size_t kMinArgon2SaltBytes = 16, kMaxArgon2SaltBytes = 64;
inline constexpr std::size_t kMinArgon2TagBytes = 16, kMaxArgon2TagBytes = 64;

// The rules of CheckNewPassword.
inline constexpr std::size_t kMinPasswordCodePoints = 12;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

struct Argon2Params {
  std::uint32_t memory_kib = 0;
  std::uint32_t passes = 0;
  std::uint32_t lanes = 0;
  std::size_t salt_bytes = 0;
  std::size_t tag_bytes = 0;
};

// The PHC string of `password` under a fresh salt. kInternal only when libargon2 fails
// (it cannot allocate its memory).
Result<std::string> HashPassword(std::string_view password);

// True when `password` matches `encoded` (libargon2 compares the tags in constant time).
// False for a wrong password and for an encoded string ParseArgon2Params refuses.
bool VerifyPassword(std::string_view encoded, std::string_view password);

// The parameters of an encoded Argon2id string, or nullopt unless it is exactly the format
// above (version 19, decimal numbers without leading zeros, unpadded standard base64) with
// every parameter inside the bounds.
std::optional<Argon2Params> ParseArgon2Params(std::string_view encoded);

// A hash of a random password, with the parameters of new hashes, computed once (the first
// call pays for it). Verifying against it costs what verifying a real account costs: the
// login of an unknown user does exactly that.
const std::string& DummyPasswordHash();

// Whether `password` is on the shipped list of common passwords (common_passwords.txt,
// compiled in), ignoring ASCII case.
bool IsCommonPassword(std::string_view password);

// kInvalidArgument, with what to do about it, unless `password` is valid UTF-8 without
// control characters, has at least kMinPasswordCodePoints characters (code points) and at
// most kMaxPasswordBytes bytes, is not a common password and does not contain `username`
// (ignoring ASCII case; usernames shorter than 3 characters are only compared whole).
Result<void> CheckNewPassword(std::string_view password, std::string_view username);

}  // namespace passledger::handlers
