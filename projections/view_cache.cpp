#include "projections/view_cache.h"

#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <future>

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

namespace {
std::unique_ptr<std::pmr::memory_resource> KeyArena(ViewCache::Memory memory) {
  if (memory == ViewCache::Memory::kHeap) return nullptr;
  return std::make_unique<std::pmr::monotonic_buffer_resource>(std::size_t{1} << 20);
}
}  // namespace

std::string EncodeRecord(const ViewRecord& record) {
  return std::visit([](const auto& r) { return codec::Encoded(r); }, record);
}

ViewCache::ViewCache(Backend* backend, Finalizer finalize, Memory memory)
    : backend_(backend),
      finalize_(finalize),
      key_arena_(KeyArena(memory)),
      entries_(key_arena_ ? key_arena_.get() : std::pmr::new_delete_resource()) {}

ViewCache::~ViewCache() = default;

Error ViewCache::WrongType(std::string_view key) {
  return MakeError(ErrorCode::kInternal,
                   "view key of tag '" + std::string(key.substr(0, 1)) +
                       "' used as a record of another type");
}

Result<ViewCache::Node*> ViewCache::Load(std::string_view key) {
  auto it = entries_.find(key);
  if (it != entries_.end()) return &*it;
  auto loaded = backend_->Load(key);
  if (!loaded) return loaded.error();
  it = entries_.try_emplace(std::pmr::string(key, entries_.get_allocator())).first;
  Entry& entry = it->second;
  entry.exists = loaded->has_value();
  if (entry.exists) entry.raw = std::move(**loaded);
  return &*it;
}

void ViewCache::MarkDirty(Node& node) {
  if (node.second.dirty) return;
  node.second.dirty = true;
  dirty_.push_back(&node);
}

ViewCache::Node& ViewCache::Touch(std::string_view key) {
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    it = entries_.try_emplace(std::pmr::string(key, entries_.get_allocator())).first;
  }
  MarkDirty(*it);
  return *it;
}

void ViewCache::Erase(std::string_view key) {
  Entry& e = Touch(key).second;
  e.exists = false;
  e.record.reset();
  e.raw.reset();
}

void ViewCache::PutRaw(std::string_view key, std::string value) {
  Entry& e = Touch(key).second;
  e.exists = true;
  e.record.reset();
  e.raw = std::move(value);
}

Result<std::optional<std::string>> ViewCache::GetRaw(std::string_view key) {
  auto node = Load(key);
  if (!node) return node.error();
  const Entry& e = (*node)->second;
  if (!e.exists) return std::optional<std::string>();
  if (e.record) return std::optional<std::string>(EncodeRecord(*e.record));
  return e.raw;
}

void ViewCache::Flush(std::size_t keep_clean_up_to) {
  // In key order: the memtable inserts ascending keys with hints (events/store.cpp).
  std::sort(dirty_.begin(), dirty_.end(),
            [](const Node* a, const Node* b) { return a->first < b->first; });
  std::string bytes;
  for (Node* node : dirty_) {
    const std::string_view key = node->first;
    Entry& entry = node->second;
    if (!entry.exists) {
      backend_->Store(key, nullptr);
    } else if (entry.record) {
      if (finalize_) finalize_(*entry.record);
      bytes = EncodeRecord(*entry.record);
      backend_->Store(key, &bytes);
    } else {
      backend_->Store(key, &*entry.raw);
    }
    entry.dirty = false;
  }
  dirty_.clear();
  if (entries_.size() > keep_clean_up_to) entries_.clear();
}

Result<void> ViewCache::ForEachSorted(std::size_t parts, const SortedSink& sink) {
  std::vector<const Node*> nodes;
  nodes.reserve(entries_.size());
  for (auto& node : entries_) {
    if (!node.second.exists) continue;
    if (node.second.record && finalize_) finalize_(*node.second.record);
    nodes.push_back(&node);
  }
  std::sort(nodes.begin(), nodes.end(),
            [](const Node* a, const Node* b) { return a->first < b->first; });
  auto visit = [&](std::size_t part, std::size_t begin, std::size_t end) -> Result<void> {
    std::string bytes;
    for (std::size_t i = begin; i < end; ++i) {
      const Entry& entry = nodes[i]->second;
      std::string_view value = entry.raw ? std::string_view(*entry.raw) : std::string_view();
      if (entry.record) {
        bytes.clear();
        std::visit([&](const auto& r) { codec::Encode(r, &bytes); }, *entry.record);
        value = bytes;
      }
      if (auto ok = sink(part, nodes[i]->first, value); !ok) return ok;
    }
    return {};
  };
  parts = std::max<std::size_t>(1, std::min(parts, nodes.size()));
  std::vector<std::future<Result<void>>> others;
  const auto bound = [&](std::size_t part) { return nodes.size() * part / parts; };
  for (std::size_t part = 1; part < parts; ++part) {
    others.push_back(std::async(std::launch::async, visit, part, bound(part), bound(part + 1)));
  }
  Result<void> result = visit(0, 0, bound(1));
  for (auto& other : others) {
    auto ok = other.get();
    if (result && !ok) result = ok;
  }
  return result;
}

}  // namespace passledger::projections
