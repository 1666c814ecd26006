#include "signer/bundle_cache.h"

#include <optional>

namespace passledger::signer {

struct BundleCache::Flight {
  std::condition_variable_any done_cv;
  std::optional<Result<Bundle>> result;  // set once, under mutex_
};

namespace {

// serial, NUL, decimal position: serials never hold NUL (they are validated ids).
std::string KeyOf(std::string_view serial, std::uint64_t content_position) {
  std::string key(serial);
  key += '\0';
  key += std::to_string(content_position);
  return key;
}

}  // namespace

BundleCache::BundleCache(std::uint64_t max_bytes) : max_bytes_(max_bytes) {}

Result<Bundle> BundleCache::GetOrMake(std::string_view serial, std::uint64_t content_position,
                                      const Maker& make) {
  const std::string key = KeyOf(serial, content_position);
  MutexLock lock(mutex_);
  if (auto hit = Hit(key)) return std::move(*hit);
  if (auto it = flights_.find(key); it != flights_.end()) {
    ++stats_.waits;
    const std::shared_ptr<Flight> flight = it->second;  // the maker erases the map's copy
    return Wait(flight);
  }
  ++stats_.misses;
  return Make(key, make);
}

std::optional<Bundle> BundleCache::Find(std::string_view serial, std::uint64_t content_position) {
  const std::string key = KeyOf(serial, content_position);
  MutexLock lock(mutex_);
  return Hit(key);
}

std::optional<Bundle> BundleCache::Hit(const std::string& key) {
  const auto it = entries_.find(key);
  if (it == entries_.end()) return std::nullopt;
  ++stats_.hits;
  lru_.splice(lru_.begin(), lru_, it->second.lru);
  return it->second.bundle;
}

Result<Bundle> BundleCache::Wait(const std::shared_ptr<Flight>& flight) {
  flight->done_cv.wait(mutex_, [&] { return flight->result.has_value(); });
  return *flight->result;
}

Result<Bundle> BundleCache::Make(const std::string& key, const Maker& make) {
  auto flight = std::make_shared<Flight>();
  flights_.emplace(key, flight);
  mutex_.unlock();
  Result<Bundle> result = [&]() -> Result<Bundle> {
    auto made = make();
    if (!made) return made.error();
    return std::make_shared<const std::string>(std::move(*made));
  }();
  mutex_.lock();
  if (result) Insert(key, *result);
  flights_.erase(key);
  flight->result = result;
  flight->done_cv.notify_all();
  return result;
}

void BundleCache::Insert(const std::string& key, Bundle bundle) {
  const std::uint64_t size = bundle->size();
  if (size > max_bytes_) return;
  EvictTo(max_bytes_ - size);
  lru_.push_front(key);
  entries_.emplace(key, Entry{std::move(bundle), lru_.begin()});
  stats_.bytes += size;
  stats_.entries = entries_.size();
}

void BundleCache::EvictTo(std::uint64_t budget) {
  while (stats_.bytes > budget && !lru_.empty()) {
    auto it = entries_.find(lru_.back());
    stats_.bytes -= it->second.bundle->size();
    entries_.erase(it);
    lru_.pop_back();
    ++stats_.evictions;
  }
  stats_.entries = entries_.size();
}

BundleCacheStats BundleCache::Stats() const {
  MutexLock lock(mutex_);
  return stats_;
}

}  // namespace passledger::signer
