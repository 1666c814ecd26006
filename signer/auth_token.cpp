#include "signer/auth_token.h"

#include <cstdio>
#include <cstdlib>

#include "base/crypto.h"
#include "base/mac.h"

namespace passledger::signer {
namespace {

[[noreturn]] void Abort(const char* what) {
  std::fprintf(stderr, "passledger: fatal: %s\n", what);
  std::abort();
}

}  // namespace

std::string PassAuthToken(std::string_view secret, std::string_view serial,
                          std::uint64_t generation) {
  if (secret.size() < kMinTokenSecretSize) Abort("PassAuthToken: token secret is too short");
  std::string message(serial);
  message += '\0';
  message += std::to_string(generation);
  const Hash mac = passledger::HmacSha256(secret, message);
  return passledger::Base64UrlEncode(
      std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

bool TokenMatches(std::string_view presented, std::string_view expected) {
  return passledger::ConstantTimeEquals(presented, expected);
}

}  // namespace passledger::signer
