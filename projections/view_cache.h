// ViewCache: the read-modify-write layer the folder works through.
//
// Records are loaded from a Backend once, kept parsed while a batch of events is folded, and
// written back (serialised once) by Flush(). Index entries and other raw values are written
// blind. Only the entries changed since the last flush are visited by Flush. A ViewCache is
// used by one thread at a time.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <functional>
#include <map>
#include <memory>
#include <memory_resource>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/error.h"
#include "events/inline_projection.h"

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

class ViewCache {
 public:
  // How the cache allocates its entries and records.
  enum class Memory {
    kHeap,   // freed entry by entry: for caches flushed and cleared as they go
    kArena,  // monotonic arenas released only with the cache: for one large bulk load
  };
  // Called on a changed record just before it is serialised: fields derived from the whole
  // record are computed once per write instead of once per change.
  using Finalizer = void (*)(std::string_view key, boost::json::object& record);

  explicit ViewCache(Backend* backend, Finalizer finalize = nullptr, Memory memory = Memory::kHeap);
  ~ViewCache();
  ViewCache(const ViewCache&) = delete;
  ViewCache& operator=(const ViewCache&) = delete;

  // The record at `key`, or nullptr when there is none. The pointer stays valid until Flush.
  Result<boost::json::object*> Find(std::string_view key);
  // The record at `key`, created empty when absent.
  Result<boost::json::object*> Upsert(std::string_view key);
  void Erase(std::string_view key);
  // Blind writes of raw values (index entries).
  void PutRaw(std::string_view key, std::string value);
  // Raw values written earlier through this cache, else loaded.
  Result<std::optional<std::string>> GetRaw(std::string_view key);

  // Writes every changed entry to the backend. Then forgets every entry, unless
  // `keep_clean_up_to` allows keeping them (as clean, parsed entries) for the next batch:
  // they are kept while there are at most that many. A kept entry must not change in the
  // backend behind the cache's back (true for a rebuild's private generation).
  void Flush(std::size_t keep_clean_up_to = 0);
  std::size_t size() const { return entries_.size(); }

  // Calls `sink(part, key, value)` for every existing entry, serialising records: the
  // entries are split in `parts` consecutive key ranges, each visited in ascending key order
  // on a thread of its own (part 0 on the caller's), so `sink` must be safe to call for
  // different parts at once. Records are finalized first. For a cache over an empty backend
  // this is the whole content (a bulk load). Returns the first error a `sink` returns.
  using SortedSink =
      std::function<Result<void>(std::size_t part, std::string_view key, std::string_view value)>;
  Result<void> ForEachSorted(std::size_t parts, const SortedSink& sink);

 private:
  struct Entry {
    std::optional<boost::json::object> record;  // parsed JSON record
    std::optional<std::string> raw;             // raw value (index entries)
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
  Result<Node*> Load(std::string_view key, bool parse);
  Node& Touch(std::string_view key);  // the entry at `key`, created if absent, marked dirty
  void MarkDirty(Node& node);

  Backend* backend_;
  Finalizer finalize_;
  std::unique_ptr<std::pmr::memory_resource> key_arena_;  // kArena only
  boost::json::storage_ptr record_storage_;               // records' allocator
  Map entries_;               // declared last: destroyed before the arenas it allocates from
  std::vector<Node*> dirty_;  // node pointers stay valid across rehashes
};

}  // namespace passledger::projections
