// Per-subject data keys for sealing personal data (crypto-shredding).
//
// Each subject has a random 256-bit key, stored in the subject_keys column family wrapped
// (AES-256-GCM) under the master key, with the subject id as associated data so a wrapped key
// cannot be moved to another subject. Unwrapped keys are kept in a bounded in-memory cache.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "events/crypto.h"
#include "events/error.h"

namespace passledger::events {

class KeyRing {
 public:
  explicit KeyRing(const Key& master, std::size_t cache_capacity = 1 << 16);
  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  std::string Wrap(std::string_view subject, const Key& data_key) const;
  // kCorruption when the wrapped bytes do not open under this master key.
  Result<Key> Unwrap(std::string_view subject, std::string_view wrapped) const;

  // A key for another purpose derived from the master key (HMAC-SHA256 of "passledger/" +
  // purpose): stable while the master key is, never stored. E.g. the pass token secret.
  Key Derive(std::string_view purpose) const;

  // A value sealed under the master key, stored once per database to detect a wrong key.
  std::string MakeCheckValue() const;
  bool MatchesCheckValue(std::string_view sealed) const;

  std::optional<Key> Cached(std::string_view subject) const;
  void Remember(std::string_view subject, const Key& key);
  void Forget(std::string_view subject);

 private:
  Key master_;  // Constant after construction; wiped on destruction.
  const std::size_t cache_capacity_;

  mutable std::mutex mutex_;
  // Guarded by mutex_. When full it is cleared wholesale: unwrapping again costs about a
  // microsecond, far less than LRU bookkeeping on every read.
  std::unordered_map<std::string, Key> cache_;
};

}  // namespace passledger::events
