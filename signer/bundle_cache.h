// BundleCache: signed .pkpass bundles keyed by (serial, content position), bounded in bytes
// with least-recently-used eviction. A concurrent miss for the same key runs the maker once;
// the other callers wait for its result. Failures are handed to every waiter and never cached.
//
// Thread-safe: every method may be called from any thread. The maker runs on the calling
// thread without the cache's lock held.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/error.h"
#include "base/mutex.h"

namespace passledger::signer {

using Bundle = std::shared_ptr<const std::string>;

struct BundleCacheStats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;  // makers run
  std::uint64_t waits = 0;   // callers that waited for another caller's maker
  std::uint64_t evictions = 0;
  std::uint64_t bytes = 0;  // held now
  std::uint64_t entries = 0;
};

class BundleCache {
 public:
  using Maker = std::function<Result<std::string>()>;

  // `max_bytes` bounds the bytes held; a bundle larger than that is returned but not kept.
  explicit BundleCache(std::uint64_t max_bytes);
  BundleCache(const BundleCache&) = delete;
  BundleCache& operator=(const BundleCache&) = delete;

  // The cached bundle for the key, or the one `make` returns (then cached).
  Result<Bundle> GetOrMake(std::string_view serial, std::uint64_t content_position,
                           const Maker& make);

  // The cached bundle for the key, or nullopt (nothing is made; a miss is not counted).
  std::optional<Bundle> Find(std::string_view serial, std::uint64_t content_position);

  BundleCacheStats Stats() const;
  std::uint64_t max_bytes() const { return max_bytes_; }

 private:
  struct Flight;  // one maker in progress and its waiters
  struct Entry {
    Bundle bundle;
    std::list<std::string>::iterator lru;  // position in lru_
  };

  // The cached entry, made most recently used and counted as a hit; nullopt on a miss.
  std::optional<Bundle> Hit(const std::string& key) PL_REQUIRES(mutex_);
  Result<Bundle> Wait(const std::shared_ptr<Flight>& flight) PL_REQUIRES(mutex_);
  // Runs `make` with mutex_ released.
  Result<Bundle> Make(const std::string& key, const Maker& make) PL_REQUIRES(mutex_);
  void Insert(const std::string& key, Bundle bundle) PL_REQUIRES(mutex_);
  void EvictTo(std::uint64_t budget) PL_REQUIRES(mutex_);

  const std::uint64_t max_bytes_;

  mutable Mutex mutex_;
  std::unordered_map<std::string, Entry> entries_ PL_GUARDED_BY(mutex_);
  std::list<std::string> lru_ PL_GUARDED_BY(mutex_);  // most recently used first
  std::unordered_map<std::string, std::shared_ptr<Flight>> flights_ PL_GUARDED_BY(mutex_);
  BundleCacheStats stats_ PL_GUARDED_BY(mutex_);
};

}  // namespace passledger::signer
