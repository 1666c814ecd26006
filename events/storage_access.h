// The event log's RocksDB database, for the modules that own storage: events/ and
// projections/ only (docs/ARCHITECTURE.md). No header that handlers/, http/, signer/ or tools/
// include names a RocksDB type; this one does, so they do not include it.
//
// Thread-safety: as rocksdb::DB; the handles live as long as the EventLog (except the ones
// CreateColumnFamily returns, which their owner destroys).
#pragma once

#include <rocksdb/db.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/error.h"
#include "events/event_log.h"

namespace passledger::events {

// Destroys a column family handle created at run time (the family itself stays).
struct ColumnFamilyDeleter {
  rocksdb::DB* db = nullptr;
  void operator()(rocksdb::ColumnFamilyHandle* handle) const {
    if (handle != nullptr) db->DestroyColumnFamilyHandle(handle);
  }
};
using OwnedColumnFamily = std::unique_ptr<rocksdb::ColumnFamilyHandle, ColumnFamilyDeleter>;

struct StorageAccess {
  // The underlying database.
  static rocksdb::DB* Db(const EventLog& log);
  // A column family opened with the log, by name; nullptr when there is none.
  static rocksdb::ColumnFamilyHandle* ColumnFamily(const EventLog& log, std::string_view name);
  // Creates a column family configured like the log's own. Destroy the handle (the owner
  // does) before the log.
  static Result<OwnedColumnFamily> CreateColumnFamily(EventLog& log, const std::string& name);
};

}  // namespace passledger::events
