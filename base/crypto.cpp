#include "base/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>

#include "base/openssl_ptr.h"

namespace passledger {
namespace {

using CipherCtx = UniqueCipherCtx;
using MdCtx = UniqueMdCtx;

[[noreturn]] void Abort(const char* what) {
  std::fprintf(stderr, "passledger: fatal: %s failed\n", what);
  std::abort();
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// Fetched once: EVP_sha256()/EVP_aes_256_gcm() re-resolve the provider on every use.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  if (md == nullptr) Abort("EVP_MD_fetch(SHA256)");
  return md;
}

const EVP_CIPHER* AesGcmCipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  if (cipher == nullptr) Abort("EVP_CIPHER_fetch(AES-256-GCM)");
  return cipher;
}

// One digest context per thread, reset for each hash: saves an allocation per event on the
// append and verify paths.
EVP_MD_CTX* ThreadMdCtx() {
  thread_local MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx) Abort("EVP_MD_CTX_new");
  return ctx.get();
}

}  // namespace

struct Sha256Stream::Ctx {
  MdCtx md{EVP_MD_CTX_new()};
};

Sha256Stream::Sha256Stream() : ctx_(std::make_unique<Ctx>()) {
  if (!ctx_->md || EVP_DigestInit_ex2(ctx_->md.get(), Sha256Md(), nullptr) != 1) {
    Abort("SHA-256 init");
  }
}

Sha256Stream::~Sha256Stream() = default;

void Sha256Stream::Update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_->md.get(), bytes.data(), bytes.size()) != 1) Abort("SHA-256");
}

Hash Sha256Stream::Finish() {
  Hash out{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_->md.get(), out.data(), &len) != 1 || len != out.size() ||
      EVP_DigestInit_ex2(ctx_->md.get(), Sha256Md(), nullptr) != 1) {
    Abort("SHA-256");
  }
  return out;
}

Hash Sha256(std::string_view first, std::string_view second) {
  Hash out{};
  EVP_MD_CTX* ctx = ThreadMdCtx();
  unsigned int len = 0;
  if (EVP_DigestInit_ex2(ctx, Sha256Md(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, first.data(), first.size()) != 1 ||
      EVP_DigestUpdate(ctx, second.data(), second.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out.data(), &len) != 1 || len != out.size()) {
    Abort("SHA-256");
  }
  return out;
}

namespace {

// Bumped in a forked child so that no thread of it hands out bytes its parent also had.
std::atomic<std::uint32_t> fork_generation{0};

void FillFromCsprng(std::span<std::uint8_t> out) {
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) Abort("RAND_bytes");
}

// Small requests (nonces, keys, serials) are served from a per-thread buffer refilled from
// the CSPRNG 4 KiB at a time: each RAND_bytes call costs a getpid() system call (OpenSSL's
// fork check), which dominated an import's random-number cost. Bytes are wiped once served.
class RandomPool {
 public:
  RandomPool() {
    static std::once_flag once;
    std::call_once(once, [] {
      pthread_atfork(nullptr, nullptr,
                     [] { fork_generation.fetch_add(1, std::memory_order_relaxed); });
    });
  }
  ~RandomPool() { OPENSSL_cleanse(buffer_.data(), buffer_.size()); }

  void Take(std::span<std::uint8_t> out) {
    const auto generation = fork_generation.load(std::memory_order_relaxed);
    if (generation != generation_) {
      generation_ = generation;
      used_ = buffer_.size();
    }
    if (used_ + out.size() > buffer_.size()) {
      FillFromCsprng(buffer_);
      used_ = 0;
    }
    std::memcpy(out.data(), buffer_.data() + used_, out.size());
    OPENSSL_cleanse(buffer_.data() + used_, out.size());
    used_ += out.size();
  }

 private:
  std::array<std::uint8_t, 4096> buffer_{};
  std::size_t used_ = buffer_.size();
  std::uint32_t generation_ = fork_generation.load();
};

constexpr std::size_t kPooledRequestMax = 64;

}  // namespace

void RandomBytes(std::span<std::uint8_t> out) {
  if (out.size() > kPooledRequestMax) return FillFromCsprng(out);
  thread_local RandomPool pool;
  pool.Take(out);
}

Key RandomKey() {
  Key key{};
  RandomBytes(key);
  return key;
}

std::string AesGcmSeal(const Key& key, std::string_view plaintext, std::string_view aad) {
  std::string out(kGcmNonceSize + plaintext.size() + kGcmTagSize, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  RandomBytes({nonce, kGcmNonceSize});
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex2(ctx.get(), AesGcmCipher(), key.data(), nonce, nullptr) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nonce + kGcmNonceSize, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), nonce + kGcmNonceSize + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                          nonce + kGcmNonceSize + plaintext.size()) != 1) {
    Abort("AES-256-GCM encrypt");
  }
  return out;
}

Result<std::string> AesGcmOpen(const Key& key, std::string_view sealed, std::string_view aad) {
  if (sealed.size() < kGcmNonceSize + kGcmTagSize) {
    return MakeError(ErrorCode::kCorruption, "sealed data is shorter than nonce and tag");
  }
  const std::size_t text_size = sealed.size() - kGcmNonceSize - kGcmTagSize;
  std::string plaintext(text_size, '\0');
  auto* out = reinterpret_cast<unsigned char*>(plaintext.data());
  const unsigned char* nonce = Bytes(sealed);
  std::array<unsigned char, kGcmTagSize> tag{};
  std::copy_n(nonce + kGcmNonceSize + text_size, tag.size(), tag.begin());
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_DecryptInit_ex2(ctx.get(), AesGcmCipher(), key.data(), nonce, nullptr) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, Bytes(aad), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &len, nonce + kGcmNonceSize, static_cast<int>(text_size)) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag.size()),
                          tag.data()) != 1) {
    return MakeError(ErrorCode::kInternal, "EVP_Decrypt (AES-256-GCM) failed");
  }
  if (EVP_DecryptFinal_ex(ctx.get(), out + len, &len) != 1) {
    return MakeError(ErrorCode::kCorruption, "AES-256-GCM tag does not verify");
  }
  return plaintext;
}

std::string Base64Encode(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string ToHex(std::span<const std::uint8_t> bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(bytes.size() * 2, '\0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    out[2 * i] = kDigits[bytes[i] >> 4];
    out[2 * i + 1] = kDigits[bytes[i] & 0x0f];
  }
  return out;
}

namespace {
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

bool FromHex(std::string_view hex, std::span<std::uint8_t> out) {
  if (hex.size() != out.size() * 2) return false;
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = HexValue(hex[2 * i]);
    const int lo = HexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = static_cast<std::uint8_t>(hi << 4 | lo);
  }
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace passledger
