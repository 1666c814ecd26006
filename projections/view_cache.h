// ViewCache: the read-modify-write layer the folder works through.
//
// Records are loaded from a Backend once, kept decoded (typed, projections/views.h) while a
// batch of events is folded, and written back (encoded once, projections/view_codec.h) by
// Flush(). Index entries and other raw values are written
// blind. Only the entries changed since the last flush are visited by Flush. A ViewCache is
// used by one thread at a time.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "base/error.h"
#include "events/inline_projection.h"
#include "projections/view_codec.h"
#include "projections/views.h"

namespace rocksdb {
class DB;
class ColumnFamilyHandle;
class WriteBatch;
class Snapshot;
}  // namespace rocksdb

namespace passledger::projections {

// Where records come from and go to.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Result<std::optional<std::string>> Load(std::string_view key) = 0;
  // value == nullptr deletes.
  virtual void Store(std::string_view key, const std::string* value) = 0;
};

// Reads from a RocksDB column family (optionally at a snapshot); writes into a WriteBatch.
// `db`, `cf` and `batch` are borrowed and must outlive the backend.
class RocksDbBackend final : public Backend {
 public:
  RocksDbBackend(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf, rocksdb::WriteBatch* batch,
                 const rocksdb::Snapshot* snapshot = nullptr)
      : db_(db), cf_(cf), batch_(batch), snapshot_(snapshot) {}
  Result<std::optional<std::string>> Load(std::string_view key) override;
  void Store(std::string_view key, const std::string* value) override;
  void set_batch(rocksdb::WriteBatch* batch) { batch_ = batch; }

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* cf_;
  rocksdb::WriteBatch* batch_;
  const rocksdb::Snapshot* snapshot_;
};

// Reads and writes one column family through the writer's staging context (inline
// projections). `context` and `cf` are borrowed.
class StagingBackend final : public Backend {
 public:
  StagingBackend(events::ProjectionContext* context, rocksdb::ColumnFamilyHandle* cf)
      : context_(context), cf_(cf) {}
  Result<std::optional<std::string>> Load(std::string_view key) override {
    return context_->Get(cf_, key);
  }
  void Store(std::string_view key, const std::string* value) override {
    if (value) {
      context_->Put(cf_, key, *value);
    } else {
      context_->Delete(cf_, key);
    }
  }

 private:
  events::ProjectionContext* context_;
  rocksdb::ColumnFamilyHandle* cf_;
};

// An ordered in-memory key-value map: scratch rebuilds (verify --projections, state as of).
class MemoryBackend final : public Backend {
 public:
  Result<std::optional<std::string>> Load(std::string_view key) override;
  void Store(std::string_view key, const std::string* value) override;
  const std::map<std::string, std::string, std::less<>>& data() const { return data_; }

 private:
  std::map<std::string, std::string, std::less<>> data_;
};

// A decoded record of any view; which alternative a key holds follows from its view tag.
using ViewRecord = std::variant<MemberView, PassView, DeviceView, ImportView, StaffView,
                                TemplateView, CountsView, ActivityBucket>;

class ViewCache {
 public:
  // How the cache allocates its keys.
  enum class Memory {
    kHeap,   // freed entry by entry: for caches flushed and cleared as they go
    kArena,  // a monotonic arena released only with the cache: for one large bulk load
  };
  // Called on a changed record just before it is encoded: fields derived from the whole
  // record are computed once per write instead of once per change.
  using Finalizer = void (*)(ViewRecord& record);

  explicit ViewCache(Backend* backend, Finalizer finalize = nullptr, Memory memory = Memory::kHeap);
  ~ViewCache();
  ViewCache(const ViewCache&) = delete;
  ViewCache& operator=(const ViewCache&) = delete;

