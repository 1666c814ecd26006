// Thin, allocation-light wrappers over OpenSSL 3: SHA-256, AES-256-GCM,
// random bytes and hex. Every OpenSSL handle is owned by a unique_ptr on the line it is
// created. All functions are thread-safe (no shared mutable state).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/error.h"

namespace passledger {

inline constexpr std::size_t kSha256Size = 32;
inline constexpr std::size_t kAesKeySize = 32;  // AES-256
inline constexpr std::size_t kGcmNonceSize = 12;
inline constexpr std::size_t kGcmTagSize = 16;

using Hash = std::array<std::uint8_t, kSha256Size>;  // a SHA-256 digest
using Key = std::array<std::uint8_t, kAesKeySize>;   // a 256-bit symmetric key

// SHA-256 over the concatenation of `first` and `second`.
Hash Sha256(std::string_view first, std::string_view second = {});

// SHA-256 of a stream fed in pieces (files, uploads).
class Sha256Stream {
 public:
  Sha256Stream();
  ~Sha256Stream();
  Sha256Stream(const Sha256Stream&) = delete;
  Sha256Stream& operator=(const Sha256Stream&) = delete;
  void Update(std::string_view bytes);
  Hash Finish();  // the stream is reset afterwards

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Fills `out` from the OpenSSL CSPRNG. Aborts the process if the CSPRNG fails: nothing
// secret may ever be made from weak randomness.
void RandomBytes(std::span<std::uint8_t> out);
Key RandomKey();

// AES-256-GCM. Seal returns nonce | ciphertext | tag; Open reverses it and fails with
// kCorruption when the tag does not verify (wrong key, wrong associated data, altered bytes).
std::string AesGcmSeal(const Key& key, std::string_view plaintext, std::string_view aad);
Result<std::string> AesGcmOpen(const Key& key, std::string_view sealed, std::string_view aad);

// Standard base64 with padding (RFC 4648 §4).
std::string Base64Encode(std::string_view bytes);

std::string ToHex(std::span<const std::uint8_t> bytes);
inline std::string ToHex(std::string_view bytes) {
  return ToHex({reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()});
}
// Fails unless `hex` is exactly 2 * out.size() hex digits.
bool FromHex(std::string_view hex, std::span<std::uint8_t> out);

// Constant-time equality for secrets (tokens, tags).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace passledger
