// Per-subject data keys for sealing personal data (crypto-shredding), and secrets derived
// from the master key.
//
// Each subject has a random 256-bit key, stored in the subject_keys column family wrapped
// (AES-256-GCM) under the wrapping key, with the subject id as associated data so a wrapped
// key cannot be moved to another subject. Unwrapped keys are kept in a bounded in-memory cache.
//
// The master key itself is never used to encrypt or to derive (key schemes, docs/STORAGE.md):
//   wrapping key   = HKDF-SHA256(master, info "passledger/v2/wrap")      (wrap scheme 2)
//   derivation key = HKDF-SHA256(master, info "passledger/v2/derive")    (derive scheme 2)
// Databases created before the schemes wrapped under the master key itself (wrap scheme 1;
// EventLog::Open re-wraps them) and derived from it (derive scheme 1, kept for good so that
// the pass tokens already installed on phones stay valid). Every key copy is wiped on free.
//
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/crypto.h"
#include "base/error.h"
#include "base/mutex.h"

namespace passledger::events {

struct KeySchemes {
  int wrap = 2;    // 1: the master key wraps; 2: the HKDF wrapping key does
  int derive = 2;  // 1: the master key derives; 2: the HKDF derivation key does
};

class KeyRing {
 public:
  explicit KeyRing(const Key& master, KeySchemes schemes = {},
                   std::size_t cache_capacity = 1 << 16);
  ~KeyRing();
  KeyRing(const KeyRing&) = delete;
  KeyRing& operator=(const KeyRing&) = delete;

  std::string Wrap(std::string_view subject, const Key& data_key) const;
  // kCorruption when the wrapped bytes do not open under this master key.
  Result<Key> Unwrap(std::string_view subject, std::string_view wrapped) const;

  // A key for another purpose (HMAC-SHA256 of "passledger/" + purpose under the derivation
  // key): stable while the master key is, never stored. E.g. the pass token secret.
  Key Derive(std::string_view purpose) const;

  // A value sealed under the wrapping key, stored once per database to detect a wrong key.
  std::string MakeCheckValue() const;
  bool MatchesCheckValue(std::string_view sealed) const;

  KeySchemes schemes() const { return schemes_; }
  // The same master key and derivation, wrapping with scheme 2: what a scheme-1 database
  // migrates to (unwrap with this ring, wrap with the returned one).
  std::unique_ptr<KeyRing> WithWrapScheme2() const;

  std::optional<Key> Cached(std::string_view subject) const;
  void Remember(std::string_view subject, const Key& key);
  void Forget(std::string_view subject);

 private:
  // Constant after construction; wiped on destruction.
  Key master_;
  Key wrap_key_;
  Key derive_key_;
  const KeySchemes schemes_;
  const std::size_t cache_capacity_;

  mutable Mutex mutex_;
  // When full it is cleared wholesale: unwrapping again costs about a microsecond, far less
  // than LRU bookkeeping on every read.
  std::unordered_map<std::string, Key> cache_ PL_GUARDED_BY(mutex_);
};

}  // namespace passledger::events