  // The record of type T at `key` (a view key whose suffix is the record's id), or nullptr
  // when there is none. The pointer stays valid until Flush. kCorruption when the stored bytes
  // do not decode; kInternal when the key holds a record of another type.
  template <class T>
  Result<T*> Find(std::string_view key) {
    return Get<T>(key, /*create=*/false);
  }
  // The record at `key`, created (default values) when absent.
  template <class T>
  Result<T*> Upsert(std::string_view key) {
    return Get<T>(key, /*create=*/true);
  }
  void Erase(std::string_view key);
  // Blind writes of raw values (index entries).
  void PutRaw(std::string_view key, std::string value);
  // Raw values written earlier through this cache, else loaded.
  Result<std::optional<std::string>> GetRaw(std::string_view key);

  // Writes every changed entry to the backend. Then forgets every entry, unless
  // `keep_clean_up_to` allows keeping them (as clean, decoded entries) for the next batch:
  // they are kept while there are at most that many. A kept entry must not change in the
  // backend behind the cache's back (true for a rebuild's private generation).
  void Flush(std::size_t keep_clean_up_to = 0);
  std::size_t size() const { return entries_.size(); }

  // Calls `sink(part, key, value)` for every existing entry, encoding records: the entries
  // are split in `parts` consecutive key ranges, each visited in ascending key order on a
  // thread of its own (part 0 on the caller's), so `sink` must be safe to call for different
  // parts at once. Records are finalized first. For a cache over an empty backend this is the
  // whole content (a bulk load). Returns the first error a `sink` returns.
  using SortedSink =
      std::function<Result<void>(std::size_t part, std::string_view key, std::string_view value)>;
  Result<void> ForEachSorted(std::size_t parts, const SortedSink& sink);

 private:
  struct Entry {
    std::unique_ptr<ViewRecord> record;  // decoded record; null for raw values
    std::optional<std::string> raw;      // stored bytes not decoded yet, or a raw value
    bool exists = false;
    bool dirty = false;
  };
  // Heterogeneous lookup: no std::string is built to find an existing entry.
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const noexcept {
      return std::hash<std::string_view>()(key);
    }
  };
  using Map = std::pmr::unordered_map<std::pmr::string, Entry, KeyHash, std::equal_to<>>;
  using Node = Map::value_type;
  Result<Node*> Load(std::string_view key);
  Node& Touch(std::string_view key);  // the entry at `key`, created if absent, marked dirty
  void MarkDirty(Node& node);
  // Decodes entry.raw as T (the id is the key after its view tag).
  template <class T>
  Result<void> Decode(std::string_view key, Entry& entry);
  template <class T>
  Result<T*> Get(std::string_view key, bool create);
  static Error WrongType(std::string_view key);

  Backend* backend_;
  Finalizer finalize_;
  std::unique_ptr<std::pmr::memory_resource> key_arena_;  // kArena only
  Map entries_;               // declared last: destroyed before the arena it allocates from
  std::vector<Node*> dirty_;  // node pointers stay valid across rehashes
};

// Encodes any record (projections/view_codec.h).
std::string EncodeRecord(const ViewRecord& record);

template <class T>
Result<void> ViewCache::Decode(std::string_view key, Entry& entry) {
  auto decoded = codec::Decode<T>(key.substr(1), entry.raw.value_or(std::string()));
  if (!decoded) return decoded.error();
  entry.record = std::make_unique<ViewRecord>(std::move(*decoded));
  entry.raw.reset();
  return {};
}

template <class T>
Result<T*> ViewCache::Get(std::string_view key, bool create) {
  auto node = Load(key);
  if (!node) return node.error();
  Entry& e = (*node)->second;
  if (!e.exists) {
    if (!create) return static_cast<T*>(nullptr);
    e.exists = true;
    e.raw.reset();
    e.record = std::make_unique<ViewRecord>(T{});
  } else if (!e.record) {
    if (auto ok = Decode<T>(key, e); !ok) return ok.error();
  }
  T* record = std::get_if<T>(e.record.get());
  if (record == nullptr) return WrongType(key);
  MarkDirty(**node);  // callers find records to change them
  return record;
}

}  // namespace passledger::projections
