// Store (internal to events/): the RocksDB database with its column families and options.
// Owns the DB and every column family handle. Thread-safe as rocksdb::DB is.
#pragma once

#include <rocksdb/db.h>

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"

namespace passledger::events {

class Store {
 public:
  // Opens (creating when `create` and not read-only) the database at `path` with the log's
  // column families, `extra` ones and any others already present.
  static Result<std::unique_ptr<Store>> Open(const std::filesystem::path& path, bool read_only,
                                             const std::vector<std::string>& extra,
                                             std::size_t block_cache_bytes,
                                             int max_open_files = -1);
  ~Store();

  rocksdb::DB* db() const { return db_.get(); }
  rocksdb::ColumnFamilyHandle* cf(std::string_view name) const;
  // Every column family opened with the database (not those created later).
  const std::vector<rocksdb::ColumnFamilyHandle*>& handles() const { return handles_; }
  // Flushes every column family of handles() that still exists, one at a time: an online
  // rebuild drops the views generation the database was opened with, and RocksDB refuses a
  // flush naming a dropped family (the others would stay unflushed).
  rocksdb::Status FlushOpened(const rocksdb::FlushOptions& options) const;
  // A new column family with the options Open() gives one of that name (shared block
  // cache). The caller owns the handle.
  Result<rocksdb::ColumnFamilyHandle*> CreateColumnFamily(const std::string& name);

  // Constant after Open().
  rocksdb::ColumnFamilyHandle* log = nullptr;
  rocksdb::ColumnFamilyHandle* streams = nullptr;
  rocksdb::ColumnFamilyHandle* stream_heads = nullptr;
  rocksdb::ColumnFamilyHandle* dedup = nullptr;
  rocksdb::ColumnFamilyHandle* subject_keys = nullptr;
  rocksdb::ColumnFamilyHandle* meta = nullptr;
  bool read_only = false;

 private:
  Store() = default;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::map<std::string, rocksdb::ColumnFamilyHandle*, std::less<>> by_name_;
};

// Maps a RocksDB status to a domain error naming the operation ("Write", "Get log").
Error FromRocks(const rocksdb::Status& status, std::string_view what);

}  // namespace passledger::events
