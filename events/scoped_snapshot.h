// ScopedSnapshot: a RocksDB snapshot held for the length of one read and released on scope
// exit, so every lookup of that read sees the same state. `db` must outlive it.
#pragma once

#include <rocksdb/db.h>

namespace passledger::events {

class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  ScopedSnapshot(const ScopedSnapshot&) = delete;
  ScopedSnapshot& operator=(const ScopedSnapshot&) = delete;

  const rocksdb::Snapshot* get() const { return snapshot_; }
  rocksdb::ReadOptions options() const {
    rocksdb::ReadOptions o;
    o.snapshot = snapshot_;
    return o;
  }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

}  // namespace passledger::events
