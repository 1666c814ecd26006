#include "events/key_ring.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <cstdlib>

#include "events/storage_format.h"

namespace passledger::events {
namespace {
constexpr std::string_view kWrapAadPrefix = "passledger subject key v1:";

std::string WrapAad(std::string_view subject) {
  std::string aad(kWrapAadPrefix);
  aad.append(subject);
  return aad;
}

std::string_view KeyBytes(const Key& key) {
  return {reinterpret_cast<const char*>(key.data()), key.size()};
}

// HKDF-SHA256 (RFC 5869) of the master key with no salt and `info` as the label.
Key Hkdf(const Key& master, std::string_view info) {
  Key out{};
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> ctx(
      EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr), EVP_PKEY_CTX_free);
  std::size_t length = out.size();
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_hkdf_md(ctx.get(), EVP_sha256()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key(ctx.get(), master.data(), static_cast<int>(master.size())) <= 0 ||
      EVP_PKEY_CTX_add1_hkdf_info(ctx.get(), reinterpret_cast<const unsigned char*>(info.data()),
                                  static_cast<int>(info.size())) <= 0 ||
      EVP_PKEY_derive(ctx.get(), out.data(), &length) <= 0 || length != out.size()) {
    std::abort();  // HKDF over memory cannot fail short of a broken OpenSSL
  }
  return out;
}
}  // namespace

KeyRing::KeyRing(const Key& master, KeySchemes schemes, std::size_t cache_capacity)
    : master_(master),
      wrap_key_(schemes.wrap == 1 ? master : Hkdf(master, "passledger/v2/wrap")),
      derive_key_(schemes.derive == 1 ? master : Hkdf(master, "passledger/v2/derive")),
      schemes_(schemes),
      cache_capacity_(cache_capacity) {}

std::unique_ptr<KeyRing> KeyRing::WithWrapScheme2() const {
  return std::make_unique<KeyRing>(master_, KeySchemes{2, schemes_.derive}, cache_capacity_);
}

KeyRing::~KeyRing() {
  OPENSSL_cleanse(master_.data(), master_.size());
  OPENSSL_cleanse(wrap_key_.data(), wrap_key_.size());
  OPENSSL_cleanse(derive_key_.data(), derive_key_.size());
  for (auto& [subject, key] : cache_) OPENSSL_cleanse(key.data(), key.size());
}

std::string KeyRing::Wrap(std::string_view subject, const Key& data_key) const {
  return AesGcmSeal(wrap_key_, KeyBytes(data_key), WrapAad(subject));
}

Result<Key> KeyRing::Unwrap(std::string_view subject, std::string_view wrapped) const {
  auto plain = AesGcmOpen(wrap_key_, wrapped, WrapAad(subject));
  if (!plain || plain->size() != format::kKeySize) {
    return MakeError(ErrorCode::kCorruption,
                     "the data key of subject " + std::string(subject) +
                         " does not open under the master key (wrong master key?)");
  }
  Key key{};
  std::copy(plain->begin(), plain->end(), key.begin());
  OPENSSL_cleanse(plain->data(), plain->size());
  return key;
}

Key KeyRing::Derive(std::string_view purpose) const {
  const std::string label = "passledger/" + std::string(purpose);
  Key out{};
  unsigned int length = 0;
  if (HMAC(EVP_sha256(), derive_key_.data(), static_cast<int>(derive_key_.size()),
           reinterpret_cast<const unsigned char*>(label.data()), label.size(), out.data(),
           &length) == nullptr ||
      length != out.size()) {
    std::abort();  // HMAC-SHA256 over memory cannot fail short of a broken OpenSSL
  }
  return out;
}

std::string KeyRing::MakeCheckValue() const {
  return AesGcmSeal(wrap_key_, format::kMasterKeyCheckPlaintext, "master key check");
}

bool KeyRing::MatchesCheckValue(std::string_view sealed) const {
  auto plain = AesGcmOpen(wrap_key_, sealed, "master key check");
  return plain && *plain == format::kMasterKeyCheckPlaintext;
}

std::optional<Key> KeyRing::Cached(std::string_view subject) const {
  MutexLock lock(mutex_);
  auto it = cache_.find(std::string(subject));
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

void KeyRing::Remember(std::string_view subject, const Key& key) {
  MutexLock lock(mutex_);
  if (cache_.size() >= cache_capacity_) {
    for (auto& [cached_subject, cached_key] : cache_) {
      OPENSSL_cleanse(cached_key.data(), cached_key.size());
    }
    cache_.clear();
  }
  cache_.insert_or_assign(std::string(subject), key);
}

void KeyRing::Forget(std::string_view subject) {
  MutexLock lock(mutex_);
  auto it = cache_.find(std::string(subject));
  if (it == cache_.end()) return;
  OPENSSL_cleanse(it->second.data(), it->second.size());
  cache_.erase(it);
}

}  // namespace passledger::events
