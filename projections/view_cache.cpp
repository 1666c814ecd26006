#include "projections/view_cache.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace passledger::projections {

Result<std::optional<std::string>> RocksDbBackend::Load(std::string_view key) {
  rocksdb::ReadOptions read;
  read.snapshot = snapshot_;
  std::string value;
  auto status = db_->Get(read, cf_, key, &value);
  if (status.IsNotFound()) return std::optional<std::string>();
  if (!status.ok()) {
    return MakeError(ErrorCode::kUnavailable, "RocksDB Get (views): " + status.ToString());
  }
  return std::optional<std::string>(std::move(value));
}

void RocksDbBackend::Store(std::string_view key, const std::string* value) {
  if (value) {
    batch_->Put(cf_, key, *value);
  } else {
    batch_->Delete(cf_, key);
  }
}

Result<std::optional<std::string>> MemoryBackend::Load(std::string_view key) {
  auto it = data_.find(key);
  if (it == data_.end()) return std::optional<std::string>();
  return std::optional<std::string>(it->second);
}

void MemoryBackend::Store(std::string_view key, const std::string* value) {
  if (value) {
    data_.insert_or_assign(std::string(key), *value);
  } else if (auto it = data_.find(key); it != data_.end()) {
    data_.erase(it);
  }
}

Result<ViewCache::Entry*> ViewCache::Load(std::string_view key, bool parse) {
  auto [it, inserted] = entries_.try_emplace(std::string(key));
  Entry& entry = it->second;
  if (inserted) {
    auto loaded = backend_->Load(key);
    if (!loaded) {
      entries_.erase(it);
      return loaded.error();
    }
    entry.exists = loaded->has_value();
    if (entry.exists) entry.raw = std::move(**loaded);
  }
  if (parse && entry.exists && !entry.record) {
    boost::system::error_code ec;
    auto value = boost::json::parse(entry.raw.value_or(""), ec);
    if (ec || !value.is_object()) {
      return MakeError(ErrorCode::kCorruption, "view record is not a JSON object");
    }
    entry.record = std::move(value.as_object());
    entry.raw.reset();
  }
  return &entry;
}

Result<boost::json::object*> ViewCache::Find(std::string_view key) {
  auto entry = Load(key, true);
  if (!entry) return entry.error();
  if (!(*entry)->exists) return static_cast<boost::json::object*>(nullptr);
  (*entry)->dirty = true;  // callers find records to change them
  return &*(*entry)->record;
}

Result<boost::json::object*> ViewCache::Upsert(std::string_view key) {
  auto entry = Load(key, true);
  if (!entry) return entry.error();
  Entry& e = **entry;
  if (!e.exists) {
    e.exists = true;
    e.record.emplace();
  }
  e.dirty = true;
  return &*e.record;
}

void ViewCache::Erase(std::string_view key) {
  Entry& e = entries_[std::string(key)];
  e.exists = false;
  e.record.reset();
  e.raw.reset();
  e.dirty = true;
}

void ViewCache::PutRaw(std::string_view key, std::string value) {
  Entry& e = entries_[std::string(key)];
  e.exists = true;
  e.record.reset();
  e.raw = std::move(value);
  e.dirty = true;
}

Result<std::optional<std::string>> ViewCache::GetRaw(std::string_view key) {
  auto entry = Load(key, false);
  if (!entry) return entry.error();
  if (!(*entry)->exists) return std::optional<std::string>();
  return (*entry)->raw;
}

void ViewCache::Flush(std::size_t keep_clean_up_to) {
  for (auto& [key, entry] : entries_) {
    if (!entry.dirty) continue;
    if (!entry.exists) {
      backend_->Store(key, nullptr);
    } else if (entry.record) {
      const std::string text = boost::json::serialize(*entry.record);
      backend_->Store(key, &text);
    } else {
      backend_->Store(key, &*entry.raw);
    }
    entry.dirty = false;
  }
  if (entries_.size() > keep_clean_up_to) entries_.clear();
}

}  // namespace passledger::projections
