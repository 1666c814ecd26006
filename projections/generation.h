// Generation: one generation of the projection views, a column family "views@g<N>" of the
// log's database. Internal to projections/ (it names RocksDB types; docs/ARCHITECTURE.md).
// Shared by the readers of that generation; DropWhenReleased marks it for dropping when the
// last reader lets go. Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

#include "events/storage_access.h"

namespace passledger::projections {

// One generation of the views: a column family "views@g<N>".
class Generation {
 public:
  // A column family opened with the log (the log destroys its handle).
  Generation(rocksdb::DB* db, std::uint64_t id, rocksdb::ColumnFamilyHandle* cf)
      : db_(db), id_(id), cf_(cf) {}
  // One created at run time: this object destroys its handle.
  Generation(rocksdb::DB* db, std::uint64_t id, events::OwnedColumnFamily cf)
      : db_(db), id_(id), cf_(cf.get()), owned_(std::move(cf)) {}
  ~Generation();
  Generation(const Generation&) = delete;
  Generation& operator=(const Generation&) = delete;

  std::uint64_t id() const { return id_; }
  rocksdb::ColumnFamilyHandle* cf() const { return cf_; }
  rocksdb::DB* db() const { return db_; }
  // Drops the column family when the last reference goes.
  void DropWhenReleased() { drop_ = true; }

 private:
  rocksdb::DB* db_;
  std::uint64_t id_;
  rocksdb::ColumnFamilyHandle* cf_;
  events::OwnedColumnFamily owned_;  // set when created at run time
  std::atomic<bool> drop_{false};
};

}  // namespace passledger::projections
