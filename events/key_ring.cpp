#include "events/key_ring.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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
}  // namespace

KeyRing::KeyRing(const Key& master, std::size_t cache_capacity)
    : master_(master), cache_capacity_(cache_capacity) {}

KeyRing::~KeyRing() {
  OPENSSL_cleanse(master_.data(), master_.size());
  for (auto& [subject, key] : cache_) OPENSSL_cleanse(key.data(), key.size());
}

std::string KeyRing::Wrap(std::string_view subject, const Key& data_key) const {
  return AesGcmSeal(master_, KeyBytes(data_key), WrapAad(subject));
}

Result<Key> KeyRing::Unwrap(std::string_view subject, std::string_view wrapped) const {
  auto plain = AesGcmOpen(master_, wrapped, WrapAad(subject));
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
  if (HMAC(EVP_sha256(), master_.data(), static_cast<int>(master_.size()),
           reinterpret_cast<const unsigned char*>(label.data()), label.size(), out.data(),
           &length) == nullptr ||
      length != out.size()) {
    std::abort();  // HMAC-SHA256 over memory cannot fail short of a broken OpenSSL
  }
  return out;
}

std::string KeyRing::MakeCheckValue() const {
  return AesGcmSeal(master_, format::kMasterKeyCheckPlaintext, "master key check");
}

bool KeyRing::MatchesCheckValue(std::string_view sealed) const {
  auto plain = AesGcmOpen(master_, sealed, "master key check");
  return plain && *plain == format::kMasterKeyCheckPlaintext;
}

std::optional<Key> KeyRing::Cached(std::string_view subject) const {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(std::string(subject));
  if (it == cache_.end()) return std::nullopt;
  return it->second;
}

void KeyRing::Remember(std::string_view subject, const Key& key) {
  std::lock_guard lock(mutex_);
  if (cache_.size() >= cache_capacity_) {
    for (auto& [cached_subject, cached_key] : cache_) {
      OPENSSL_cleanse(cached_key.data(), cached_key.size());
    }
    cache_.clear();
  }
  cache_.insert_or_assign(std::string(subject), key);
}

void KeyRing::Forget(std::string_view subject) {
  std::lock_guard lock(mutex_);
  auto it = cache_.find(std::string(subject));
  if (it == cache_.end()) return;
  OPENSSL_cleanse(it->second.data(), it->second.size());
  cache_.erase(it);
}

}  // namespace passledger::events
