#include "signer/auth_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdio>
#include <cstdlib>

#include "base/crypto.h"

namespace passledger::signer {
namespace {

[[noreturn]] void Abort(const char* what) {
  std::fprintf(stderr, "passledger: fatal: %s\n", what);
  std::abort();
}

// Fetched once: EVP_sha256() re-resolves the provider on every use.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) Abort("EVP_MD_fetch(SHA256) failed");
  return md;
}

// RFC 4648 §5 alphabet, no padding.
std::string Base64Url(const unsigned char* data, std::size_t size) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((size * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    const std::uint32_t v = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (const std::size_t rest = size - i; rest > 0) {
    const std::uint32_t v = (data[i] << 16) | (rest == 2 ? data[i + 1] << 8 : 0);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    if (rest == 2) out += kAlphabet[(v >> 6) & 63];
  }
  return out;
}

}  // namespace

std::string PassAuthToken(std::string_view secret, std::string_view serial,
                          std::uint64_t generation) {
  if (secret.size() < kMinTokenSecretSize) Abort("PassAuthToken: token secret is too short");
  std::string message(serial);
  message += '\0';
  message += std::to_string(generation);
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int mac_size = 0;
  if (HMAC(Sha256Md(), secret.data(), static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
           &mac_size) == nullptr ||
      mac_size != 32) {
    Abort("PassAuthToken: HMAC-SHA256 failed");
  }
  return Base64Url(mac.data(), mac_size);
}

bool TokenMatches(std::string_view presented, std::string_view expected) {
  return passledger::ConstantTimeEquals(presented, expected);
}

}  // namespace passledger::signer
